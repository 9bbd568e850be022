// Real-name (enterprise) certification: the current state and the form that sets it.
import { useQuery } from "@tanstack/react-query";
import { App, Alert, Button, Card, Descriptions, Form, Input, Space, Typography } from "antd";
import { ToneTag } from "@/components/ToneTag";
import { useTranslation } from "react-i18next";
import { DateTime } from "@/components/DateTime";
import { ProblemAlert } from "@/components/ProblemAlert";
import { useFormProblem } from "@/components/useFormProblem";
import { certificationQuery } from "@/lib/api/queries";
import { useCertify } from "./api/certification";

const FIELDS = ["enterprise_name", "taxpayer_id"] as const;

interface Values {
  enterprise_name: string;
  taxpayer_id: string;
}

export function CertificationPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const problem = useFormProblem(form, FIELDS);
  const current = useQuery(certificationQuery());
  const certify = useCertify();
  const submit = (values: Values) => {
    problem.clear();
    certify.mutate(values, { onError: problem.show, onSuccess: () => void message.success(t("certification.done")) });
  };
  const certified = current.data?.status === "certified";

  return (
    <Space orientation="vertical" size="large" style={{ width: "100%", maxWidth: 720 }}>
      <Typography.Title level={1} className="page-title" style={{ fontSize: 24 }}>
        {t("certification.title")}
      </Typography.Title>
      <Typography.Paragraph>{t("certification.intro")}</Typography.Paragraph>
      <ProblemAlert error={current.error} />
      {current.data && (
        <Card>
          <Descriptions
            column={1}
            items={[
              {
                key: "status",
                label: t("certification.status"),
                children: (
                  <ToneTag tone={certified ? "success" : "warning"} testId="certification-status">
                    {certified ? t("certification.certified") : t("certification.uncertified")}
                  </ToneTag>
                ),
              },
              ...(certified
                ? [
                    { key: "name", label: t("certification.enterpriseName"), children: current.data.enterprise_name },
                    { key: "tax", label: t("certification.taxpayerId"), children: current.data.taxpayer_id },
                    { key: "at", label: t("certification.certifiedAt"), children: <DateTime value={current.data.certified_at} /> },
                  ]
                : []),
            ]}
          />
        </Card>
      )}
      <Card title={certified ? t("certification.recertify") : t("certification.submit")}>
        {certified && <Alert type="info" showIcon title={t("certification.recertifyWarning")} style={{ marginBottom: 16 }} />}
        <ProblemAlert error={problem.error} rest={problem.rest} />
        <Form form={form} layout="vertical" onFinish={submit}>
          <Form.Item name="enterprise_name" label={t("certification.enterpriseName")} rules={[{ required: true }]}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item
            name="taxpayer_id"
            label={t("certification.taxpayerId")}
            extra={t("certification.taxpayerIdHelp")}
            rules={[{ required: true }]}
          >
            <Input maxLength={18} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={certify.isPending}>
            {certified ? t("certification.recertify") : t("certification.submit")}
          </Button>
        </Form>
      </Card>
    </Space>
  );
}
