// Sending addresses: where paper invoices are posted and electronic ones emailed (with cc emails).
import { useQuery } from "@tanstack/react-query";
import { App, Button, Checkbox, Form, Input, Select, Space, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { ProblemAlert } from "@/components/ProblemAlert";
import { ResourceTablePage } from "@/components/ResourceTablePage";
import { useFormProblem } from "@/components/useFormProblem";
import { addressesQuery } from "@/lib/api/queries";
import type { Address } from "@/lib/api/types";
import { useDeleteAddress, useSaveAddress } from "./api/addresses";

const OPTIONAL = ["email", "address", "postal_code"] as const;
const FIELDS = ["recipient", "phone", ...OPTIONAL, "cc_emails", "is_default"] as const;

type Optional = (typeof OPTIONAL)[number];
type Values = { recipient: string; phone: string; cc_emails?: string[]; is_default?: boolean } & Partial<Record<Optional, string>>;

function AddressForm({ address, onDone }: { address: Address | null; onDone: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const problem = useFormProblem(form, FIELDS);
  const save = useSaveAddress(address?.id ?? null);

  const submit = (values: Values) => {
    const cc = (values.cc_emails ?? []).map((email) => email.trim()).filter(Boolean);
    const base = { recipient: values.recipient.trim(), phone: values.phone.trim(), is_default: values.is_default ?? false, cc_emails: cc };
    // An update clears an emptied field (null); a creation leaves it out.
    const optional = address
      ? Object.fromEntries(OPTIONAL.map((f) => [f, values[f]?.trim() ? values[f].trim() : null]))
      : Object.fromEntries(OPTIONAL.flatMap((f) => (values[f]?.trim() ? [[f, values[f].trim()]] : [])));
    problem.clear();
    save.mutate(
      { ...base, ...optional },
      {
        onError: problem.show,
        onSuccess: () => {
          void message.success(t("app.saved"));
          onDone();
        },
      },
    );
  };

  return (
    <Form
      form={form}
      layout="vertical"
      initialValues={
        address
          ? {
              recipient: address.recipient,
              phone: address.phone,
              email: address.email ?? "",
              address: address.address ?? "",
              postal_code: address.postal_code ?? "",
              cc_emails: address.cc_emails,
              is_default: address.is_default,
            }
          : { is_default: false, cc_emails: [] }
      }
      onFinish={submit}
    >
      <ProblemAlert error={problem.error} rest={problem.rest} />
      <Typography.Paragraph type="secondary">{t("addresses.needOne")}</Typography.Paragraph>
      <Form.Item name="recipient" label={t("addresses.recipient")} rules={[{ required: true }]}>
        <Input maxLength={100} />
      </Form.Item>
      <Form.Item name="phone" label={t("addresses.phone")} extra={t("addresses.phoneHelp")} rules={[{ required: true }]}>
        <Input maxLength={20} />
      </Form.Item>
      <Form.Item name="email" label={t("addresses.email")} extra={t("addresses.emailHelp")}>
        <Input type="email" maxLength={254} />
      </Form.Item>
      <Form.Item name="cc_emails" label={t("addresses.ccEmails")} extra={t("addresses.ccEmailsHelp")}>
        <Select mode="tags" open={false} tokenSeparators={[",", " ", ";"]} suffix={null} />
      </Form.Item>
      <Form.Item name="address" label={t("addresses.address")} extra={t("addresses.addressHelp")}>
        <Input.TextArea rows={2} maxLength={300} />
      </Form.Item>
      <Form.Item name="postal_code" label={t("addresses.postalCode")}>
        <Input maxLength={6} />
      </Form.Item>
      <Form.Item name="is_default" valuePropName="checked">
        <Checkbox>{t("profiles.makeDefault")}</Checkbox>
      </Form.Item>
      <Space>
        <Button type="primary" htmlType="submit" loading={save.isPending}>
          {t("app.save")}
        </Button>
        <Button onClick={onDone}>{t("app.cancel")}</Button>
      </Space>
    </Form>
  );
}

export function AddressesPage() {
  const { t } = useTranslation();
  const addresses = useQuery(addressesQuery());
  const remove = useDeleteAddress();
  return (
    <ResourceTablePage<Address>
      title={t("addresses.title")}
      newLabel={t("addresses.new")}
      editTitle={t("addresses.editTitle")}
      emptyText={t("addresses.empty")}
      deleteConfirm={t("addresses.deleteConfirm")}
      items={addresses.data?.data ?? []}
      loading={addresses.isPending}
      error={addresses.error}
      deletion={remove}
      renderForm={(address, done) => <AddressForm address={address} onDone={done} />}
      columns={[
        { title: t("addresses.recipient"), dataIndex: "recipient" },
        { title: t("addresses.phone"), dataIndex: "phone" },
        { title: t("addresses.email"), dataIndex: "email", render: (v: string | null) => v ?? "—" },
        {
          title: t("addresses.ccEmails"),
          dataIndex: "cc_emails",
          render: (v: string[] | undefined) => (v && v.length > 0 ? v.join(", ") : "—"),
        },
        { title: t("addresses.address"), dataIndex: "address", render: (v: string | null) => v ?? "—" },
        { title: t("addresses.postalCode"), dataIndex: "postal_code", render: (v: string | null) => v ?? "—" },
        { title: t("addresses.isDefault"), dataIndex: "is_default", render: (d: boolean) => (d ? t("app.yes") : "") },
      ]}
    />
  );
}
