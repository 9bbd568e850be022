import { describe, expect, it } from "vitest";
import { queryKeys } from "@/lib/api/keys";
import type { Summary } from "@/lib/api/types";
import { renderHtml, testQueryClient, textOf } from "@/testing/render";
import { InvoiceManagementPage } from "./InvoiceManagementPage";

const SUMMARY: Summary = {
  invoiceable_amount: "1200.00",
  bills: { count: 2, amount: "1200.00" },
  stored_value_cards: { count: 0, amount: "0.00" },
  invoice_deficit: "30.00",
  cash_balance: "5000.00",
  can_request: true,
  blockers: [],
  by_seller: [
    { seller_id: "22222222-2222-4222-8222-222222222222", seller_name: "Cloud Seller Ltd.", invoiceable_amount: "1000.00", invoice_deficit: "0.00" },
    { seller_id: "33333333-3333-4333-8333-333333333333", seller_name: "Shanghai Data Co.", invoiceable_amount: "200.00", invoice_deficit: "30.00" },
  ],
};

function render(summary: Summary) {
  const client = testQueryClient();
  client.setQueryData(queryKeys.summary, summary);
  return renderHtml(<InvoiceManagementPage />, client);
}

describe("InvoiceManagementPage", () => {
  it("shows the amounts per seller when there is more than one", () => {
    const text = textOf(render(SUMMARY));
    expect(text).toContain("By seller");
    expect(text).toContain("Cloud Seller Ltd. ¥1,000.00 ¥0.00");
    expect(text).toContain("Shanghai Data Co. ¥200.00 ¥30.00");
  });

  it("leaves the table out for a single seller (the totals above are its own)", () => {
    const text = textOf(render({ ...SUMMARY, by_seller: SUMMARY.by_seller.slice(0, 1) }));
    expect(text).not.toContain("By seller");
    expect(text).not.toContain("Cloud Seller Ltd.");
  });
});
