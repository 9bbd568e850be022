// Invoice information: list, new, edit, delete; the fields follow the invoice type.
import { useQuery } from "@tanstack/react-query";
import { App, Alert, Button, Checkbox, Form, Input, Radio, Space, Tooltip } from "antd";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { ProblemAlert } from "@/components/ProblemAlert";
import { ResourceTablePage } from "@/components/ResourceTablePage";
import { ToneTag } from "@/components/ToneTag";
import { useFormProblem } from "@/components/useFormProblem";
import { certificationQuery, profilesQuery } from "@/lib/api/queries";
import { INVOICE_TYPES, type InvoiceType, type Profile } from "@/lib/api/types";
import { useDeleteProfile, useSaveProfile } from "./api/profiles";

const BANK_FIELDS = ["bank_name", "bank_account", "registered_address", "registered_phone"] as const;
const FIELDS = ["invoice_type", "title", "taxpayer_id", ...BANK_FIELDS, "is_default"] as const;

type BankField = (typeof BANK_FIELDS)[number];
type Values = { invoice_type: InvoiceType; is_default?: boolean } & Partial<Record<BankField, string>>;

const LABELS: Record<BankField, "profiles.bankName" | "profiles.bankAccount" | "profiles.registeredAddress" | "profiles.registeredPhone"> = {
  bank_name: "profiles.bankName",
  bank_account: "profiles.bankAccount",
  registered_address: "profiles.registeredAddress",
  registered_phone: "profiles.registeredPhone",
};

function blankTo<T>(value: string | undefined, empty: T): string | T {
  return value && value.trim() ? value.trim() : empty;
}

function ProfileForm({ profile, onDone }: { profile: Profile | null; onDone: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const problem = useFormProblem(form, FIELDS);
  const certification = useQuery(certificationQuery());
  const save = useSaveProfile(profile?.id ?? null);
  const type = Form.useWatch("invoice_type", form) ?? profile?.invoice_type ?? "vat_ordinary";
  const special = type === "vat_special";

  const submit = (values: Values) => {
    // An update clears an emptied bank field (null); a creation leaves it out.
    const bank = profile
      ? Object.fromEntries(BANK_FIELDS.map((field) => [field, blankTo(values[field], null)]))
      : Object.fromEntries(BANK_FIELDS.flatMap((field) => (values[field]?.trim() ? [[field, values[field].trim()]] : [])));
    problem.clear();
    save.mutate(
      { invoice_type: values.invoice_type, is_default: values.is_default ?? false, ...bank },
      {
        onError: problem.show,
        onSuccess: () => {
          void message.success(t("app.saved"));
          onDone();
        },
      },
    );
  };

  const cert = certification.data;
  return (
    <Form
      form={form}
      layout="vertical"
      initialValues={
        profile
          ? {
              invoice_type: profile.invoice_type,
              is_default: profile.is_default,
              ...Object.fromEntries(BANK_FIELDS.map((field) => [field, profile[field] ?? ""])),
            }
          : { invoice_type: "vat_ordinary", is_default: false }
      }
      onFinish={submit}
    >
      <ProblemAlert error={problem.error} rest={problem.rest} />
      {cert?.status === "certified" && (
        <Alert
          type="info"
          style={{ marginBottom: 16 }}
          title={t("profiles.headerFromCertification", { title: cert.enterprise_name, taxpayerId: cert.taxpayer_id })}
        />
      )}
      <Form.Item name="invoice_type" label={t("profiles.type")} rules={[{ required: true }]}>
        <Radio.Group optionType="button" options={INVOICE_TYPES.map((value) => ({ value, label: t(`invoiceType.${value}`) }))} />
      </Form.Item>
      {special && <Alert type="warning" showIcon title={t("profiles.specialNeeds")} style={{ marginBottom: 16 }} />}
      {BANK_FIELDS.map((field) => (
        <Form.Item key={field} name={field} label={t(LABELS[field])} rules={[{ required: special }]}>
          <Input maxLength={200} />
        </Form.Item>
      ))}
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

export function ProfilesPage() {
  const { t } = useTranslation();
  const profiles = useQuery(profilesQuery());
  const certification = useQuery(certificationQuery());
  const remove = useDeleteProfile();
  const uncertified = certification.data?.status === "uncertified";

  return (
    <ResourceTablePage<Profile>
      title={t("profiles.title")}
      newLabel={t("profiles.new")}
      editTitle={t("profiles.editTitle")}
      emptyText={t("profiles.empty")}
      deleteConfirm={t("profiles.deleteConfirm")}
      items={profiles.data?.data ?? []}
      loading={profiles.isPending}
      error={profiles.error}
      deletion={remove}
      newDisabled={uncertified}
      modalWidth={640}
      notice={
        uncertified && (
          <Alert
            type="warning"
            showIcon
            title={t("profiles.needsCertification")}
            action={<Link to="/certification">{t("nav.certification")}</Link>}
          />
        )
      }
      renderForm={(profile, done) => <ProfileForm profile={profile} onDone={done} />}
      columns={[
        { title: t("profiles.type"), dataIndex: "invoice_type", render: (type: InvoiceType) => t(`invoiceType.${type}`) },
        { title: t("profiles.titleField"), dataIndex: "title" },
        { title: t("profiles.taxpayerId"), dataIndex: "taxpayer_id" },
        { title: t("profiles.bankName"), dataIndex: "bank_name", render: (v: string | null) => v ?? "—" },
        { title: t("profiles.bankAccount"), dataIndex: "bank_account", render: (v: string | null) => v ?? "—" },
        {
          title: t("profiles.usable"),
          dataIndex: "usable",
          render: (usable: boolean) =>
            usable ? (
              <ToneTag tone="success">{t("profiles.usable")}</ToneTag>
            ) : (
              <Tooltip title={t("profiles.unusableHelp")}>
                <span tabIndex={0}>
                  <ToneTag tone="danger">{t("profiles.unusable")}</ToneTag>
                </span>
              </Tooltip>
            ),
        },
        { title: t("profiles.isDefault"), dataIndex: "is_default", render: (d: boolean) => (d ? t("app.yes") : "") },
      ]}
    />
  );
}
