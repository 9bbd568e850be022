// The customer's request api: what can be selected, creating a request (with its Idempotency-Key),
// cancelling and resending (one request and the lists are shared: src/lib/api/queries.ts).
import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { api, call, type Schemas } from "@/lib/api/client";
import { invalidate, MONEY_KEYS, queryKeys } from "@/lib/api/keys";
import { collectPages } from "@/lib/api/pages";

export const invoiceableBillsQuery = () =>
  queryOptions({
    queryKey: queryKeys.invoiceableBills,
    queryFn: () =>
      collectPages((cursor) => call(api.GET("/v1/bills", { params: { query: { invoiceable: true, limit: 100, cursor } } }))),
  });

export const invoiceableCardsQuery = () =>
  queryOptions({
    queryKey: queryKeys.invoiceableCards,
    queryFn: () =>
      collectPages((cursor) =>
        call(api.GET("/v1/stored-value-cards", { params: { query: { invoiceable: true, limit: 100, cursor } } })),
      ),
  });

export type RequestBody = Schemas["InvoiceRequestCreate"];

/** Request invoices; `idempotencyKey` is the body's (a retry of the same body sends the same one). */
export function useCreateRequest() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ body, idempotencyKey }: { body: RequestBody; idempotencyKey: string }) =>
      call(api.POST("/v1/invoice-requests", { body, headers: { "Idempotency-Key": idempotencyKey } })),
    onSuccess: () => invalidate(client, MONEY_KEYS),
  });
}

/** Cancel a pending request: its items' amounts can be requested again. */
export function useCancelRequest(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.POST("/v1/invoice-requests/{request_id}/cancel", { params: { path: { request_id: id } } })),
    onSuccess: () => invalidate(client, MONEY_KEYS),
  });
}

/** Email a delivered electronic request again, to `email` or the snapshot's addresses. */
export function useResend(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (email: string | undefined) =>
      call(
        api.POST("/v1/invoice-requests/{request_id}/resend", {
          params: { path: { request_id: id } },
          body: email ? { email } : {},
        }),
      ),
    onSuccess: () => invalidate(client, [queryKeys.requests.detail(id)]),
  });
}

function useRequestMove<V, R>(send: (variables: V) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({ mutationFn: send, onSuccess: () => invalidate(client, MONEY_KEYS) });
}

/** The buyer agrees to the red-letter reversal (with the confirmation form's number, if any). */
export function useConfirmRedLetter(id: string) {
  return useRequestMove((formNo: string | undefined) =>
    call(
      api.POST("/v1/invoice-requests/{request_id}/red-letter/confirm", {
        params: { path: { request_id: id } },
        body: formNo ? { form_no: formNo } : {},
      }),
    ),
  );
}

/** The buyer refuses the reversal: the invoices stand. */
export function useDeclineRedLetter(id: string) {
  return useRequestMove(() =>
    call(api.POST("/v1/invoice-requests/{request_id}/red-letter/decline", { params: { path: { request_id: id } }, body: {} })),
  );
}

/** Re-issue (换开): reverse the invoices and request the same again; answers the new request. */
export function useReissue(id: string) {
  return useRequestMove((reason: string) =>
    call(api.POST("/v1/invoice-requests/{request_id}/reissue", { params: { path: { request_id: id } }, body: { reason } })),
  );
}
