// The finance desk's api: the moves of one request and its invoices' file uploads. Each answer is
// the request itself, put in the cache; the queue's pages are read again.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, call, type Schemas } from "@/lib/api/client";
import { uploadInvoiceFile } from "@/lib/api/files";
import { invalidate, queryKeys } from "@/lib/api/keys";
import type { FileFormat, InvoiceRequest } from "@/lib/api/types";

export type IssueBody = Schemas["IssueIn"];
export type DeliverBody = Schemas["DeliverIn"];
export type RedInvoicesBody = Schemas["RedInvoicesIn"];

export type MoveCall =
  | { move: "start" }
  | { move: "issue"; body: IssueBody }
  | { move: "deliver"; body: DeliverBody }
  | { move: "reject" | "reverse"; reason: string }
  | { move: "record_red_invoices"; body: RedInvoicesBody };

function send(id: string, call_: MoveCall): Promise<InvoiceRequest> {
  const path = { params: { path: { request_id: id } } };
  switch (call_.move) {
    case "start":
      return call(api.POST("/v1/invoice-requests/{request_id}/start", path));
    case "issue":
      return call(api.POST("/v1/invoice-requests/{request_id}/issue", { ...path, body: call_.body }));
    case "deliver":
      return call(api.POST("/v1/invoice-requests/{request_id}/deliver", { ...path, body: call_.body }));
    case "reject":
      return call(api.POST("/v1/invoice-requests/{request_id}/reject", { ...path, body: { reason: call_.reason } }));
    case "reverse":
      return call(api.POST("/v1/invoice-requests/{request_id}/reverse", { ...path, body: { reason: call_.reason } }));
    case "record_red_invoices":
      return call(api.POST("/v1/invoice-requests/{request_id}/red-invoices", { ...path, body: call_.body }));
  }
}

function useRequestChange<V>(id: string, change: (variables: V) => Promise<InvoiceRequest>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: change,
    onSuccess: async (request) => {
      client.setQueryData(queryKeys.requests.detail(id), request);
      await invalidate(client, [queryKeys.requests.lists]);
    },
  });
}

/** One move of a request (`allowed_moves` says which). */
export function useMove(id: string) {
  return useRequestChange(id, (variables: MoveCall) => send(id, variables));
}

/** Upload (or replace) one invoice's file. */
export function useUploadFile(id: string) {
  return useRequestChange(id, ({ number, format, file }: { number: string; format: FileFormat; file: Blob }) =>
    uploadInvoiceFile(id, number, format, file),
  );
}
