// Sign-in: paste an API key; it is kept in sessionStorage for this tab, never in the URL.
import { Alert, Button, Card, Form, Input, Typography } from "antd";
import { useState } from "react";
import { Trans, useTranslation } from "react-i18next";
import { Navigate, useNavigate } from "react-router";
import { ApiError } from "@/lib/problem";
import { useAuth } from "./AuthProvider";

export function SignInPage() {
  const { t } = useTranslation();
  const { session, ended, signIn } = useAuth();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (session) return <Navigate to={session.role === "finance" ? "/finance" : "/"} replace />;

  const onFinish = async ({ key }: { key: string }) => {
    setBusy(true);
    setError(null);
    try {
      const role = await signIn(key);
      void navigate(role === "finance" ? "/finance" : "/", { replace: true });
    } catch (cause) {
      if (cause instanceof ApiError && cause.status === 401) setError(t("auth.invalidKey"));
      else if (cause instanceof ApiError && cause.status === 403) setError(t("auth.wrongRole"));
      else if (cause instanceof ApiError && cause.status === 0) setError(t("errors.network"));
      else setError(cause instanceof Error ? cause.message : String(cause));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <Card style={{ maxWidth: 480, width: "100%" }}>
        <Typography.Title level={1} style={{ fontSize: 24 }}>
          {t("auth.title")}
        </Typography.Title>
        <Typography.Paragraph>{t("auth.intro")}</Typography.Paragraph>
        {ended && <Alert type="warning" showIcon title={t("app.sessionEnded")} style={{ marginBottom: 16 }} />}
        {error && <Alert type="error" showIcon title={error} role="alert" style={{ marginBottom: 16 }} />}
        <Form layout="vertical" onFinish={onFinish} requiredMark={false} autoComplete="off">
          <Form.Item name="key" label={t("auth.key")} rules={[{ required: true, message: t("auth.keyRequired") }]}>
            <Input.Password placeholder={t("auth.keyPlaceholder")} autoComplete="off" />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy} block>
            {t("auth.submit")}
          </Button>
        </Form>
        <Typography.Paragraph type="secondary" style={{ marginTop: 16, marginBottom: 0 }}>
          <Trans i18nKey="auth.demoHint" components={{ command: <code /> }} />
        </Typography.Paragraph>
      </Card>
    </main>
  );
}
