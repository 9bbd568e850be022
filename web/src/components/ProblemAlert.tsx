// An API error as the user sees it: one message, and the field errors no form field took (by a
// human label, never the raw path); the ones a form field took are shown only there.
import { Alert } from "antd";
import { useTranslation } from "react-i18next";
import { ApiError, fieldLabel, problemTitle, type FieldProblem } from "@/lib/problem";

export function ProblemAlert({
  error,
  rest,
  labels,
}: {
  error: unknown;
  /** The errors no form field took (all of them when omitted). */
  rest?: FieldProblem[];
  /** Labels of the form's fields, by top-level field name. */
  labels?: Readonly<Record<string, string>>;
}) {
  const { t } = useTranslation();
  if (!error) return null;
  const all = error instanceof ApiError ? (error.problem.errors ?? []) : [];
  const extra = rest ?? all;
  const titles = { checkFields: t("problems.checkFields"), invalid: t("problems.invalid") };
  const detail =
    error instanceof ApiError
      ? error.status === 0
        ? t("errors.network")
        : (problemTitle(error.problem, titles, extra.length < all.length) ?? error.message)
      : error instanceof Error
        ? error.message
        : typeof error === "string"
          ? error
          : JSON.stringify(error);
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
            {extra.map((item) => {
              const label = fieldLabel(item.field, labels);
              return <li key={`${item.field}:${item.message}`}>{label ? `${label}: ${item.message}` : item.message}</li>;
            })}
          </ul>
        ) : undefined
      }
    />
  );
}
