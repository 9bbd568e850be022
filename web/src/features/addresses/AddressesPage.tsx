// Sending addresses: where paper invoices are posted and electronic ones emailed (with cc emails).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Card, Checkbox, Form, Input, Modal, Popconfirm, Select, Space, Table, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ProblemAlert } from "@/components/ProblemAlert";
import { useFormProblem } from "@/components/useFormProblem";
import { api, call } from "@/lib/api/client";
import type { Address } from "@/lib/api/types";

const OPTIONAL = ["email", "address", "postal_code"] as const;
const FIELDS = ["recipient", "phone", ...OPTIONAL, "cc_emails", "is_default"] as const;

type Optional = (typeof OPTIONAL)[number];
type Values = { recipient: string; phone: string; cc_emails?: string[]; is_default?: boolean } & Partial<Record<Optional, string>>;

function AddressForm({ address, onDone }: { address: Address | null; onDone: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const problem = useFormProblem(form, FIELDS);

  const save = useMutation({
    mutationFn: (values: Values) => {
      const cc = (values.cc_emails ?? []).map((email) => email.trim()).filter(Boolean);
      const base = { recipient: values.recipient.trim(), phone: values.phone.trim(), is_default: values.is_default ?? false, cc_emails: cc };
      if (address) {
        const body = { ...base, ...Object.fromEntries(OPTIONAL.map((f) => [f, values[f]?.trim() ? values[f].trim() : null])) };
        return call(api.PATCH("/v1/mailing-addresses/{address_id}", { params: { path: { address_id: address.id } }, body }));
      }
      const body = { ...base, ...Object.fromEntries(OPTIONAL.flatMap((f) => (values[f]?.trim() ? [[f, values[f].trim()]] : []))) };
      return call(api.POST("/v1/mailing-addresses", { body }));
    },
    onMutate: problem.clear,
    onError: problem.show,
    onSuccess: async () => {
      void message.success(t("app.saved"));
      await queryClient.invalidateQueries();
      onDone();
    },
  });

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
      onFinish={(values) => save.mutate(values)}
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
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<Address | "new" | null>(null);
  const addresses = useQuery({
    queryKey: ["mailing-addresses"],
    queryFn: () => call(api.GET("/v1/mailing-addresses", { params: { query: { limit: 100 } } })),
  });
  const remove = useMutation({
    mutationFn: (id: string) => call(api.DELETE("/v1/mailing-addresses/{address_id}", { params: { path: { address_id: id } } })),
    onSuccess: async () => {
      void message.success(t("app.deleted"));
      await queryClient.invalidateQueries();
    },
  });

  return (
    <Space orientation="vertical" size="large" style={{ width: "100%" }}>
      <Typography.Title level={1} className="page-title" style={{ fontSize: 24 }}>
        {t("addresses.title")}
      </Typography.Title>
      <ProblemAlert error={addresses.error ?? remove.error} />
      <Card
        extra={
          <Button type="primary" onClick={() => setEditing("new")}>
            {t("addresses.new")}
          </Button>
        }
      >
        <Table<Address>
          rowKey="id"
          loading={addresses.isPending}
          dataSource={(addresses.data?.data ?? [])}
          pagination={false}
          scroll={{ x: true }}
          locale={{ emptyText: t("addresses.empty") }}
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
            {
              title: t("app.actions"),
              key: "actions",
              render: (_: unknown, address) => (
                <Space>
                  <Button size="small" onClick={() => setEditing(address)}>
                    {t("app.edit")}
                  </Button>
                  <Popconfirm title={t("addresses.deleteConfirm")} onConfirm={() => remove.mutate(address.id)} okText={t("app.delete")} cancelText={t("app.cancel")}>
                    <Button size="small" danger>
                      {t("app.delete")}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <Modal
        open={editing !== null}
        title={editing === "new" ? t("addresses.new") : t("addresses.editTitle")}
        footer={null}
        onCancel={() => setEditing(null)}
        destroyOnHidden
        width={600}
      >
        {editing !== null && <AddressForm address={editing === "new" ? null : editing} onDone={() => setEditing(null)} />}
      </Modal>
    </Space>
  );
}
