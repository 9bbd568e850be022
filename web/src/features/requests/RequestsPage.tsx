// Requested invoices: the customer's requests, newest first, filtered by status, paged.
import { Space, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { RequestList } from "@/components/request/RequestList";

export function RequestsPage() {
  const { t } = useTranslation();
  return (
    <Space orientation="vertical" size="large" style={{ width: "100%" }}>
      <Typography.Title level={1} className="page-title" style={{ fontSize: 24 }}>
        {t("requests.title")}
      </Typography.Title>
      <RequestList audience="customer" pageSize={10} detailPath={(id) => `/requests/${id}`} />
    </Space>
  );
}
