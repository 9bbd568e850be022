// Issue one or several invoices for a request: the form starts from the draft's split (one invoice per
// draft invoice, within the seller's limit), shows what remains and refuses a wrong sum before sending.
import { Alert, Button, Form, Input, Space, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Money } from "@/components/Money";
import { ProblemAlert } from "@/components/ProblemAlert";
import { useFormProblem } from "@/components/useFormProblem";
import { formatMoney } from "@/lib/money";
import { checkSplit } from "./split";

export interface IssueValues {
  invoices: { number: string; amount: string }[];
}

export function IssueForm({
  amount,
  draftAmounts = [],
  onSubmit,
  onCancel,
}: {
  amount: string;
  /** The draft invoices' amounts: the split the form starts from (none: one invoice of the whole amount). */
  draftAmounts?: string[];
  onSubmit: (values: IssueValues) => Promise<unknown>;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm<IssueValues>();
  const problem = useFormProblem(form, ["invoices"]);
  const [mismatch, setMismatch] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const invoices = Form.useWatch("invoices", form) ?? [];
  const check = checkSplit(amount, invoices.map((invoice) => invoice?.amount));

  const finish = async (values: IssueValues) => {
    const result = checkSplit(amount, values.invoices.map((invoice) => invoice.amount));
    if (!result.ok) {
      setMismatch(t("finance.sumMismatch", { sum: formatMoney(result.sum), amount: formatMoney(amount) }));
      return;
    }
    setMismatch(null);
    setBusy(true);
    problem.clear();
    try {
      await onSubmit({ invoices: values.invoices.map((invoice) => ({ number: invoice.number.trim(), amount: invoice.amount.trim() })) });
    } catch (cause) {
      problem.show(cause);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Form form={form} layout="vertical" onFinish={finish} initialValues={{
        invoices: draftAmounts.length > 0 ? draftAmounts.map((part) => ({ number: "", amount: part })) : [{ number: "", amount }],
      }}>
      <Typography.Paragraph>{t("finance.issueIntro", { amount: formatMoney(amount) })}</Typography.Paragraph>
      <ProblemAlert error={problem.error} rest={problem.rest} />
      <Form.List name="invoices">
        {(fields, { add, remove }) => (
          <>
            {fields.map((field, index) => (
              <Space key={field.key} align="start" wrap>
                <Form.Item
                  name={[field.name, "number"]}
                  label={`${t("requests.invoiceNumber")} ${index + 1}`}
                  rules={[{ required: true, message: t("finance.numberRequired") }]}
                >
                  <Input style={{ width: 240 }} maxLength={64} />
                </Form.Item>
                <Form.Item
                  name={[field.name, "amount"]}
                  label={`${t("requests.amount")} ${index + 1}`}
                  rules={[{ required: true, pattern: /^\d{1,12}(\.\d{1,2})?$/, message: t("finance.badAmount") }]}
                >
                  <Input style={{ width: 160 }} inputMode="decimal" />
                </Form.Item>
                {fields.length > 1 && (
                  <Button
                    style={{ marginTop: 30 }}
                    onClick={() => remove(field.name)}
                    aria-label={t("finance.removeInvoice", { index: index + 1 })}
                  >
                    −
                  </Button>
                )}
              </Space>
            ))}
            <Button onClick={() => add({ number: "", amount: check.remaining.startsWith("-") ? "" : check.remaining })}>
              {t("finance.addInvoice")}
            </Button>
          </>
        )}
      </Form.List>
      <div style={{ margin: "16px 0" }} aria-live="polite" data-testid="issue-remaining">
        {t("finance.remaining")}: <Money amount={check.remaining} />
      </div>
      {mismatch && <Alert type="error" showIcon role="alert" title={mismatch} style={{ marginBottom: 16 }} />}
      <Space>
        <Button type="primary" htmlType="submit" loading={busy}>
          {t("finance.moves.issue")}
        </Button>
        <Button onClick={onCancel}>{t("app.cancel")}</Button>
      </Space>
    </Form>
  );
}
