// One request as its customer sees it: Cancel, Resend, the red-letter answer (Confirm / Decline, with
// the deadline in the red-letter card) and Re-issue exactly when `allowed_moves` offers them; file
// downloads and the draft's PDF preview.
import { useMutation, useQuery } from "@tanstack/react-query";
import { App, Button, Form, Input, Modal, Popconfirm, Space, Spin } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import { ProblemAlert } from "@/components/ProblemAlert";
import { RequestView } from "@/components/request/RequestView";
import { useFormProblem } from "@/components/useFormProblem";
import { downloadDraftPdf, downloadInvoiceFile } from "@/lib/api/files";
import { requestQuery } from "@/lib/api/queries";
import type { FileFormat, InvoiceRequest } from "@/lib/api/types";
import { ReasonForm } from "@/components/ReasonForm";
import { useCancelRequest, useConfirmRedLetter, useDeclineRedLetter, useReissue, useResend } from "./api/requests";

function ResendForm({ request, onDone }: { request: InvoiceRequest; onDone: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ email?: string }>();
  const problem = useFormProblem(form, ["email"]);
  const resend = useResend(request.id);
  const submit = ({ email }: { email?: string }) => {
    problem.clear();
    resend.mutate(email?.trim() || undefined, {
      onError: problem.show,
      onSuccess: () => {
        void message.success(t("requests.resent"));
        onDone();
      },
    });
  };
  const snapshot = [request.address.email, ...(request.address.cc_emails ?? [])].filter(Boolean).join(", ");
  return (
    <Form form={form} layout="vertical" onFinish={submit}>
      <ProblemAlert error={problem.error} rest={problem.rest} />
      <Form.Item name="email" label={t("requests.resendTo", { email: snapshot })}>
        <Input type="email" maxLength={254} />
      </Form.Item>
      <Space>
        <Button type="primary" htmlType="submit" loading={resend.isPending}>
          {t("requests.resend")}
        </Button>
        <Button onClick={onDone}>{t("app.cancel")}</Button>
      </Space>
    </Form>
  );
}

export function RequestDetailPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { requestId = "" } = useParams();
  const request = useQuery(requestQuery(requestId));
  const [resending, setResending] = useState(false);
  const download = useMutation({
    mutationFn: ({ number, format }: { number: string; format: FileFormat }) => downloadInvoiceFile(requestId, number, format),
  });
  const preview = useMutation({ mutationFn: () => downloadDraftPdf(requestId) });
  const cancel = useCancelRequest(requestId);
  const confirmLetter = useConfirmRedLetter(requestId);
  const declineLetter = useDeclineRedLetter(requestId);
  const reissue = useReissue(requestId);
  const [reissuing, setReissuing] = useState(false);
  const [formNo, setFormNo] = useState("");
  const navigate = useNavigate();

  const data = request.data;
  const moves = data?.allowed_moves ?? [];
  return (
    <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
      <Link to="/requests">← {t("requests.title")}</Link>
      <ProblemAlert error={request.error ?? cancel.error ?? confirmLetter.error ?? declineLetter.error ?? download.error ?? preview.error} />
      {request.isPending && <Spin />}
      {data && (
        <RequestView
          request={data}
          onDownload={(invoice, file) => download.mutate({ number: invoice.number, format: file.format })}
          onPreviewDraft={() => preview.mutate()}
          previewingDraft={preview.isPending}
          actions={
            <Space>
              {moves.includes("cancel") && (
                <Popconfirm
                  title={t("requests.cancelConfirm")}
                  onConfirm={() => cancel.mutate(undefined, { onSuccess: () => void message.success(t("requests.cancelled")) })}
                  okText={t("app.yes")}
                  cancelText={t("app.no")}
                >
                  <Button danger loading={cancel.isPending}>
                    {t("requests.cancel")}
                  </Button>
                </Popconfirm>
              )}
              {moves.includes("resend") && <Button onClick={() => setResending(true)}>{t("requests.resend")}</Button>}
              {moves.includes("confirm_red_letter") && (
                <Popconfirm
                  title={t("redLetter.confirmTitle")}
                  description={
                    <Input
                      aria-label={t("redLetter.formNo")}
                      placeholder={t("redLetter.formNoOptional")}
                      value={formNo}
                      maxLength={64}
                      onChange={(event) => setFormNo(event.target.value)}
                    />
                  }
                  onConfirm={() =>
                    confirmLetter.mutate(formNo.trim() || undefined, { onSuccess: () => void message.success(t("redLetter.confirmed")) })
                  }
                  okText={t("app.confirm")}
                  cancelText={t("app.cancel")}
                >
                  <Button type="primary" loading={confirmLetter.isPending}>
                    {t("redLetter.confirm")}
                  </Button>
                </Popconfirm>
              )}
              {moves.includes("decline_red_letter") && (
                <Popconfirm
                  title={t("redLetter.declineTitle")}
                  onConfirm={() => declineLetter.mutate(undefined, { onSuccess: () => void message.success(t("redLetter.declined")) })}
                  okText={t("app.yes")}
                  cancelText={t("app.no")}
                >
                  <Button danger loading={declineLetter.isPending}>
                    {t("redLetter.decline")}
                  </Button>
                </Popconfirm>
              )}
              {moves.includes("reissue") && <Button onClick={() => setReissuing(true)}>{t("redLetter.reissue")}</Button>}
            </Space>
          }
        />
      )}
      {data && (
        <Modal open={resending} title={t("requests.resend")} footer={null} onCancel={() => setResending(false)} destroyOnHidden>
          <ResendForm request={data} onDone={() => setResending(false)} />
        </Modal>
      )}
      {data && (
        <Modal open={reissuing} title={t("redLetter.reissueTitle")} footer={null} onCancel={() => setReissuing(false)} destroyOnHidden>
          <p>{t("redLetter.reissueIntro")}</p>
          <ReasonForm
            submitLabel={t("redLetter.reissue")}
            onCancel={() => setReissuing(false)}
            onSubmit={(reason) =>
              reissue.mutateAsync(reason).then((replacement) => {
                setReissuing(false);
                void message.success(t("redLetter.reissued"));
                void navigate(`/requests/${replacement.id}`);
              })
            }
          />
        </Modal>
      )}
    </Space>
  );
}
