// Invoice information: create, update, delete (the list is shared: src/lib/api/queries.ts).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, call, type Schemas } from "@/lib/api/client";
import { invalidate, queryKeys } from "@/lib/api/keys";

/** A profile change can add or remove the summary's `no_usable_profile` blocker. */
const CHANGED = [queryKeys.profiles, queryKeys.summary];

export type ProfileBody = Schemas["ProfileCreate"] | Schemas["ProfileUpdate"];

/** Create (no `id`) or update a profile. */
export function useSaveProfile(id: string | null) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ProfileBody) =>
      id
        ? call(api.PATCH("/v1/invoice-profiles/{profile_id}", { params: { path: { profile_id: id } }, body: body as Schemas["ProfileUpdate"] }))
        : call(api.POST("/v1/invoice-profiles", { body: body as Schemas["ProfileCreate"] })),
    onSuccess: () => invalidate(client, CHANGED),
  });
}

export function useDeleteProfile() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      call(api.DELETE("/v1/invoice-profiles/{profile_id}", { params: { path: { profile_id: id } } })),
    onSuccess: () => invalidate(client, CHANGED),
  });
}
