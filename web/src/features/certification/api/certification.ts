// The certification's mutation (its read is shared: src/lib/api/queries.ts, certificationQuery).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, call, type Schemas } from "@/lib/api/client";
import { invalidate, queryKeys } from "@/lib/api/keys";

/** Certify (or re-certify): profiles may become (un)usable, so the summary's blockers change too. */
export function useCertify() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["CertificationPut"]) => call(api.PUT("/v1/certification", { body })),
    onSuccess: () =>
      invalidate(client, [queryKeys.certification, queryKeys.account, queryKeys.summary, queryKeys.profiles]),
  });
}
