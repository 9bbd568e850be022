// Automatic invoicing settings: read and save.
import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { api, call, type Schemas } from "@/lib/api/client";
import { invalidate, queryKeys } from "@/lib/api/keys";

export const autoInvoicingQuery = () =>
  queryOptions({ queryKey: queryKeys.autoInvoicing, queryFn: () => call(api.GET("/v1/auto-invoicing")) });

export function useSaveAutoInvoicing() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["AutoInvoicingPut"]) => call(api.PUT("/v1/auto-invoicing", { body })),
    onSuccess: () => invalidate(client, [queryKeys.autoInvoicing]),
  });
}
