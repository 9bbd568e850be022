// One request as its customer sees it, with cancel (while the API offers it), file downloads and resend.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Popconfirm, Space, Spin } from "antd";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { ProblemAlert } from "@/components/ProblemAlert";
import { RequestView } from "@/components/request/RequestView";
import { api, call } from "@/lib/api/client";
import type { InvoiceRequest } from "@/lib/api/types";

export function RequestDetailPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { requestId = "" } = useParams();
  const queryClient = useQueryClient();
  const request = useQuery({
    queryKey: ["invoice-request", requestId],
    queryFn: () => call(api.GET("/v1/invoice-requests/{request_id}", { params: { path: { request_id: requestId } } })) as Promise<InvoiceRequest>,
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
      <ProblemAlert error={request.error ?? cancel.error} />
      {request.isPending && <Spin />}
      {data && (
        <RequestView
          request={data}
          actions={
            <Space>
              {moves.includes("cancel") && (
                <Popconfirm title={t("requests.cancelConfirm")} onConfirm={() => cancel.mutate()} okText={t("app.yes")} cancelText={t("app.no")}>
                  <Button danger loading={cancel.isPending}>
                    {t("requests.cancel")}
                  </Button>
                </Popconfirm>
              )}
            </Space>
          }
        />
      )}
    </Space>
  );
}
