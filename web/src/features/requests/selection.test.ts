import { describe, expect, it } from "vitest";
import { selectionTotals } from "./selection";

describe("selectionTotals", () => {
  it("adds up the selected items when there is no deficit", () => {
    expect(selectionTotals(["1024.50", "200.00", "0.50"], "0.00")).toEqual({
      count: 3,
      selected: "1225.00",
      settles: "0.00",
      request: "1225.00",
      exceedsDeficit: true,
    });
  });

  it("settles the deficit first (the SPEC's worked example: 200 + 500 with a 300 deficit is 400)", () => {
    expect(selectionTotals(["200.00", "500.00"], "300.00")).toEqual({
      count: 2,
      selected: "700.00",
      settles: "-300.00",
      request: "400.00",
      exceedsDeficit: true,
    });
  });

  it("says when the selection does not exceed the deficit", () => {
    expect(selectionTotals(["200.00"], "300.00").exceedsDeficit).toBe(false);
    expect(selectionTotals(["300.00"], "300.00").exceedsDeficit).toBe(false);
    expect(selectionTotals([], undefined).exceedsDeficit).toBe(false);
  });
});
