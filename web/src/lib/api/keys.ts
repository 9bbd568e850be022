// Every query key of the console, by API resource: a mutation in any feature invalidates exactly what
// it changes (never a bare `invalidateQueries()`), without importing another feature.
import type { QueryClient, QueryKey } from "@tanstack/react-query";
import type { Status } from "./types";

export interface RequestListFilters {
  status?: Status;
  accountId?: string;
  cursor?: string;
  limit: number;
}

export const queryKeys = {
  caller: (key: string) => ["api-key", key] as const,
  account: ["account"] as const,
  certification: ["certification"] as const,
  summary: ["invoiceable-summary"] as const,
  monthly: ["invoiceable-summary", "monthly"] as const,
  profiles: ["invoice-profiles"] as const,
  addresses: ["mailing-addresses"] as const,
  invoiceableBills: ["bills", "invoiceable"] as const,
  invoiceableCards: ["stored-value-cards", "invoiceable"] as const,
  autoInvoicing: ["auto-invoicing"] as const,
  requests: {
    all: ["invoice-requests"] as const,
    lists: ["invoice-requests", "list"] as const,
    list: (filters: RequestListFilters) => ["invoice-requests", "list", filters] as const,
    detail: (id: string) => ["invoice-requests", "detail", id] as const,
  },
};

/** What a change to the account's money touches: amounts, items, the deficit, the requests, the chart. */
export const MONEY_KEYS: readonly QueryKey[] = [
  queryKeys.summary, // the monthly chart too: its key starts with the summary's
  queryKeys.account,
  queryKeys.invoiceableBills,
  queryKeys.invoiceableCards,
  queryKeys.requests.all,
];

/** Invalidate every query under each of `keys` (a key matches the queries it is a prefix of). */
export async function invalidate(client: QueryClient, keys: readonly QueryKey[]): Promise<void> {
  await Promise.all(keys.map((queryKey) => client.invalidateQueries({ queryKey })));
}
