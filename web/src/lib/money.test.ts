import { describe, expect, it } from "vitest";
import { formatMoney, formatRate, fromFen, isAmount, sumMoney, toFen } from "./money";

describe("money", () => {
  it("formats as yuan with thousands separators and two decimals", () => {
    expect(formatMoney("1024.50")).toBe("¥1,024.50");
    expect(formatMoney("0.00")).toBe("¥0.00");
    expect(formatMoney("1234567.8")).toBe("¥1,234,567.80");
    expect(formatMoney("999999999999.99")).toBe("¥999,999,999,999.99");
  });

  it("puts the sign before the currency symbol", () => {
    expect(formatMoney("-300.00")).toBe("-¥300.00");
    expect(formatMoney(-5n)).toBe("-¥0.05");
  });

  it("sums exactly in fen, never in floating point", () => {
    expect(sumMoney(["0.10", "0.20"])).toBe("0.30");
    expect(sumMoney(["999999999999.99", "0.01"])).toBe("1000000000000.00");
    expect(sumMoney(["400.00", "-300.00"])).toBe("100.00");
    expect(sumMoney([])).toBe("0.00");
  });

  it("round-trips fen", () => {
    expect(toFen("1024.5")).toBe(102450n);
    expect(fromFen(102450n)).toBe("1024.50");
    expect(fromFen(-1n)).toBe("-0.01");
    expect(() => toFen("1.234")).toThrow();
    expect(() => toFen("abc")).toThrow();
  });

  it("accepts only amounts the API accepts", () => {
    expect(isAmount("12.5")).toBe(true);
    expect(isAmount("12")).toBe(true);
    expect(isAmount("-1")).toBe(false);
    expect(isAmount("1.234")).toBe(false);
    expect(isAmount("1e3")).toBe(false);
    expect(isAmount("1234567890123")).toBe(false);
  });
});

describe("formatRate", () => {
  it("shows the API's rate as a percentage", () => {
    expect(formatRate("0.06")).toBe("6%");
    expect(formatRate("0.13")).toBe("13%");
    expect(formatRate("0.00")).toBe("0%");
  });
});
