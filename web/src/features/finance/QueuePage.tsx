// The finance queue: every account's requests, newest first, filtered by status and account.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Card, Form, Input, Select, Space, Table, Typography } from "antd";
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

const PAGE_SIZE = 20;

export function QueuePage() {
  const { t } = useTranslation();
  const [status, setStatus] = useState<Status | undefined>();
  const [accountId, setAccountId] = useState<string | undefined>();
  const pages = useCursorPages();
  const list = useQuery({
    queryKey: ["finance-queue", status, accountId, pages.cursor],
    queryFn: () =>
      call(
        api.GET("/v1/invoice-requests", {
          params: { query: { limit: PAGE_SIZE, cursor: pages.cursor, status, account_id: accountId } },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  return (
    <Space orientation="vertical" size="large" style={{ width: "100%" }}>
      <Typography.Title level={1} className="page-title" style={{ fontSize: 24 }}>
        {t("finance.title")}
      </Typography.Title>
      <ProblemAlert error={list.error} />
      <Card>
        <Form layout="inline" style={{ marginBottom: 16 }}>
          <Form.Item label={t("requests.status")} htmlFor="queue-status">
            <Select<Status | "all">
              id="queue-status"
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
          </Form.Item>
          <Form.Item label={t("requests.accountFilter")} htmlFor="queue-account">
            <Input.Search
              id="queue-account"
              allowClear
              style={{ width: 340 }}
              onSearch={(value) => {
                setAccountId(value.trim() || undefined);
                pages.reset();
              }}
            />
          </Form.Item>
        </Form>
        <Table<InvoiceRequestSummary>
          rowKey="id"
          loading={list.isFetching}
          dataSource={(list.data?.data ?? [])}
          pagination={false}
          scroll={{ x: true }}
          locale={{ emptyText: t("requests.empty") }}
          columns={[
            { title: t("requests.created"), dataIndex: "created_at", render: (v: string) => <DateTime value={v} /> },
            { title: t("requests.account"), dataIndex: "account_id", render: (v: string) => <code>{v}</code> },
            { title: t("profiles.titleField"), dataIndex: "title" },
            { title: t("requests.type"), dataIndex: "invoice_type", render: (v: InvoiceType) => t(`invoiceType.${v}`) },
            { title: t("requests.amount"), dataIndex: "amount", align: "right", render: (v: string) => <Money amount={v} /> },
            { title: t("requests.status"), dataIndex: "status", render: (v: Status) => <StatusTag status={v} /> },
            {
              title: t("app.actions"),
              key: "view",
              render: (_: unknown, request) => <Link to={`/finance/requests/${request.id}`}>{t("app.view")}</Link>,
            },
          ]}
        />
        <CursorPager pages={pages} hasMore={list.data?.has_more ?? false} nextCursor={list.data?.next_cursor} />
      </Card>
    </Space>
  );
}
