// One request on the finance desk: exactly the moves `allowed_moves` offers, each with its form.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Form, Input, Modal, Popconfirm, Space, Spin, Typography } from "antd";
import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { ProblemAlert } from "@/components/ProblemAlert";
import { RequestView } from "@/components/request/RequestView";
import { useFormProblem } from "@/components/useFormProblem";
import { api, call } from "@/lib/api/client";
import { downloadInvoiceFile, uploadInvoiceFile } from "@/lib/api/files";
import { formatOf } from "@/lib/fileFormat";
import { PAPER_TYPES, type FileFormat, type Invoice, type InvoiceRequest, type Move } from "@/lib/api/types";
import { ApiError } from "@/lib/problem";
import { IssueForm, type IssueValues } from "./IssueForm";

type Dialog = "issue" | "deliver" | "reject" | "reverse" | null;

function ReasonForm({ onSubmit, onCancel, submitLabel }: { onSubmit: (reason: string) => Promise<unknown>; onCancel: () => void; submitLabel: string }) {
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

function DeliverForm({ request, onSubmit, onCancel }: { request: InvoiceRequest; onSubmit: (body: { carrier?: string; tracking_number?: string }) => Promise<unknown>; onCancel: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ carrier?: string; tracking_number?: string }>();
  const problem = useFormProblem(form, ["carrier", "tracking_number"]);
  const [busy, setBusy] = useState(false);
  const paper = PAPER_TYPES.includes(request.invoice_type);
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

/** Upload a pdf, ofd or xml for one invoice; the format comes from the file's extension. */
function UploadFile({ requestId, invoice, onUploaded }: { requestId: string; invoice: Invoice; onUploaded: (format: FileFormat) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const label = t("finance.uploadFor", { number: invoice.number });

  const upload = (file: File) => {
    const format = formatOf(file.name);
    if (!format) {
      void message.error(t("finance.uploadFormatHelp"));
      return;
    }
    setBusy(true);
    uploadInvoiceFile(requestId, invoice.number, format, file)
      .then(() => onUploaded(format))
      .catch((cause: unknown) => void message.error(cause instanceof ApiError ? cause.message : String(cause)))
      .finally(() => setBusy(false));
  };

  return (
    <>
      <input
        ref={input}
        type="file"
        hidden
        aria-label={label}
        accept=".pdf,.ofd,.xml,application/pdf,application/ofd,application/xml"
        onChange={(event) => {
          const file = event.target.files?.[0];
          event.target.value = "";
          if (file) upload(file);
        }}
      />
      <Button size="small" loading={busy} onClick={() => input.current?.click()}>
        {label}
      </Button>
    </>
  );
}

export function FinanceRequestPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { requestId = "" } = useParams();
  const queryClient = useQueryClient();
  const [dialog, setDialog] = useState<Dialog>(null);
  const path = { params: { path: { request_id: requestId } } };
  const request = useQuery({
    queryKey: ["invoice-request", requestId],
    queryFn: () => call(api.GET("/v1/invoice-requests/{request_id}", path)),
    refetchInterval: (query) => (query.state.data?.delivery?.status === "queued" ? 2000 : false),
  });
  const download = useMutation({
    mutationFn: ({ number, format }: { number: string; format: FileFormat }) => downloadInvoiceFile(requestId, number, format),
  });

  const done = async (text: string) => {
    setDialog(null);
    void message.success(text);
    await queryClient.invalidateQueries();
  };
  const start = useMutation({
    mutationFn: () => call(api.POST("/v1/invoice-requests/{request_id}/start", path)),
    onSuccess: () => done(t("finance.started")),
  });
  const issue = (body: IssueValues) =>
    call(api.POST("/v1/invoice-requests/{request_id}/issue", { ...path, body })).then(() => done(t("finance.issued")));
  const deliver = (body: { carrier?: string; tracking_number?: string }) =>
    call(api.POST("/v1/invoice-requests/{request_id}/deliver", { ...path, body })).then(() => done(t("finance.delivered")));
  const reject = (reason: string) =>
    call(api.POST("/v1/invoice-requests/{request_id}/reject", { ...path, body: { reason } })).then(() => done(t("finance.rejected")));
  const reverse = (reason: string) =>
    call(api.POST("/v1/invoice-requests/{request_id}/reverse", { ...path, body: { reason } })).then(() => done(t("finance.reversed")));

  const data = request.data;
  const moves: Move[] = (data?.allowed_moves ?? []).filter((move) => move !== "cancel");
  const button = (move: Move) => {
    switch (move) {
      case "start":
        return (
          <Popconfirm key={move} title={t("finance.moves.start")} onConfirm={() => start.mutate()} okText={t("app.confirm")} cancelText={t("app.cancel")}>
            <Button type="primary" loading={start.isPending}>
              {t("finance.moves.start")}
            </Button>
          </Popconfirm>
        );
      case "reject":
      case "reverse":
        return (
          <Button key={move} danger onClick={() => setDialog(move)}>
            {t(`finance.moves.${move}`)}
          </Button>
        );
      case "issue":
      case "deliver":
        return (
          <Button key={move} type="primary" onClick={() => setDialog(move)}>
            {t(`finance.moves.${move}`)}
          </Button>
        );
      default:
        return null;
    }
  };

  return (
    <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
      <Link to="/finance">← {t("finance.title")}</Link>
      <ProblemAlert error={request.error ?? start.error ?? download.error} />
      {request.isPending && <Spin />}
      {data && (
        <RequestView
          request={data}
          showAccount
          onDownload={(invoice, file) => download.mutate({ number: invoice.number, format: file.format })}
          invoiceExtra={(invoice) =>
            data.status === "issued" || data.status === "delivered" ? (
              <UploadFile
                requestId={data.id}
                invoice={invoice}
                onUploaded={(format) => void done(t("finance.uploaded", { format: format.toUpperCase(), number: invoice.number }))}
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
          title={dialog === "issue" ? t("finance.issueTitle") : dialog === "deliver" ? t("finance.deliverTitle") : dialog === "reject" ? t("finance.rejectTitle") : t("finance.reverseTitle")}
          footer={null}
          onCancel={() => setDialog(null)}
          destroyOnHidden
          width={720}
        >
          {dialog === "issue" && <IssueForm amount={data.amount} onSubmit={issue} onCancel={() => setDialog(null)} />}
          {dialog === "deliver" && <DeliverForm request={data} onSubmit={deliver} onCancel={() => setDialog(null)} />}
          {dialog === "reject" && <ReasonForm onSubmit={reject} onCancel={() => setDialog(null)} submitLabel={t("finance.moves.reject")} />}
          {dialog === "reverse" && <ReasonForm onSubmit={reverse} onCancel={() => setDialog(null)} submitLabel={t("finance.moves.reverse")} />}
        </Modal>
      )}
    </Space>
  );
}
