import { describe, expect, it } from "vitest";
import { formatDateTime } from "./dates";

describe("formatDateTime", () => {
  it("shows the instant in the given zone (the browser's by default)", () => {
    expect(formatDateTime("2026-11-25T16:30:00Z", "en-GB", "Asia/Shanghai")).toBe("26/11/2026, 00:30");
    expect(formatDateTime("2026-11-25T16:30:00Z", "zh-CN", "Asia/Shanghai")).toBe("2026/11/26 00:30");
    expect(formatDateTime("2026-11-25T16:30:00Z", "en-GB", "UTC")).toBe("25/11/2026, 16:30");
  });

  it("shows a dash when there is no time", () => {
    expect(formatDateTime(null, "en")).toBe("—");
  });
});
