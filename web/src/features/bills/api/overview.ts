// What Invoice Management reads besides the shared summary and certification: the account and the
// last twelve months (one call: GET /v1/invoiceable-summary/monthly).
import { queryOptions } from "@tanstack/react-query";
import { api, call } from "@/lib/api/client";
import { queryKeys } from "@/lib/api/keys";

export const accountQuery = () => queryOptions({ queryKey: queryKeys.account, queryFn: () => call(api.GET("/v1/account")) });

export const monthlyQuery = () =>
  queryOptions({
    queryKey: queryKeys.monthly,
    queryFn: async () => (await call(api.GET("/v1/invoiceable-summary/monthly"))).months,
  });
