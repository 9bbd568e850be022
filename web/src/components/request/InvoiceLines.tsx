// One invoice's lines (a draft invoice or an issued one): item name, tax category code, rate, and the
// amounts including and excluding tax, with the invoice's three totals underneath.
import { Table } from "antd";
import { useTranslation } from "react-i18next";
import { Money } from "@/components/Money";
import type { InvoiceLine } from "@/lib/api/types";
import { formatRate } from "@/lib/money";

export interface InvoiceTotals {
  amount: string;
  amount_excluding_tax: string;
  tax_amount: string;
  lines: InvoiceLine[];
}

export function InvoiceLines({ invoice, testId }: { invoice: InvoiceTotals; testId?: string }) {
  const { t } = useTranslation();
  return (
    <Table
      size="small"
      data-testid={testId}
      // An invoice holds one line per item name, code and rate (the draft groups them).
      rowKey={(line) => `${line.item_name}:${line.tax_category_code}:${line.tax_rate}`}
      pagination={false}
      dataSource={invoice.lines}
      columns={[
        { title: t("tax.itemName"), dataIndex: "item_name" },
        { title: t("tax.categoryCode"), dataIndex: "tax_category_code", render: (code: string) => <code>{code}</code> },
        { title: t("tax.rate"), dataIndex: "tax_rate", align: "right", render: (rate: string) => formatRate(rate) },
        {
          title: t("tax.amountExcludingTax"),
          dataIndex: "amount_excluding_tax",
          align: "right",
          render: (amount: string) => <Money amount={amount} />,
        },
        { title: t("tax.taxAmount"), dataIndex: "tax_amount", align: "right", render: (amount: string) => <Money amount={amount} /> },
        { title: t("tax.amountIncludingTax"), dataIndex: "amount", align: "right", render: (amount: string) => <Money amount={amount} /> },
      ]}
      summary={() => (
        <Table.Summary.Row>
          <Table.Summary.Cell index={0} colSpan={3}>
            <strong>{t("money.total")}</strong>
          </Table.Summary.Cell>
          <Table.Summary.Cell index={1} align="right">
            <strong>
              <Money amount={invoice.amount_excluding_tax} />
            </strong>
          </Table.Summary.Cell>
          <Table.Summary.Cell index={2} align="right">
            <strong>
              <Money amount={invoice.tax_amount} />
            </strong>
          </Table.Summary.Cell>
          <Table.Summary.Cell index={3} align="right">
            <strong>
              <Money amount={invoice.amount} />
            </strong>
          </Table.Summary.Cell>
        </Table.Summary.Row>
      )}
    />
  );
}
