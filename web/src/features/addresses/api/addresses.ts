// Sending addresses: create, update, delete (the list is shared: src/lib/api/queries.ts).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, call, type Schemas } from "@/lib/api/client";
import { invalidate, queryKeys } from "@/lib/api/keys";

/** An address change can add or remove the summary's `no_address` blocker. */
const CHANGED = [queryKeys.addresses, queryKeys.summary];

export type AddressBody = Schemas["AddressCreate"] | Schemas["AddressUpdate"];

/** Create (no `id`) or update an address. */
export function useSaveAddress(id: string | null) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: AddressBody) =>
      id
        ? call(api.PATCH("/v1/mailing-addresses/{address_id}", { params: { path: { address_id: id } }, body }))
        : call(api.POST("/v1/mailing-addresses", { body: body as Schemas["AddressCreate"] })),
    onSuccess: () => invalidate(client, CHANGED),
  });
}

export function useDeleteAddress() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      call(api.DELETE("/v1/mailing-addresses/{address_id}", { params: { path: { address_id: id } } })),
    onSuccess: () => invalidate(client, CHANGED),
  });
}
