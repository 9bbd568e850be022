// Automatic monthly invoicing: on or off, with the invoice information and address it requests with.
import { useQuery } from "@tanstack/react-query";
import { App, Button, Card, Form, Select, Space, Switch, Typography } from "antd";
import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { DateTime } from "@/components/DateTime";
import { ProblemAlert } from "@/components/ProblemAlert";
import { useFormProblem } from "@/components/useFormProblem";
import type { Schemas } from "@/lib/api/client";
import { addressesQuery, profilesQuery } from "@/lib/api/queries";
import { autoInvoicingQuery, useSaveAutoInvoicing } from "./api/autoInvoicing";

const FIELDS = ["enabled", "profile_id", "address_id"] as const;

interface Values {
  enabled: boolean;
  profile_id?: string | null;
  address_id?: string | null;
}

export function AutoInvoicingPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const problem = useFormProblem(form, FIELDS);
  const settings = useQuery(autoInvoicingQuery());
  const profiles = useQuery(profilesQuery());
  const addresses = useQuery(addressesQuery());
  const save = useSaveAutoInvoicing();
  const submit = (values: Values) => {
    const body: Schemas["AutoInvoicingPut"] = {
      enabled: values.enabled,
      ...(values.profile_id ? { profile_id: values.profile_id } : {}),
      ...(values.address_id ? { address_id: values.address_id } : {}),
    };
    problem.clear();
    save.mutate(body, { onError: problem.show, onSuccess: () => void message.success(t("autoInvoicing.saved")) });
  };

  useEffect(() => {
    if (settings.data) form.setFieldsValue(settings.data);
  }, [settings.data, form]);

  return (
    <Space orientation="vertical" size="large" style={{ width: "100%", maxWidth: 720 }}>
      <Typography.Title level={1} className="page-title" style={{ fontSize: 24 }}>
        {t("autoInvoicing.title")}
      </Typography.Title>
      <Typography.Paragraph>{t("autoInvoicing.intro")}</Typography.Paragraph>
      <ProblemAlert error={settings.error} />
      <Card loading={settings.isPending}>
        <ProblemAlert error={problem.error} rest={problem.rest} />
        <Form form={form} layout="vertical" onFinish={submit} initialValues={{ enabled: false }}>
          <Form.Item name="enabled" label={t("autoInvoicing.enabled")} valuePropName="checked">
            <Switch />
          </Form.Item>
          <Form.Item name="profile_id" label={t("autoInvoicing.profile")} extra={<Link to="/invoice-information">{t("wizard.manageProfiles")}</Link>}>
            <Select
              allowClear
              options={(profiles.data?.data ?? []).map((profile) => ({
                value: profile.id,
                disabled: !profile.usable,
                label: `${t(`invoiceType.${profile.invoice_type}`)} · ${profile.title}${profile.usable ? "" : ` (${t("profiles.unusable")})`}`,
              }))}
            />
          </Form.Item>
          <Form.Item name="address_id" label={t("autoInvoicing.address")} extra={<Link to="/sending-addresses">{t("wizard.manageAddresses")}</Link>}>
            <Select
              allowClear
              options={(addresses.data?.data ?? []).map((address) => ({
                value: address.id,
                label: [address.recipient, address.phone, address.email, address.address].filter(Boolean).join(" · "),
              }))}
            />
          </Form.Item>
          <Space>
            <Button type="primary" htmlType="submit" loading={save.isPending}>
              {t("app.save")}
            </Button>
            {settings.data?.updated_at && (
              <Typography.Text type="secondary">
                {t("autoInvoicing.updatedAt")}: <DateTime value={settings.data.updated_at} />
              </Typography.Text>
            )}
          </Space>
        </Form>
      </Card>
    </Space>
  );
}
