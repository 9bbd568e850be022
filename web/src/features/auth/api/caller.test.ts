import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "@/lib/api/client";
import { ApiError } from "@/lib/problem";
import { roleOf } from "./caller";

function answer(status: number, data?: unknown) {
  return { data, error: undefined, response: new Response(null, { status }) };
}

afterEach(() => vi.restoreAllMocks());

describe("roleOf", () => {
  it("asks only GET /v1/api-key, whatever the role (no call a finance key would be refused)", async () => {
    for (const role of ["customer", "finance"] as const) {
      const get = vi.spyOn(api, "GET").mockResolvedValue(answer(200, { id: "k", role, account_id: null }) as never);
      await expect(roleOf("key")).resolves.toBe(role);
      expect(get).toHaveBeenCalledTimes(1);
      expect(get.mock.calls[0]![0]).toBe("/v1/api-key");
      vi.restoreAllMocks();
    }
  });

  it("refuses an invalid key (401) and a billing key (403)", async () => {
    vi.spyOn(api, "GET").mockResolvedValue(answer(401) as never);
    await expect(roleOf("bad")).rejects.toMatchObject({ status: 401 });
    vi.spyOn(api, "GET").mockResolvedValue(answer(200, { id: "k", role: "billing", account_id: null }) as never);
    await expect(roleOf("billing")).rejects.toBeInstanceOf(ApiError);
    await expect(roleOf("billing")).rejects.toMatchObject({ status: 403 });
  });
});
