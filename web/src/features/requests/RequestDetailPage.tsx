// One request as its customer sees it, with cancel (while the API offers it), file downloads and resend.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Form, Input, Modal, Popconfirm, Space, Spin } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { ProblemAlert } from "@/components/ProblemAlert";
import { RequestView } from "@/components/request/RequestView";
import { useFormProblem } from "@/components/useFormProblem";
import { api, call } from "@/lib/api/client";
import { downloadInvoiceFile } from "@/lib/api/files";
import type { InvoiceRequest } from "@/lib/api/types";

/** Re-read a request while its email is on its way, so the page shows when it is sent. */
export function refetchWhileQueued(request: InvoiceRequest | undefined): number | false {
  return request?.delivery?.status === "queued" ? 2000 : false;
}

function ResendForm({ request, onDone }: { request: InvoiceRequest; onDone: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<{ email?: string }>();
  const problem = useFormProblem(form, ["email"]);
  const resend = useMutation({
    mutationFn: (email: string | undefined) =>
      call(
        api.POST("/v1/invoice-requests/{request_id}/resend", {
          params: { path: { request_id: request.id } },
          body: email ? { email } : {},
        }),
      ),
    onMutate: problem.clear,
    onError: problem.show,
    onSuccess: async () => {
      void message.success(t("requests.resent"));
      await queryClient.invalidateQueries({ queryKey: ["invoice-request", request.id] });
      onDone();
    },
  });
  return (
    <Form form={form} layout="vertical" onFinish={({ email }) => resend.mutate(email?.trim() || undefined)}>
      <ProblemAlert error={problem.error} rest={problem.rest} />
      <Form.Item name="email" label={t("requests.resendTo", { email: [request.address.email, ...(request.address.cc_emails ?? [])].filter(Boolean).join(", ") })}>
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
  const queryClient = useQueryClient();
  const request = useQuery({
    queryKey: ["invoice-request", requestId],
    queryFn: () => call(api.GET("/v1/invoice-requests/{request_id}", { params: { path: { request_id: requestId } } })),
    refetchInterval: (query) => refetchWhileQueued(query.state.data),
  });
  const [resending, setResending] = useState(false);
  const download = useMutation({
    mutationFn: ({ number, format }: { number: string; format: "pdf" | "ofd" | "xml" }) =>
      downloadInvoiceFile(requestId, number, format),
  });
  const cancel = useMutation({
    mutationFn: () => call(api.POST("/v1/invoice-requests/{request_id}/cancel", { params: { path: { request_id: requestId } } })),
    onSuccess: async () => {
      void message.success(t("requests.cancelled"));
      await queryClient.invalidateQueries();
    },
  });

  const data = request.data;
  const moves = data?.allowed_moves ?? [];
  return (
    <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
      <Link to="/requests">← {t("requests.title")}</Link>
      <ProblemAlert error={request.error ?? cancel.error ?? download.error} />
      {request.isPending && <Spin />}
      {data && (
        <RequestView
          request={data}
          onDownload={(invoice, file) => download.mutate({ number: invoice.number, format: file.format })}
          actions={
            <Space>
              {moves.includes("cancel") && (
                <Popconfirm title={t("requests.cancelConfirm")} onConfirm={() => cancel.mutate()} okText={t("app.yes")} cancelText={t("app.no")}>
                  <Button danger loading={cancel.isPending}>
                    {t("requests.cancel")}
                  </Button>
                </Popconfirm>
              )}
              {data.status === "delivered" && data.invoice_type === "electronic_ordinary" && (
                <Button onClick={() => setResending(true)}>{t("requests.resend")}</Button>
              )}
            </Space>
          }
        />
      )}
      {data && (
        <Modal open={resending} title={t("requests.resend")} footer={null} onCancel={() => setResending(false)} destroyOnHidden>
          <ResendForm request={data} onDone={() => setResending(false)} />
        </Modal>
      )}
    </Space>
  );
}
