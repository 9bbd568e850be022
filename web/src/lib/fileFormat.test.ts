import { describe, expect, it } from "vitest";
import { formatOf } from "./fileFormat";

describe("formatOf", () => {
  it("knows the three invoice file formats by extension, in any case", () => {
    expect(formatOf("25350000000000000101.pdf")).toBe("pdf");
    expect(formatOf("invoice.OFD")).toBe("ofd");
    expect(formatOf("a.b.xml")).toBe("xml");
  });

  it("refuses anything else", () => {
    expect(formatOf("invoice.png")).toBeNull();
    expect(formatOf("pdf")).toBeNull();
  });
});
