// Query options of the resources several features read (the certification, the summary, the
// profiles and addresses, the requests); what only one feature reads is in its own `api/`.
import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api, call } from "./client";
import { queryKeys, type RequestListFilters } from "./keys";
import type { InvoiceRequest } from "./types";

export const certificationQuery = () =>
  queryOptions({ queryKey: queryKeys.certification, queryFn: () => call(api.GET("/v1/certification")) });

export const summaryQuery = () =>
  queryOptions({ queryKey: queryKeys.summary, queryFn: () => call(api.GET("/v1/invoiceable-summary")) });

export const profilesQuery = () =>
  queryOptions({
    queryKey: queryKeys.profiles,
    queryFn: () => call(api.GET("/v1/invoice-profiles", { params: { query: { limit: 100 } } })),
  });

export const addressesQuery = () =>
  queryOptions({
    queryKey: queryKeys.addresses,
    queryFn: () => call(api.GET("/v1/mailing-addresses", { params: { query: { limit: 100 } } })),
  });

/** A page of request summaries: the customer's own, or (finance) every account's. */
export const requestListQuery = (filters: RequestListFilters) =>
  queryOptions({
    queryKey: queryKeys.requests.list(filters),
    queryFn: () =>
      call(
        api.GET("/v1/invoice-requests", {
          params: {
            query: {
              limit: filters.limit,
              cursor: filters.cursor,
              status: filters.status,
              account_id: filters.accountId,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });

/** Re-read a request while its email is on its way or the tax platform is issuing it, so the page
 * shows when it is sent or issued. */
export function refetchWhileQueued(request: InvoiceRequest | undefined): number | false {
  return request?.delivery?.status === "queued" || request?.status === "issuing" ? 2000 : false;
}

/** One request, whole (lines, snapshots, invoices, timeline, `allowed_moves`). */
export const requestQuery = (id: string) =>
  queryOptions({
    queryKey: queryKeys.requests.detail(id),
    queryFn: () => call(api.GET("/v1/invoice-requests/{request_id}", { params: { path: { request_id: id } } })),
    refetchInterval: (query) => refetchWhileQueued(query.state.data),
  });

/** The tax platform the service issues through, as `/readyz` names it (`manual`: none, finance types
 * the numbers); read once. Unknown (the service not ready) counts as `manual`. */
export const taxPlatformQuery = () =>
  queryOptions({
    queryKey: ["tax-platform"] as const,
    queryFn: async () => {
      const { data } = await api.GET("/readyz");
      const named = (data as { tax_platform?: unknown } | undefined)?.tax_platform;
      return typeof named === "string" ? named : "manual";
    },
    staleTime: Infinity,
  });
