import { describe, expect, it } from "vitest";
import { renderHtml, textOf } from "@/testing/render";
import { IssueForm } from "./IssueForm";

const noop = () => Promise.resolve();

describe("IssueForm", () => {
  it("starts from the draft's split, one invoice per draft invoice", () => {
    const html = renderHtml(<IssueForm amount="1500.00" draftAmounts={["1000.00", "500.00"]} onSubmit={noop} onCancel={() => undefined} />);
    expect(html).toContain('value="1000.00"');
    expect(html).toContain('value="500.00"');
    expect(textOf(html)).toContain("Amount 2");
  });

  it("starts from one invoice of the whole amount without a draft", () => {
    const html = renderHtml(<IssueForm amount="1500.00" onSubmit={noop} onCancel={() => undefined} />);
    expect(html).toContain('value="1500.00"');
    expect(textOf(html)).not.toContain("Amount 2");
  });
});
