// One request on the finance desk: exactly the moves `allowed_moves` offers, each with its form, and
// the file uploads while it offers `upload_file`.
import { useMutation, useQuery } from "@tanstack/react-query";
import { Alert, App, Button, Modal, Popconfirm, Space, Spin, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { ProblemAlert } from "@/components/ProblemAlert";
import { RequestView } from "@/components/request/RequestView";
import { downloadDraftPdf, downloadInvoiceFile } from "@/lib/api/files";
import { requestQuery, taxPlatformQuery } from "@/lib/api/queries";
import type { FileFormat, Move } from "@/lib/api/types";
import { useMove, type MoveCall } from "./api/moves";
import { DeliverForm } from "./components/DeliverForm";
import { IssueForm } from "./components/IssueForm";
import { ReasonForm } from "@/components/ReasonForm";
import { RedInvoicesForm } from "./components/RedInvoicesForm";
import { UploadFile } from "./components/UploadFile";

type Dialog = "issue" | "deliver" | "reject" | "reverse" | "record_red_invoices" | null;

/** The status moves finance makes with a button (the customer's `cancel`, `resend` are not its). */
const DESK_MOVES: readonly Move[] = ["start", "issue", "deliver", "reject", "reverse", "record_red_invoices"];

export function FinanceRequestPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { requestId = "" } = useParams();
  const [dialog, setDialog] = useState<Dialog>(null);
  const request = useQuery(requestQuery(requestId));
  // Issuing through a platform is offered only when the service has one (INVOICING_TAX_PLATFORM).
  const platform = useQuery(taxPlatformQuery());
  const withPlatform = platform.data !== undefined && platform.data !== "manual";
  const download = useMutation({
    mutationFn: ({ number, format }: { number: string; format: FileFormat }) => downloadInvoiceFile(requestId, number, format),
  });
  const preview = useMutation({ mutationFn: () => downloadDraftPdf(requestId) });
  const move = useMove(requestId);

  const done = (text: string) => {
    setDialog(null);
    void message.success(text);
  };
  /** For the forms: resolves when the move is made, rejects with the API's refusal for the form. */
  const make = (variables: MoveCall, text: string) => move.mutateAsync(variables).then(() => done(text));

  const data = request.data;
  const moves = (data?.allowed_moves ?? []).filter((m) => DESK_MOVES.includes(m));
  const button = (m: Move) => {
    switch (m) {
      case "start":
        return (
          <Popconfirm
            key={m}
            title={t("confirm.startProcessing")}
            onConfirm={() => move.mutate({ move: "start" }, { onSuccess: () => done(t("finance.started")) })}
            okText={t("app.confirm")}
            cancelText={t("app.cancel")}
          >
            <Button type="primary" loading={move.isPending && move.variables.move === "start"}>
              {t("finance.moves.start")}
            </Button>
          </Popconfirm>
        );
      case "reject":
      case "reverse":
      case "record_red_invoices":
        return (
          <Button key={m} danger onClick={() => setDialog(m)}>
            {t(`finance.moves.${m}`)}
          </Button>
        );
      case "issue":
        return (
          <Space key={m} wrap>
            <Button type="primary" onClick={() => setDialog(m)}>
              {t("finance.moves.issue")}
            </Button>
            {withPlatform && (
            <Popconfirm
              title={t("finance.confirmIssueViaPlatform")}
              onConfirm={() =>
                move.mutate({ move: "issue", body: { via: "tax_platform" } }, { onSuccess: () => done(t("finance.submittedToPlatform")) })
              }
              okText={t("app.confirm")}
              cancelText={t("app.cancel")}
            >
              <Button loading={move.isPending && move.variables.move === "issue"}>{t("finance.issueViaPlatform")}</Button>
            </Popconfirm>
            )}
          </Space>
        );
      case "deliver":
        return (
          <Button key={m} type="primary" onClick={() => setDialog(m)}>
            {t(`finance.moves.${m}`)}
          </Button>
        );
      default:
        return null;
    }
  };

  // A start refused is shown on the page; the dialogs' refusals are shown in their forms.
  // Likewise issuing via the tax platform, which has no form.
  const called = move.variables;
  const viaPlatform = called?.move === "issue" && called.body.via === "tax_platform";
  const startError = called?.move === "start" || viaPlatform ? move.error : null;
  return (
    <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
      <Link to="/finance">← {t("finance.title")}</Link>
      <ProblemAlert error={request.error ?? startError ?? download.error ?? preview.error} />
      {request.isPending && <Spin />}
      {data?.issue_error && (
        <Alert
          type="error"
          showIcon
          data-testid="issue-error"
          title={t("finance.issueError", { code: data.issue_error.code, message: data.issue_error.message })}
        />
      )}
      {data && (
        <RequestView
          request={data}
          showAccount
          onDownload={(invoice, file) => download.mutate({ number: invoice.number, format: file.format })}
          onPreviewDraft={() => preview.mutate()}
          previewingDraft={preview.isPending}
          invoiceExtra={(invoice) =>
            data.allowed_moves.includes("upload_file") ? (
              <UploadFile
                requestId={data.id}
                invoice={invoice}
                onUploaded={(format) => done(t("finance.uploaded", { format: format.toUpperCase(), number: invoice.number }))}
              />
            ) : null
          }
          actions={
            <Space wrap data-testid="moves">
              {moves.length === 0 ? <Typography.Text type="secondary">{t("finance.noMoves")}</Typography.Text> : moves.map(button)}
            </Space>
          }
        />
      )}
      {data && (
        <Modal
          open={dialog !== null}
          title={
            dialog === "issue"
              ? t("finance.issueTitle")
              : dialog === "deliver"
                ? t("finance.deliverTitle")
                : dialog === "reject"
                  ? t("finance.rejectTitle")
                  : dialog === "record_red_invoices"
                    ? t("finance.redTitle")
                    : t("finance.reverseTitle")
          }
          footer={null}
          onCancel={() => setDialog(null)}
          destroyOnHidden
          width={720}
        >
          {dialog === "issue" && (
            <IssueForm
              amount={data.amount}
              draftAmounts={data.draft.invoices.map((invoice) => invoice.amount)}
              onSubmit={(body) => make({ move: "issue", body }, t("finance.issued"))}
              onCancel={() => setDialog(null)}
            />
          )}
          {dialog === "deliver" && (
            <DeliverForm request={data} onSubmit={(body) => make({ move: "deliver", body }, t("finance.delivered"))} onCancel={() => setDialog(null)} />
          )}
          {dialog === "reject" && (
            <ReasonForm
              onSubmit={(reason) => make({ move: "reject", reason }, t("finance.rejected"))}
              onCancel={() => setDialog(null)}
              submitLabel={t("finance.moves.reject")}
            />
          )}
          {dialog === "record_red_invoices" && (
            <RedInvoicesForm
              request={data}
              onSubmit={(body) => make({ move: "record_red_invoices", body }, t("finance.redRecorded"))}
              onCancel={() => setDialog(null)}
            />
          )}
          {dialog === "reverse" && (
            <ReasonForm
              onSubmit={(reason) => make({ move: "reverse", reason }, t("finance.reversed"))}
              onCancel={() => setDialog(null)}
              submitLabel={t("finance.moves.reverse")}
            />
          )}
        </Modal>
      )}
    </Space>
  );
}
