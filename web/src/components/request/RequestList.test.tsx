import { describe, expect, it } from "vitest";
import { queryKeys } from "@/lib/api/keys";
import type { InvoiceRequestSummary } from "@/lib/api/types";
import { renderHtml, testQueryClient, textOf } from "@/testing/render";
import { RequestList } from "./RequestList";

const ROW: InvoiceRequestSummary = {
  id: "0b7c2a3e-8d1f-4a55-9c0e-2f4b6d8a1c3e",
  account_id: "5f0e1d2c-3b4a-4968-8776-a5b4c3d2e1f0",
  account_name: "Northwind Trading Co.",
  status: "pending",
  amount: "3000.50",
  invoice_type: "vat_special",
  title: "Northwind Trading Co., Ltd.",
  remark: null,
  due_at: "2026-12-04T12:00:00Z",
  overdue: false,
  created_at: "2026-12-03T12:00:00Z",
  updated_at: "2026-12-03T12:00:00Z",
};

function render(audience: "customer" | "finance", pageSize: number) {
  const client = testQueryClient();
  client.setQueryData(queryKeys.requests.list({ limit: pageSize }), { data: [ROW], has_more: false, next_cursor: null });
  return renderHtml(<RequestList audience={audience} pageSize={pageSize} detailPath={(id) => `/x/${id}`} />, client);
}

describe("RequestList", () => {
  it("shows the finance queue with the customer's name beside the account id, and the account filter", () => {
    const html = render("finance", 20);
    const text = textOf(html);
    expect(text).toContain("Northwind Trading Co.");
    expect(text).toContain(ROW.account_id);
    expect(text).toContain("Account ID"); // the filter's label
    expect(text).toContain("¥3,000.50");
    expect(text).toContain("2026-12-03");
    expect(html).toContain(`href="/x/${ROW.id}"`);
  });

  it("shows the customer's own requests without the account column or filter", () => {
    const text = textOf(render("customer", 10));
    expect(text).toContain("¥3,000.50");
    expect(text).toContain("Pending");
    expect(text).not.toContain("Northwind Trading Co.");
    expect(text).not.toContain("Account ID");
  });
});
