// A request's red-letter reversal as customers and finance both see it: why, whether the buyer must
// agree and by when, and the red-letter invoices once recorded.
import { Card, Descriptions, Table } from "antd";
import { useTranslation } from "react-i18next";
import { DateTime } from "@/components/DateTime";
import { Money } from "@/components/Money";
import { ToneTag } from "@/components/ToneTag";
import type { InvoiceRequest } from "@/lib/api/types";

type RedLetter = NonNullable<InvoiceRequest["red_letter"]>;

const TONE = { awaiting_buyer: "warning", not_required: "info", confirmed: "success", declined: "danger", expired: "neutral" } as const;

export function RedLetterCard({ letter }: { letter: RedLetter }) {
  const { t } = useTranslation();
  return (
    <Card title={t("redLetter.title")}>
      <Descriptions
        column={{ xs: 1, md: 2 }}
        items={[
          {
            key: "confirmation",
            label: t("redLetter.confirmation"),
            children: <ToneTag tone={TONE[letter.confirmation]}>{t(`redLetter.confirmations.${letter.confirmation}`)}</ToneTag>,
          },
          ...(letter.expires_at && letter.confirmation === "awaiting_buyer"
            ? [{ key: "deadline", label: t("redLetter.deadline"), children: <DateTime value={letter.expires_at} /> }]
            : []),
          { key: "reasonCode", label: t("redLetter.reasonCode"), children: t(`redLetter.reasonCodes.${letter.reason_code}`) },
          { key: "reason", label: t("finance.reason"), children: letter.reason },
          { key: "usage", label: t("redLetter.buyerUsage"), children: t(`redLetter.usages.${letter.buyer_usage}`) },
          ...(letter.form_no ? [{ key: "form", label: t("redLetter.formNo"), children: letter.form_no }] : []),
          { key: "requested", label: t("redLetter.requestedAt"), children: <DateTime value={letter.requested_at} /> },
        ]}
      />
      {letter.red_invoices.length > 0 && (
        <Table
          rowKey="number"
          pagination={false}
          dataSource={letter.red_invoices}
          columns={[
            { title: t("redLetter.redNumber"), dataIndex: "number" },
            { title: t("redLetter.blueNumber"), dataIndex: "blue_number" },
            { title: t("requests.amount"), dataIndex: "amount", align: "right", render: (amount: string) => <Money amount={amount} /> },
            { title: t("requests.issuedAt"), dataIndex: "issued_at", render: (at: string) => <DateTime value={at} /> },
          ]}
        />
      )}
    </Card>
  );
}
