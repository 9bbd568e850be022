// The finance queue: every account's requests (the customer's name beside its id), newest first,
// filtered by status and account.
import { Space, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { RequestList } from "@/components/request/RequestList";

export function QueuePage() {
  const { t } = useTranslation();
  return (
    <Space orientation="vertical" size="large" style={{ width: "100%" }}>
      <Typography.Title level={1} className="page-title" style={{ fontSize: 24 }}>
        {t("finance.title")}
      </Typography.Title>
      <RequestList audience="finance" pageSize={20} detailPath={(id) => `/finance/requests/${id}`} />
    </Space>
  );
}
