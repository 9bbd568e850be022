// An API error as the user sees it: the problem's detail, and any field errors no form field took.
import { Alert } from "antd";
import { useTranslation } from "react-i18next";
import { ApiError, type FieldProblem } from "@/lib/problem";

export function ProblemAlert({ error, rest }: { error: unknown; rest?: FieldProblem[] }) {
  const { t } = useTranslation();
  if (!error) return null;
  const detail =
    error instanceof ApiError
      ? error.status === 0
        ? t("errors.network")
        : (error.problem.detail ?? error.message)
      : error instanceof Error
        ? error.message
        : typeof error === "string"
          ? error
          : JSON.stringify(error);
  const extra = rest ?? (error instanceof ApiError ? (error.problem.errors ?? []) : []);
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      style={{ marginBottom: 16 }}
      title={detail}
      description={
        extra.length > 0 ? (
          <ul style={{ margin: 0, paddingInlineStart: 20 }}>
            {extra.map((item) => (
              <li key={`${item.field}:${item.message}`}>
                <code>{item.field}</code>: {item.message}
              </li>
            ))}
          </ul>
        ) : undefined
      }
    />
  );
}
