// Automatic monthly invoicing (SPEC §3): waits for GET/PUT /v1/auto-invoicing to land in the API.
import { Alert, Space, Typography } from "antd";
import { useTranslation } from "react-i18next";

export function AutoInvoicingPage() {
  const { t } = useTranslation();
  return (
    <Space orientation="vertical" size="large" style={{ width: "100%", maxWidth: 720 }}>
      <Typography.Title level={1} className="page-title" style={{ fontSize: 24 }}>
        {t("autoInvoicing.title")}
      </Typography.Title>
      <Typography.Paragraph>{t("autoInvoicing.intro")}</Typography.Paragraph>
      <Alert type="info" showIcon title={t("autoInvoicing.notAvailable")} />
    </Space>
  );
}
