// Which pages a key opens: one call that every valid key answers (GET /v1/api-key), so signing in
// never tries a call the key's role would be refused (a finance key is never sent to /v1/account).
import { api } from "@/lib/api/client";
import { ApiError } from "@/lib/problem";
import type { Role } from "@/lib/session";

/** A customer key opens Invoice Management, a finance key the desk; any other key is refused. */
export async function roleOf(key: string): Promise<Role> {
  let outcome;
  try {
    outcome = await api.GET("/v1/api-key", { headers: { Authorization: `Bearer ${key}` } });
  } catch (cause) {
    throw new ApiError({ status: 0, code: "network_error", detail: String(cause) });
  }
  if (outcome.response.status === 401) throw new ApiError({ status: 401, code: "unauthenticated" });
  const role = outcome.data?.role;
  if (role === "customer" || role === "finance") return role;
  if (!outcome.response.ok) throw new ApiError({ status: outcome.response.status, detail: outcome.response.statusText });
  throw new ApiError({ status: 403, code: "forbidden" });
}
