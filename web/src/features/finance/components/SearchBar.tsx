// The finance queue's search: every filter of the list; applied together when the form is submitted.
import { Button, Checkbox, Form, Input, Select, Space } from "antd";
import { useTranslation } from "react-i18next";
import { INVOICE_TYPES, STATUSES, type InvoiceType, type Status } from "@/lib/api/types";
import type { DeskFilters } from "@/features/finance/api/desk";

interface Fields {
  status?: Status | "all";
  invoice_type?: InvoiceType | "all";
  title?: string;
  invoice_number?: string;
  taxpayer_id?: string;
  account_id?: string;
  amount_min?: string;
  amount_max?: string;
  issued_from?: string;
  issued_to?: string;
  overdue?: boolean;
}

function filtersOf(fields: Fields): DeskFilters {
  const text = (value: string | undefined) => value?.trim() || undefined;
  return {
    status: fields.status === "all" ? undefined : fields.status,
    invoice_type: fields.invoice_type === "all" ? undefined : fields.invoice_type,
    title: text(fields.title),
    invoice_number: text(fields.invoice_number),
    taxpayer_id: text(fields.taxpayer_id),
    account_id: text(fields.account_id),
    amount_min: text(fields.amount_min),
    amount_max: text(fields.amount_max),
    issued_from: text(fields.issued_from),
    issued_to: text(fields.issued_to),
    overdue: fields.overdue || undefined,
  };
}

export function SearchBar({ onSearch }: { onSearch: (filters: DeskFilters) => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<Fields>();
  const text = (name: keyof Fields, label: string, width = 200, placeholder?: string) => (
    <Form.Item name={name} label={label} htmlFor={`desk-${name}`}>
      <Input id={`desk-${name}`} allowClear style={{ width }} placeholder={placeholder} />
    </Form.Item>
  );
  return (
    <Form<Fields>
      form={form}
      layout="inline"
      style={{ marginBottom: 16, rowGap: 8 }}
      initialValues={{ status: "all", invoice_type: "all", overdue: false }}
      onFinish={(fields) => onSearch(filtersOf(fields))}
    >
      {text("title", t("desk.title"), 220)}
      {text("invoice_number", t("desk.invoiceNumber"))}
      {text("taxpayer_id", t("desk.taxpayerId"))}
      <Form.Item name="status" label={t("requests.status")} htmlFor="desk-status">
        <Select<Status | "all">
          id="desk-status"
          style={{ width: 160 }}
          options={[
            { value: "all", label: t("requests.allStatuses") },
            ...STATUSES.map((value) => ({ value, label: t(`status.${value}`) })),
          ]}
        />
      </Form.Item>
      <Form.Item name="invoice_type" label={t("requests.type")} htmlFor="desk-invoice_type">
        <Select<InvoiceType | "all">
          id="desk-invoice_type"
          style={{ width: 200 }}
          options={[
            { value: "all", label: t("desk.allTypes") },
            ...INVOICE_TYPES.map((value) => ({ value, label: t(`invoiceType.${value}`) })),
          ]}
        />
      </Form.Item>
      {text("amount_min", t("desk.amountMin"), 120, "0.00")}
      {text("amount_max", t("desk.amountMax"), 120, "0.00")}
      {text("issued_from", t("desk.issuedFrom"), 140, "YYYY-MM-DD")}
      {text("issued_to", t("desk.issuedTo"), 140, "YYYY-MM-DD")}
      {text("account_id", t("requests.accountFilter"), 320)}
      <Form.Item name="overdue" valuePropName="checked">
        <Checkbox id="desk-overdue">{t("desk.overdueOnly")}</Checkbox>
      </Form.Item>
      <Form.Item>
        <Space>
          <Button type="primary" htmlType="submit">
            {t("desk.search")}
          </Button>
          <Button
            onClick={() => {
              form.resetFields();
              onSearch({});
            }}
          >
            {t("desk.clear")}
          </Button>
        </Space>
      </Form.Item>
    </Form>
  );
}
