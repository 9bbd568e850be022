import { describe, expect, it } from "vitest";
import { lastTwelvePeriods, monthlyFigures, requestsSince } from "./monthly";

describe("lastTwelvePeriods", () => {
  it("lists the twelve finished months, oldest first, across a year boundary", () => {
    const periods = lastTwelvePeriods(new Date(2026, 1, 15));
    expect(periods).toHaveLength(12);
    expect(periods[0]).toBe("2025-02");
    expect(periods[11]).toBe("2026-01");
  });
});

describe("requestsSince", () => {
  it("starts a month before the first period, across a year boundary", () => {
    expect(requestsSince(["2025-02", "2025-03"])).toBe("2025-01-01T00:00:00Z");
    expect(requestsSince(["2025-01"])).toBe("2024-12-01T00:00:00Z");
  });
});

describe("monthlyFigures", () => {
  it("sums cash billed, requested and invoiced per month from bills and invoiced lines", () => {
    const bills = [
      { id: "b1", period: "2026-09", cash_amount: "1000.00", requested_amount: "1000.00" },
      { id: "b2", period: "2026-10", cash_amount: "700.00", requested_amount: "1000.00" },
      { id: "old", period: "2024-01", cash_amount: "5.00", requested_amount: "0.00" },
    ];
    const lines = [
      { kind: "bill", id: "b1", amount: "1000.00" },
      { kind: "bill", id: "b2", amount: "1000.00" },
      { kind: "bill", id: "b2", amount: "-300.00" },
      { kind: "stored_value_card", id: "c1", amount: "500.00" },
    ];
    const figures = monthlyFigures(["2026-09", "2026-10", "2026-11"], bills, lines);
    expect(figures).toEqual([
      { period: "2026-09", billed: "1000.00", requested: "1000.00", invoiced: "1000.00" },
      { period: "2026-10", billed: "700.00", requested: "1000.00", invoiced: "700.00" },
      { period: "2026-11", billed: "0.00", requested: "0.00", invoiced: "0.00" },
    ]);
  });
});
