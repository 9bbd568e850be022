// Invoice information: list, new, edit, delete; the fields follow the invoice type.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Alert, Button, Card, Checkbox, Form, Input, Modal, Popconfirm, Radio, Space, Table, Tooltip, Typography } from "antd";
import { ToneTag } from "@/components/ToneTag";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { ProblemAlert } from "@/components/ProblemAlert";
import { useFormProblem } from "@/components/useFormProblem";
import { api, call } from "@/lib/api/client";
import { INVOICE_TYPES, type InvoiceType, type Profile } from "@/lib/api/types";

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
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const problem = useFormProblem(form, FIELDS);
  const certification = useQuery({ queryKey: ["certification"], queryFn: () => call(api.GET("/v1/certification")) });
  const type = Form.useWatch("invoice_type", form) ?? profile?.invoice_type ?? "vat_ordinary";
  const special = type === "vat_special";

  const save = useMutation({
    mutationFn: (values: Values) => {
      if (profile) {
        const body = {
          invoice_type: values.invoice_type,
          is_default: values.is_default ?? false,
          ...Object.fromEntries(BANK_FIELDS.map((field) => [field, blankTo(values[field], null)])),
        };
        return call(api.PATCH("/v1/invoice-profiles/{profile_id}", { params: { path: { profile_id: profile.id } }, body }));
      }
      const body = {
        invoice_type: values.invoice_type,
        is_default: values.is_default ?? false,
        ...Object.fromEntries(
          BANK_FIELDS.flatMap((field) => (values[field]?.trim() ? [[field, values[field].trim()]] : [])),
        ),
      };
      return call(api.POST("/v1/invoice-profiles", { body }));
    },
    onMutate: problem.clear,
    onError: problem.show,
    onSuccess: async () => {
      void message.success(t("app.saved"));
      await queryClient.invalidateQueries();
      onDone();
    },
  });

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
      onFinish={(values) => save.mutate(values)}
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
        <Radio.Group
          optionType="button"
          options={INVOICE_TYPES.map((value) => ({ value, label: t(`invoiceType.${value}`) }))}
        />
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
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<Profile | "new" | null>(null);
  const profiles = useQuery({
    queryKey: ["invoice-profiles"],
    queryFn: () => call(api.GET("/v1/invoice-profiles", { params: { query: { limit: 100 } } })),
  });
  const certification = useQuery({ queryKey: ["certification"], queryFn: () => call(api.GET("/v1/certification")) });
  const remove = useMutation({
    mutationFn: (id: string) => call(api.DELETE("/v1/invoice-profiles/{profile_id}", { params: { path: { profile_id: id } } })),
    onSuccess: async () => {
      void message.success(t("app.deleted"));
      await queryClient.invalidateQueries();
    },
  });
  const uncertified = certification.data?.status === "uncertified";

  return (
    <Space orientation="vertical" size="large" style={{ width: "100%" }}>
      <Typography.Title level={1} className="page-title" style={{ fontSize: 24 }}>
        {t("profiles.title")}
      </Typography.Title>
      {uncertified && (
        <Alert
          type="warning"
          showIcon
          title={t("profiles.needsCertification")}
          action={<Link to="/certification">{t("nav.certification")}</Link>}
        />
      )}
      <ProblemAlert error={profiles.error ?? remove.error} />
      <Card
        extra={
          <Button type="primary" onClick={() => setEditing("new")} disabled={uncertified}>
            {t("profiles.new")}
          </Button>
        }
      >
        <Table<Profile>
          rowKey="id"
          loading={profiles.isPending}
          dataSource={profiles.data?.data ?? []}
          pagination={false}
          locale={{ emptyText: t("profiles.empty") }}
          scroll={{ x: true }}
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
                    <span tabIndex={0}><ToneTag tone="danger">{t("profiles.unusable")}</ToneTag></span>
                  </Tooltip>
                ),
            },
            { title: t("profiles.isDefault"), dataIndex: "is_default", render: (d: boolean) => (d ? t("app.yes") : "") },
            {
              title: t("app.actions"),
              key: "actions",
              render: (_: unknown, profile) => (
                <Space>
                  <Button size="small" onClick={() => setEditing(profile)}>
                    {t("app.edit")}
                  </Button>
                  <Popconfirm title={t("profiles.deleteConfirm")} onConfirm={() => remove.mutate(profile.id)} okText={t("app.delete")} cancelText={t("app.cancel")}>
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
        title={editing === "new" ? t("profiles.new") : t("profiles.editTitle")}
        footer={null}
        onCancel={() => setEditing(null)}
        destroyOnHidden
        width={640}
      >
        {editing !== null && <ProfileForm profile={editing === "new" ? null : editing} onDone={() => setEditing(null)} />}
      </Modal>
    </Space>
  );
}
