// Invoice requests as a list: newest first, filtered by status (and, on the finance desk, by
// account), paged with the API's cursors. The customer's Requested Invoices and the finance queue.
import { useQuery } from "@tanstack/react-query";
import { Card, Form, Input, Select, Space, Table } from "antd";
import type { ColumnsType } from "antd/es/table";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { CursorPager, useCursorPages } from "@/components/CursorPager";
import { DateTime } from "@/components/DateTime";
import { Money } from "@/components/Money";
import { ProblemAlert } from "@/components/ProblemAlert";
import { StatusTag } from "@/components/StatusTag";
import { requestListQuery } from "@/lib/api/queries";
import { STATUSES, type InvoiceRequestSummary, type InvoiceType, type Status } from "@/lib/api/types";

export type Audience = "customer" | "finance";

export interface RequestListProps {
  /** Finance sees every account: the account column (name and id) and the account filter. */
  audience: Audience;
  detailPath: (id: string) => string;
  pageSize: number;
}

export function RequestList({ audience, detailPath, pageSize }: RequestListProps) {
  const { t } = useTranslation();
  const [status, setStatus] = useState<Status | undefined>();
  const [accountId, setAccountId] = useState<string | undefined>();
  const pages = useCursorPages();
  const finance = audience === "finance";
  const list = useQuery(requestListQuery({ limit: pageSize, cursor: pages.cursor, status, accountId }));

  const columns: ColumnsType<InvoiceRequestSummary> = [
    { title: t("requests.created"), dataIndex: "created_at", render: (v: string) => <DateTime value={v} /> },
    ...(finance
      ? [
          {
            title: t("requests.account"),
            dataIndex: "account_name",
            render: (name: string, request: InvoiceRequestSummary) => (
              <Space orientation="vertical" size={0}>
                <span>{name}</span>
                <code>{request.account_id}</code>
              </Space>
            ),
          },
          { title: t("profiles.titleField"), dataIndex: "title" },
        ]
      : []),
    { title: t("requests.type"), dataIndex: "invoice_type", render: (v: InvoiceType) => t(`invoiceType.${v}`) },
    { title: t("requests.amount"), dataIndex: "amount", align: "right", render: (v: string) => <Money amount={v} /> },
    { title: t("requests.status"), dataIndex: "status", render: (v: Status) => <StatusTag status={v} /> },
    {
      title: t("app.actions"),
      key: "view",
      render: (_: unknown, request: InvoiceRequestSummary) => <Link to={detailPath(request.id)}>{t("app.view")}</Link>,
    },
  ];

  return (
    <>
      <ProblemAlert error={list.error} />
      <Card>
        <Form layout="inline" style={{ marginBottom: 16, rowGap: 8 }}>
          <Form.Item label={t("requests.status")} htmlFor={`${audience}-status`}>
            <Select<Status | "all">
              id={`${audience}-status`}
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
          {finance && (
            <Form.Item label={t("requests.accountFilter")} htmlFor="finance-account">
              <Input.Search
                id="finance-account"
                allowClear
                style={{ width: 340, maxWidth: "100%" }}
                onSearch={(value) => {
                  setAccountId(value.trim() || undefined);
                  pages.reset();
                }}
              />
            </Form.Item>
          )}
        </Form>
        <Table<InvoiceRequestSummary>
          rowKey="id"
          loading={list.isFetching}
          dataSource={list.data?.data ?? []}
          pagination={false}
          scroll={{ x: true }}
          locale={{ emptyText: t("requests.empty") }}
          columns={columns}
        />
        <CursorPager pages={pages} hasMore={list.data?.has_more ?? false} nextCursor={list.data?.next_cursor} />
      </Card>
    </>
  );
}
