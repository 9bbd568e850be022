// Deliver: paper invoices with the carrier and the tracking number, electronic ones by email.
import { Button, Form, Input, Space, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ProblemAlert } from "@/components/ProblemAlert";
import { useFormProblem } from "@/components/useFormProblem";
import type { InvoiceRequest } from "@/lib/api/types";

export function DeliverForm({ request, onSubmit, onCancel }: { request: InvoiceRequest; onSubmit: (body: { carrier?: string; tracking_number?: string }) => Promise<unknown>; onCancel: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ carrier?: string; tracking_number?: string }>();
  const problem = useFormProblem(form, ["carrier", "tracking_number"]);
  const [busy, setBusy] = useState(false);
  // Paper invoices are posted: the API says a tracking number is needed.
  const paper = request.tracking_number_required;
  return (
    <Form
      form={form}
      layout="vertical"
      onFinish={async (values) => {
        setBusy(true);
        problem.clear();
        const carrier = values.carrier?.trim();
        const tracking = values.tracking_number?.trim();
        try {
          await onSubmit({ ...(carrier ? { carrier } : {}), ...(tracking ? { tracking_number: tracking } : {}) });
        } catch (cause) {
          problem.show(cause);
        } finally {
          setBusy(false);
        }
      }}
    >
      <Typography.Paragraph>{paper ? t("finance.deliverPaper") : t("finance.deliverElectronic")}</Typography.Paragraph>
      <ProblemAlert error={problem.error} rest={problem.rest} />
      {paper && (
        <>
          <Form.Item name="carrier" label={t("requests.carrier")}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="tracking_number" label={t("requests.trackingNumber")} rules={[{ required: true }]}>
            <Input maxLength={100} />
          </Form.Item>
        </>
      )}
      <Space>
        <Button type="primary" htmlType="submit" loading={busy}>
          {t("finance.moves.deliver")}
        </Button>
        <Button onClick={onCancel}>{t("app.cancel")}</Button>
      </Space>
    </Form>
  );
}

