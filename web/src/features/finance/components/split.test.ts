import { describe, expect, it } from "vitest";
import { checkSplit, evenSplit } from "./split";

describe("checkSplit", () => {
  it("accepts invoices that add up to the request amount", () => {
    expect(checkSplit("3000.00", ["1000.00", "2000"])).toEqual({ sum: "3000.00", remaining: "0.00", invalid: [], ok: true });
  });

  it("refuses a wrong sum and shows what remains", () => {
    const check = checkSplit("3000.00", ["1000.00", "1999.99"]);
    expect(check.ok).toBe(false);
    expect(check.remaining).toBe("0.01");
    expect(checkSplit("100.00", ["60.00", "50.00"]).remaining).toBe("-10.00");
  });

  it("flags amounts that are not positive amounts with two decimals", () => {
    const check = checkSplit("10.00", ["5.001", "", "0", "-1", "10.00"]);
    expect(check.invalid).toEqual([0, 1, 2, 3]);
    expect(check.ok).toBe(false);
  });

  it("refuses an empty list", () => {
    expect(checkSplit("0.00", []).ok).toBe(false);
  });
});

describe("evenSplit", () => {
  it("splits exactly, the last part taking the odd fen", () => {
    expect(evenSplit("100.01", 2)).toEqual(["50.00", "50.01"]);
    expect(evenSplit("3000.00", 3)).toEqual(["1000.00", "1000.00", "1000.00"]);
    expect(checkSplit("100.01", evenSplit("100.01", 3)).ok).toBe(true);
  });
});
