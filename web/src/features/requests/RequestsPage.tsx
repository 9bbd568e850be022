// Requested invoices: newest first, filtered by status, paged with the API's cursors.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Card, Select, Space, Table, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { CursorPager, useCursorPages } from "@/components/CursorPager";
import { DateTime } from "@/components/DateTime";
import { Money } from "@/components/Money";
import { ProblemAlert } from "@/components/ProblemAlert";
import { StatusTag } from "@/components/StatusTag";
import { api, call } from "@/lib/api/client";
import { STATUSES, type InvoiceRequestSummary, type InvoiceType, type Status } from "@/lib/api/types";

const PAGE_SIZE = 10;

export function RequestsPage() {
  const { t } = useTranslation();
  const [status, setStatus] = useState<Status | undefined>();
  const pages = useCursorPages();
  const list = useQuery({
    queryKey: ["invoice-requests", status, pages.cursor],
    queryFn: () =>
      call(api.GET("/v1/invoice-requests", { params: { query: { limit: PAGE_SIZE, cursor: pages.cursor, status } } })),
    placeholderData: keepPreviousData,
  });

  return (
    <Space orientation="vertical" size="large" style={{ width: "100%" }}>
      <Typography.Title level={1} className="page-title" style={{ fontSize: 24 }}>
        {t("requests.title")}
      </Typography.Title>
      <ProblemAlert error={list.error} />
      <Card
        extra={
          <Select<Status | "all">
            aria-label={t("requests.status")}
            style={{ width: 180 }}
            value={status ?? "all"}
            onChange={(value) => {
              setStatus(value === "all" ? undefined : value);
              pages.reset();
            }}
            options={[
              { value: "all", label: t("requests.allStatuses") },
              ...STATUSES.map((value) => ({ value, label: t(`status.${value}`) })),
            ]}
          />
        }
      >
        <Table<InvoiceRequestSummary>
          rowKey="id"
          loading={list.isFetching}
          dataSource={(list.data?.data ?? [])}
          pagination={false}
          scroll={{ x: true }}
          locale={{ emptyText: t("requests.empty") }}
          columns={[
            { title: t("requests.created"), dataIndex: "created_at", render: (v: string) => <DateTime value={v} /> },
            { title: t("requests.type"), dataIndex: "invoice_type", render: (v: InvoiceType) => t(`invoiceType.${v}`) },
            { title: t("requests.amount"), dataIndex: "amount", align: "right", render: (v: string) => <Money amount={v} /> },
            { title: t("requests.status"), dataIndex: "status", render: (v: Status) => <StatusTag status={v} /> },
            {
              title: t("app.actions"),
              key: "view",
              render: (_: unknown, request) => (
<Link to={`/requests/${request.id}`}>{t("app.view")}</Link>
              ),
            },
          ]}
        />
        <CursorPager pages={pages} hasMore={list.data?.has_more ?? false} nextCursor={list.data?.next_cursor} />
      </Card>
    </Space>
  );
}
