import { describe, expect, it } from "vitest";
import { collectPages, mapLimited } from "./pages";

describe("collectPages", () => {
  it("follows next_cursor until the last page", async () => {
    const seen: (string | undefined)[] = [];
    const pages: Record<string, { data: number[]; has_more: boolean; next_cursor: string | null }> = {
      first: { data: [1, 2], has_more: true, next_cursor: "c2" },
      c2: { data: [3], has_more: false, next_cursor: null },
    };
    const all = await collectPages((cursor) => {
      seen.push(cursor);
      return Promise.resolve(pages[cursor ?? "first"]!);
    });
    expect(all).toEqual([1, 2, 3]);
    expect(seen).toEqual([undefined, "c2"]);
  });

  it("stops at the page limit", async () => {
    const all = await collectPages(() => Promise.resolve({ data: [0], has_more: true, next_cursor: "again" }), 3);
    expect(all).toHaveLength(3);
  });
});

describe("mapLimited", () => {
  it("keeps the items' order and never runs more than the limit at once", async () => {
    let running = 0;
    let most = 0;
    const results = await mapLimited([5, 1, 4, 2, 3], 2, async (n) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running -= 1;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it("answers an empty list without calling", async () => {
    expect(await mapLimited([], 4, () => Promise.reject(new Error("called")))).toEqual([]);
  });
});
