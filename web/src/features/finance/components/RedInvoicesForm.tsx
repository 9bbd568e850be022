// Record the red-letter invoices of a reversal: one number per issued (blue) invoice.
import { Button, Form, Input, Space, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ProblemAlert } from "@/components/ProblemAlert";
import { useFormProblem } from "@/components/useFormProblem";
import type { InvoiceRequest } from "@/lib/api/types";
import type { RedInvoicesBody } from "@/features/finance/api/moves";

export function RedInvoicesForm({
  request,
  onSubmit,
  onCancel,
}: {
  request: InvoiceRequest;
  onSubmit: (body: RedInvoicesBody) => Promise<unknown>;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ numbers: string[] }>();
  const problem = useFormProblem(form, []);
  const [busy, setBusy] = useState(false);
  return (
    <Form
      form={form}
      layout="vertical"
      onFinish={async ({ numbers }) => {
        setBusy(true);
        problem.clear();
        try {
          await onSubmit({
            invoices: request.invoices.map((blue, index) => ({ number: (numbers[index] ?? "").trim(), blue_number: blue.number })),
          });
        } catch (cause) {
          problem.show(cause);
        } finally {
          setBusy(false);
        }
      }}
    >
      <ProblemAlert error={problem.error} rest={problem.rest} />
      <Typography.Paragraph>{t("finance.redIntro")}</Typography.Paragraph>
      {request.invoices.map((blue, index) => (
        <Form.Item
          key={blue.number}
          name={["numbers", index]}
          label={t("finance.redNumberFor", { number: blue.number })}
          rules={[{ required: true, whitespace: true, message: t("finance.numberRequired") }]}
        >
          <Input maxLength={64} autoComplete="off" />
        </Form.Item>
      ))}
      <Space>
        <Button type="primary" danger htmlType="submit" loading={busy}>
          {t("finance.moves.record_red_invoices")}
        </Button>
        <Button onClick={onCancel}>{t("app.cancel")}</Button>
      </Space>
    </Form>
  );
}
