// The finance queue: every account's requests, newest first, searched by every filter of the list;
// overdue requests tagged; the same search exported as CSV or XLSX; many requests started or
// rejected at once, with each one's result beside it.
import { useQuery } from "@tanstack/react-query";
import { Alert, Button, Card, Input, Modal, Space, Table, Typography } from "antd";
import type { ColumnsType } from "antd/es/table";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { CursorPager, useCursorPages } from "@/components/CursorPager";
import { DateTime } from "@/components/DateTime";
import { Money } from "@/components/Money";
import { ProblemAlert } from "@/components/ProblemAlert";
import { StatusTag } from "@/components/StatusTag";
import { ToneTag } from "@/components/ToneTag";
import type { InvoiceRequestSummary, InvoiceType, Status } from "@/lib/api/types";
import {
  deskPageQuery,
  exportRequests,
  useBulkMove,
  type BulkMove,
  type BulkResult,
  type DeskFilters,
  type ExportFormat,
} from "./api/desk";
import { SearchBar } from "./components/SearchBar";

const PAGE_SIZE = 20;

export function QueuePage() {
  const { t } = useTranslation();
  const [filters, setFilters] = useState<DeskFilters>({});
  const [selected, setSelected] = useState<string[]>([]);
  const [results, setResults] = useState<Record<string, BulkResult>>({});
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState("");
  const [exportError, setExportError] = useState<unknown>(null);
  const [exporting, setExporting] = useState<ExportFormat | null>(null);
  const pages = useCursorPages();
  const list = useQuery(deskPageQuery(filters, PAGE_SIZE, pages.cursor));
  const bulk = useBulkMove();

  const runBulk = (move: BulkMove, why?: string) =>
    bulk.mutate(
      { move, ids: selected, reason: why },
      {
        onSuccess: (answer) => {
          setResults(Object.fromEntries(answer.results.map((result) => [result.id, result])));
          setSelected([]);
          setRejecting(false);
          setReason("");
        },
      },
    );

  const download = async (format: ExportFormat) => {
    setExportError(null);
    setExporting(format);
    try {
      await exportRequests(filters, format);
    } catch (error) {
      setExportError(error);
    } finally {
      setExporting(null);
    }
  };

  const columns: ColumnsType<InvoiceRequestSummary> = [
    { title: t("requests.created"), dataIndex: "created_at", render: (v: string) => <DateTime value={v} /> },
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
    { title: t("requests.type"), dataIndex: "invoice_type", render: (v: InvoiceType) => t(`invoiceType.${v}`) },
    { title: t("requests.amount"), dataIndex: "amount", align: "right", render: (v: string) => <Money amount={v} /> },
    {
      title: t("requests.status"),
      dataIndex: "status",
      render: (v: Status, request: InvoiceRequestSummary) => (
        <Space size={4} wrap>
          <StatusTag status={v} />
          {request.overdue && (
            <ToneTag tone="danger" testId="overdue-tag">
              {t("desk.overdue")}
            </ToneTag>
          )}
        </Space>
      ),
    },
    { title: t("desk.dueAt"), dataIndex: "due_at", render: (v: string) => <DateTime value={v} /> },
    {
      title: t("desk.result"),
      key: "result",
      render: (_: unknown, request: InvoiceRequestSummary) => {
        const result = results[request.id];
        if (!result) return null;
        return result.ok ? (
          <ToneTag tone="success" testId="bulk-result">
            {t("desk.moved", { status: t(`status.${result.status ?? request.status}`) })}
          </ToneTag>
        ) : (
          <ToneTag tone="danger" testId="bulk-result">
            {t(`desk.refused.${result.code === "invalid_transition" ? "invalid_transition" : "other"}`, {
              code: result.code,
            })}
          </ToneTag>
        );
      },
    },
    {
      title: t("app.actions"),
      key: "view",
      render: (_: unknown, request: InvoiceRequestSummary) => (
        <Link to={`/finance/requests/${request.id}`}>{t("app.view")}</Link>
      ),
    },
  ];

  return (
    <Space orientation="vertical" size="large" style={{ width: "100%" }}>
      <Typography.Title level={1} className="page-title" style={{ fontSize: 24 }}>
        {t("finance.title")}
      </Typography.Title>
      <ProblemAlert error={list.error} />
      <ProblemAlert error={bulk.error} />
      <ProblemAlert error={exportError} />
      <Card>
        <SearchBar
          onSearch={(next) => {
            setFilters(next);
            setSelected([]);
            pages.reset();
          }}
        />
        <Space wrap style={{ marginBottom: 16 }}>
          <Button disabled={selected.length === 0} loading={bulk.isPending} onClick={() => runBulk("start")}>
            {t("desk.bulkStart", { count: selected.length })}
          </Button>
          <Button danger disabled={selected.length === 0 || bulk.isPending} onClick={() => setRejecting(true)}>
            {t("desk.bulkReject", { count: selected.length })}
          </Button>
          <Button loading={exporting === "csv"} onClick={() => void download("csv")}>
            {t("desk.exportCsv")}
          </Button>
          <Button loading={exporting === "xlsx"} onClick={() => void download("xlsx")}>
            {t("desk.exportXlsx")}
          </Button>
        </Space>
        {Object.keys(results).length > 0 && (
          <Alert
            type="info"
            showIcon
            style={{ marginBottom: 16 }}
            title={t("desk.bulkSummary", {
              ok: Object.values(results).filter((result) => result.ok).length,
              total: Object.keys(results).length,
            })}
          />
        )}
        {/* Scrolled by its box, not by the table's `scroll`: that one measures the columns in an
            aria-hidden row, and the select-all box in it would be focusable yet hidden (axe). */}
        <div style={{ overflowX: "auto" }}>
        <Table<InvoiceRequestSummary>
          rowKey="id"
          loading={list.isFetching}
          dataSource={list.data?.data ?? []}
          pagination={false}
          locale={{ emptyText: t("requests.empty") }}
          columns={columns}
          rowSelection={{
            selectedRowKeys: selected,
            onChange: (keys) => setSelected(keys.map(String)),
            getCheckboxProps: (request) => ({ "aria-label": t("desk.select", { title: request.title }) }),
          }}
        />
        </div>
        <CursorPager pages={pages} hasMore={list.data?.has_more ?? false} nextCursor={list.data?.next_cursor} />
      </Card>
      <Modal
        open={rejecting}
        title={t("desk.rejectTitle", { count: selected.length })}
        okText={t("finance.moves.reject")}
        okButtonProps={{ danger: true, disabled: reason.trim() === "", loading: bulk.isPending }}
        onOk={() => runBulk("reject", reason.trim())}
        onCancel={() => setRejecting(false)}
      >
        <label htmlFor="desk-reason">{t("desk.reason")}</label>
        <Input.TextArea id="desk-reason" rows={3} value={reason} onChange={(event) => setReason(event.target.value)} />
      </Modal>
    </Space>
  );
}
