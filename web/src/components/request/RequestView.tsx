// One invoice request as customers and finance both see it: lines, snapshots, invoices and files,
// delivery, timeline; each line's tax terms, the draft (the invoices issuing will produce) with its PDF
// preview, and each issued invoice's lines. Actions are passed in by the page (they differ by role).
import { Button, Card, Col, Descriptions, Row, Space, Table, Timeline, Typography } from "antd";
import { ToneTag } from "@/components/ToneTag";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { DateTime } from "@/components/DateTime";
import { Money } from "@/components/Money";
import { StatusTag } from "@/components/StatusTag";
import { isInvoiceType, type Invoice, type InvoiceFile, type InvoiceRequest } from "@/lib/api/types";
import { formatRate, toFen } from "@/lib/money";
import { InvoiceLines } from "./InvoiceLines";
import { RedLetterCard } from "./RedLetterCard";
import { eventNote, itemLabel } from "./wording";

export interface RequestViewProps {
  request: InvoiceRequest;
  actions?: ReactNode;
  onDownload?: (invoice: Invoice, file: InvoiceFile) => void;
  invoiceExtra?: (invoice: Invoice) => ReactNode;
  showAccount?: boolean;
  /** Opens the draft's PDF preview (the page fetches it with the key); no button without it. */
  onPreviewDraft?: () => void;
  previewingDraft?: boolean;
}

