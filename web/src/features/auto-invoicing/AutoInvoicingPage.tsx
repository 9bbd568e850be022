// Automatic monthly invoicing: on or off, with the invoice information and address it requests with.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Card, Form, Select, Space, Switch, Typography } from "antd";
import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { DateTime } from "@/components/DateTime";
import { ProblemAlert } from "@/components/ProblemAlert";
import { useFormProblem } from "@/components/useFormProblem";
import { api, call, type Schemas } from "@/lib/api/client";

const FIELDS = ["enabled", "profile_id", "address_id"] as const;

interface Values {
  enabled: boolean;
  profile_id?: string | null;
  address_id?: string | null;
}

export function AutoInvoicingPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const problem = useFormProblem(form, FIELDS);
  const settings = useQuery({ queryKey: ["auto-invoicing"], queryFn: () => call(api.GET("/v1/auto-invoicing")) });
  const profiles = useQuery({
    queryKey: ["invoice-profiles"],
    queryFn: () => call(api.GET("/v1/invoice-profiles", { params: { query: { limit: 100 } } })),
  });
  const addresses = useQuery({
    queryKey: ["mailing-addresses"],
    queryFn: () => call(api.GET("/v1/mailing-addresses", { params: { query: { limit: 100 } } })),
  });
  const save = useMutation({
    mutationFn: (values: Values) => {
      const body: Schemas["AutoInvoicingPut"] = {
        enabled: values.enabled,
        ...(values.profile_id ? { profile_id: values.profile_id } : {}),
        ...(values.address_id ? { address_id: values.address_id } : {}),
      };
      return call(api.PUT("/v1/auto-invoicing", { body }));
    },
    onMutate: problem.clear,
    onError: problem.show,
    onSuccess: async () => {
      void message.success(t("autoInvoicing.saved"));
      await queryClient.invalidateQueries({ queryKey: ["auto-invoicing"] });
    },
  });

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
        <Form form={form} layout="vertical" onFinish={(values) => save.mutate(values)} initialValues={{ enabled: false }}>
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
