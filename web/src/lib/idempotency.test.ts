import { describe, expect, it } from "vitest";
import { IdempotencyKeys } from "./idempotency";

describe("IdempotencyKeys", () => {
  it("gives the same key for the same body, so a retry replays", () => {
    const keys = new IdempotencyKeys();
    const body = { bill_ids: ["a", "b"], profile_id: "p", address_id: "x" };
    expect(keys.keyFor(body)).toBe(keys.keyFor({ ...body }));
  });

  it("gives a new key for another body and after forgetting", () => {
    let n = 0;
    const keys = new IdempotencyKeys(() => `k${++n}`);
    expect(keys.keyFor({ a: 1 })).toBe("k1");
    expect(keys.keyFor({ a: 2 })).toBe("k2");
    keys.forget({ a: 1 });
    expect(keys.keyFor({ a: 1 })).toBe("k3");
  });
});
