// The finance desk's search, export and bulk moves: the queue's page filtered by every search field,
// the same filters as a CSV or XLSX download, and start / reject of many requests at once.
import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { api, call, type Schemas } from "@/lib/api/client";
import { invalidate, queryKeys } from "@/lib/api/keys";
import type { InvoiceType, Status } from "@/lib/api/types";
import { saveBlob } from "@/lib/download";
import { IdempotencyKeys } from "@/lib/idempotency";
import { ApiError } from "@/lib/problem";

export type BulkMove = "start" | "reject";
export type BulkResult = Schemas["BulkResultOut"];
export type ExportFormat = "csv" | "xlsx";

/** The search fields (the API's query parameters); an empty field is no filter. */
export interface DeskFilters {
  status?: Status;
  account_id?: string;
  title?: string;
  invoice_number?: string;
  taxpayer_id?: string;
  amount_min?: string;
  amount_max?: string;
  invoice_type?: InvoiceType;
  issued_from?: string;
  issued_to?: string;
  overdue?: boolean;
}

function query(filters: DeskFilters) {
  const { overdue, ...rest } = filters;
  const set = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined && value !== ""));
  return { ...set, ...(overdue ? { overdue: "true" as const } : {}) };
}

/** A page of the finance queue for `filters` (under the request lists' key: every move refreshes it). */
export const deskPageQuery = (filters: DeskFilters, limit: number, cursor: string | undefined) =>
  queryOptions({
    queryKey: [...queryKeys.requests.lists, "desk", filters, limit, cursor] as const,
    queryFn: () =>
      call(api.GET("/v1/invoice-requests", { params: { query: { ...query(filters), limit, cursor } } })),
    placeholderData: keepPreviousData,
  });

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** Download what `filters` pick, as CSV (UTF-8 with a BOM) or XLSX. */
export async function exportRequests(filters: DeskFilters, format: ExportFormat): Promise<void> {
  const blob = await call(
    api.GET("/v1/invoice-requests/export", {
      params: { query: query(filters) },
      headers: { Accept: format === "xlsx" ? XLSX : "text/csv" },
      parseAs: "blob",
    }),
  );
  saveBlob(blob, `invoice-requests.${format}`);
}

const bulkKeys = new IdempotencyKeys();

/** Start or reject many requests; a result per id (each moved on its own). */
export function useBulkMove() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ move, ids, reason }: { move: BulkMove; ids: string[]; reason?: string }) => {
      const body = reason === undefined ? { ids } : { ids, reason };
      const key = bulkKeys.keyFor({ move, body });
      try {
        const answer = await call(
          api.POST("/v1/invoice-requests/bulk/{move}", {
            params: { path: { move } },
            body,
            headers: { "Idempotency-Key": key },
          }),
        );
        bulkKeys.forget({ move, body });
        return answer;
      } catch (error) {
        if (error instanceof ApiError) bulkKeys.forget({ move, body }); // final: a retry is a new request
        throw error;
      }
    },
    onSuccess: async () => {
      await invalidate(client, [queryKeys.requests.all]);
    },
  });
}
