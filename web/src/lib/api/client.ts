// The one API client: generated types (schema.d.ts, from /openapi.json) and openapi-fetch, with the
// signed-in key added to every call. Components never write a URL or a response type by hand.
import createClient, { type Middleware } from "openapi-fetch";
import { ApiError, isProblem } from "@/lib/problem";
import { loadSession } from "@/lib/session";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

/** Fired when the API says the key is not (or no longer) valid; the auth provider signs out. */
export const UNAUTHENTICATED_EVENT = "invoicing:unauthenticated";

const auth: Middleware = {
  onRequest({ request }) {
    const session = loadSession();
    if (session && !request.headers.has("Authorization")) {
      request.headers.set("Authorization", `Bearer ${session.key}`);
    }
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401) window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
    return response;
  },
};

// The page's origin (none where there is no page: a unit test that renders without calling).
export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? "" });
api.use(auth);

interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function toApiError(error: unknown, response: Response): ApiError {
  if (isProblem(error)) return new ApiError(error);
  return new ApiError({ status: response.status, detail: response.statusText || `HTTP ${response.status}` });
}

/** The body of a successful call, or an ApiError carrying the problem document. */
export async function call<T>(request: Promise<Outcome<T>>): Promise<T> {
  let outcome: Outcome<T>;
  try {
    outcome = await request;
  } catch (cause) {
    throw new ApiError({ status: 0, code: "network_error", detail: String(cause) });
  }
  if (!outcome.response.ok || outcome.data === undefined) {
    if (outcome.response.ok) return undefined as T; // 202/204: no body
    throw toApiError(outcome.error, outcome.response);
  }
  return outcome.data;
}
