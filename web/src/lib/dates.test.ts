import { describe, expect, it } from "vitest";
import { formatDateTime } from "./dates";

describe("formatDateTime", () => {
  it("shows the instant in the given zone (the browser's by default) as year-month-day", () => {
    expect(formatDateTime("2026-11-25T16:30:00Z", "Asia/Shanghai")).toBe("2026-11-26 00:30");
    expect(formatDateTime("2026-12-03T09:05:00Z", "UTC")).toBe("2026-12-03 09:05");
  });

  it("never swaps day and month", () => {
    expect(formatDateTime("2026-03-12T00:00:00Z", "UTC")).toBe("2026-03-12 00:00");
  });

  it("shows a dash when there is no time", () => {
    expect(formatDateTime(null)).toBe("—");
  });
});
