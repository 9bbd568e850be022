import { describe, expect, it } from "vitest";
import { collectPages } from "./pages";

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