export function RequestView({
  request,
  actions,
  onDownload,
  invoiceExtra,
  showAccount,
  onPreviewDraft,
  previewingDraft,
}: RequestViewProps) {
  const { t } = useTranslation();
  const profile = request.profile;
  const address = request.address;
  return (
    <Space orientation="vertical" size="large" style={{ width: "100%" }}>
      <Card
        title={
          <Space>
            <span>{t("requests.detail")}</span>
            <StatusTag status={request.status} />
          </Space>
        }
        extra={actions}
      >
        <Descriptions
          column={{ xs: 1, md: 2, xl: 3 }}
          items={[
            { key: "amount", label: t("requests.amount"), children: <Money amount={request.amount} /> },
            { key: "type", label: t("requests.type"), children: t(`invoiceType.${request.invoice_type}`) },
            { key: "seller", label: t("bySeller.seller"), children: request.seller.name },
            { key: "created", label: t("requests.created"), children: <DateTime value={request.created_at} /> },
            ...(showAccount
              ? [{ key: "account", label: t("requests.account"), children: <code>{request.account_id}</code> }]
              : []),
            { key: "id", label: "ID", children: <code>{request.id}</code> },
            ...(request.remark ? [{ key: "remark", label: t("requests.remark"), children: request.remark }] : []),
          ]}
        />
      </Card>

      <Card title={t("requests.lines")}>
        <Table
          rowKey={(line) => `${line.kind}:${line.id}:${line.amount}`}
          pagination={false}
          dataSource={request.items}
          columns={[
            { title: t("requests.kind"), dataIndex: "kind", render: (kind: "bill" | "stored_value_card") => t(`kind.${kind}`) },
            {
              title: t("requests.item"),
              dataIndex: "label",
              render: (_: string, line) =>
                toFen(line.amount) < 0n ? (
                  <Space orientation="vertical" size={0}>
                    <span>{itemLabel(t, line)}</span>
                    <Typography.Text type="secondary">{t("requests.negativeLine")}</Typography.Text>
                  </Space>
                ) : (
                  itemLabel(t, line)
                ),
            },
            { title: t("tax.itemName"), dataIndex: "item_name" },
            { title: t("tax.rate"), dataIndex: "tax_rate", align: "right", render: (rate: string) => formatRate(rate) },
            { title: t("tax.categoryCode"), dataIndex: "tax_category_code", render: (code: string) => <code>{code}</code> },
            { title: t("requests.amount"), dataIndex: "amount", align: "right", render: (amount: string) => <Money amount={amount} /> },
          ]}
          summary={() => (
            <Table.Summary.Row>
              <Table.Summary.Cell index={0} colSpan={5}>
                <strong>{t("money.total")}</strong>
              </Table.Summary.Cell>
              <Table.Summary.Cell index={1} align="right">
                <strong>
                  <Money amount={request.amount} />
                </strong>
              </Table.Summary.Cell>
            </Table.Summary.Row>
          )}
        />
      </Card>

      <Card
        title={t("draft.title")}
        data-testid="draft"
        extra={
          onPreviewDraft && (
            <Button onClick={onPreviewDraft} loading={previewingDraft}>
              {t("draft.previewPdf")}
            </Button>
          )
        }
      >
        <Typography.Paragraph type="secondary">{t("draft.caption")}</Typography.Paragraph>
        {request.draft.invoices.length === 0 && <Typography.Text type="secondary">{t("draft.empty")}</Typography.Text>}
        <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
          {request.draft.invoices.map((invoice, index) => (
            <div key={index}>
              <Typography.Title level={5}>
                {t("draft.invoice", { index: index + 1, count: request.draft.invoices.length })}
              </Typography.Title>
              <InvoiceLines invoice={invoice} testId={`draft-invoice-${index + 1}`} />
            </div>
          ))}
        </Space>
      </Card>

      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card title={t("requests.profileSnapshot")} style={{ height: "100%" }}>
            <Descriptions
              column={1}
              size="small"
              items={[
                { key: "type", label: t("profiles.type"), children: isInvoiceType(profile.invoice_type) ? t(`invoiceType.${profile.invoice_type}`) : profile.invoice_type },
                { key: "title", label: t("profiles.titleField"), children: profile.title },
                { key: "tax", label: t("profiles.taxpayerId"), children: profile.taxpayer_id },
                { key: "bank", label: t("profiles.bankName"), children: profile.bank_name ?? "—" },
                { key: "account", label: t("profiles.bankAccount"), children: profile.bank_account ?? "—" },
                { key: "raddr", label: t("profiles.registeredAddress"), children: profile.registered_address ?? "—" },
                { key: "rphone", label: t("profiles.registeredPhone"), children: profile.registered_phone ?? "—" },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t("requests.addressSnapshot")} style={{ height: "100%" }}>
            <Descriptions
              column={1}
              size="small"
              items={[
                { key: "recipient", label: t("addresses.recipient"), children: address.recipient },
                { key: "phone", label: t("addresses.phone"), children: address.phone },
                { key: "email", label: t("addresses.email"), children: address.email ?? "—" },
                ...(address.cc_emails && address.cc_emails.length > 0
                  ? [{ key: "cc", label: t("addresses.ccEmails"), children: address.cc_emails.join(", ") }]
                  : []),
                { key: "address", label: t("addresses.address"), children: address.address ?? "—" },
                { key: "postal", label: t("addresses.postalCode"), children: address.postal_code ?? "—" },
              ]}
            />
          </Card>
        </Col>
      </Row>

      {request.invoices.length > 0 && (
        <Card title={t("requests.invoices")}>
          <Table
            rowKey="number"
            pagination={false}
            dataSource={request.invoices}
            expandable={{
              expandedRowRender: (invoice: Invoice) => <InvoiceLines invoice={invoice} testId={`invoice-lines-${invoice.number}`} />,
              rowExpandable: (invoice: Invoice) => invoice.lines.length > 0,
            }}
            columns={[
              { title: t("requests.invoiceNumber"), dataIndex: "number" },
              {
                title: t("tax.amountExcludingTax"),
                dataIndex: "amount_excluding_tax",
                align: "right",
                render: (amount: string) => <Money amount={amount} />,
              },
              { title: t("tax.taxAmount"), dataIndex: "tax_amount", align: "right", render: (amount: string) => <Money amount={amount} /> },
              { title: t("requests.amount"), dataIndex: "amount", align: "right", render: (amount: string) => <Money amount={amount} /> },
              { title: t("requests.issuedAt"), dataIndex: "issued_at", render: (at: string) => <DateTime value={at} /> },
              {
                title: t("requests.files"),
                key: "files",
                render: (_: unknown, invoice: Invoice) => (
                  <Space wrap>
                    {(invoice.files ?? []).length === 0 && <Typography.Text type="secondary">{t("requests.noFiles")}</Typography.Text>}
                    {(invoice.files ?? []).map((file) => (
                      <Button key={file.format} size="small" onClick={() => onDownload?.(invoice, file)}>
                        {t("requests.download", { format: file.format.toUpperCase() })}
                      </Button>
                    ))}
                    {invoiceExtra?.(invoice)}
                  </Space>
                ),
              },
            ]}
          />
        </Card>
      )}

      {request.red_letter && <RedLetterCard letter={request.red_letter} />}

      {(request.delivery || request.tracking_number) && (
        <Card title={t("requests.delivery")}>
          <Descriptions
            column={{ xs: 1, md: 2 }}
            items={[
              ...(request.tracking_number
                ? [
                    { key: "carrier", label: t("requests.carrier"), children: request.carrier ?? "—" },
                    { key: "tracking", label: t("requests.trackingNumber"), children: request.tracking_number },
                  ]
                : []),
              ...(request.delivery
                ? [
                    {
                      key: "status",
                      label: t("requests.status"),
                      children: (
                        <ToneTag tone={request.delivery.status === "sent" ? "success" : request.delivery.status === "failed" ? "danger" : "warning"}>
                          {t(`requests.deliveryStatus.${request.delivery.status}`)}
                        </ToneTag>
                      ),
                    },
                    { key: "to", label: t("requests.deliveryTo"), children: request.delivery.to.join(", ") },
                    { key: "attempts", label: t("requests.attempts"), children: request.delivery.attempts },
                    { key: "sent", label: t("requests.sentAt"), children: <DateTime value={request.delivery.sent_at} /> },
                    ...(request.delivery.last_error
                      ? [{ key: "error", label: t("requests.lastError"), children: request.delivery.last_error }]
                      : []),
                  ]
                : []),
            ]}
          />
        </Card>
      )}

      <Card title={t("requests.timeline")}>
        <Timeline
          items={request.events.map((event, index) => ({
            key: index,
            color: event.status === "rejected" || event.status === "reversed" ? "red" : "blue",
            content: (
              <Space orientation="vertical" size={0}>
                <Space wrap>
                  <StatusTag status={event.status} />
                  <DateTime value={event.at} />
                  <Typography.Text type="secondary" data-testid="event-actor">
                    {event.actor.name
                      ? t("actorNamed", { role: t(`actor.${event.actor_role}`), name: event.actor.name })
                      : t(`actor.${event.actor_role}`)}
                  </Typography.Text>
                </Space>
                {event.note && <Typography.Text>{eventNote(t, event, request)}</Typography.Text>}
              </Space>
            ),
          }))}
        />
      </Card>
    </Space>
  );
}
