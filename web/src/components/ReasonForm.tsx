// A reason in a dialog: finance rejecting or reversing, the customer re-issuing.
import { Button, Form, Input, Space } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ProblemAlert } from "@/components/ProblemAlert";
import { useFormProblem } from "@/components/useFormProblem";

export function ReasonForm({ onSubmit, onCancel, submitLabel }: { onSubmit: (reason: string) => Promise<unknown>; onCancel: () => void; submitLabel: string }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ reason: string }>();
  const problem = useFormProblem(form, ["reason"]);
  const [busy, setBusy] = useState(false);
  return (
    <Form
      form={form}
      layout="vertical"
      onFinish={async ({ reason }) => {
        setBusy(true);
        problem.clear();
        try {
          await onSubmit(reason.trim());
        } catch (cause) {
          problem.show(cause);
        } finally {
          setBusy(false);
        }
      }}
    >
      <ProblemAlert error={problem.error} rest={problem.rest} />
      <Form.Item name="reason" label={t("finance.reason")} rules={[{ required: true, whitespace: true, message: t("finance.reasonRequired") }]}>
        <Input.TextArea rows={3} maxLength={500} />
      </Form.Item>
      <Space>
        <Button type="primary" danger htmlType="submit" loading={busy}>
          {submitLabel}
        </Button>
        <Button onClick={onCancel}>{t("app.cancel")}</Button>
      </Space>
    </Form>
  );
}

