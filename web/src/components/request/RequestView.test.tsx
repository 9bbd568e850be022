import { describe, expect, it } from "vitest";
import type { InvoiceLine, InvoiceRequest } from "@/lib/api/types";
import { renderHtml, textOf } from "@/testing/render";
import { RequestView } from "./RequestView";

const SERVICE = "9999999999999999999";
const line = (amount: string, excluding: string, tax: string): InvoiceLine => ({
  item_name: "*信息技术服务*云服务费",
  tax_category_code: "3040201000000000000",
  tax_rate: "0.06",
  amount,
  amount_excluding_tax: excluding,
  tax_amount: tax,
});

const REQUEST: InvoiceRequest = {
  id: "0b7c2a3e-8d1f-4a55-9c0e-2f4b6d8a1c3e",
  account_id: "5f0e1d2c-3b4a-4968-8776-a5b4c3d2e1f0",
  status: "pending",
  amount: "1500.00",
  invoice_type: "vat_special",
  items: [
    {
      kind: "bill",
      id: "11111111-1111-4111-8111-111111111111",
      label: "Bill 2026-11",
      period: "2026-11",
      card_no: null,
      amount: "1500.00",
      seller_id: "22222222-2222-4222-8222-222222222222",
      tax_rate: "0.13",
      tax_category_code: SERVICE,
      item_name: "*Cloud*Compute",
    },
  ],
  profile: {
    id: "33333333-3333-4333-8333-333333333333",
    invoice_type: "vat_special",
    title: "Northwind Trading Co., Ltd.",
    taxpayer_id: "91310000MA1K000000",
    bank_name: null,
    bank_account: null,
    registered_address: null,
    registered_phone: null,
  },
  address: {
    id: "44444444-4444-4444-8444-444444444444",
    recipient: "Li Lei",
    phone: "13800000000",
    email: null,
    address: "1 Road",
    postal_code: null,
  },
  seller: {
    id: "22222222-2222-4222-8222-222222222222",
    name: "Cloud Seller Ltd.",
    taxpayer_id: "91310000MA1K111111",
    address: "2 Road",
    phone: "021-0000",
    bank_name: "Bank",
    bank_account: "6222",
    max_invoice_amount: "1000.00",
  },
  draft: {
    invoices: [
      { amount: "1000.00", amount_excluding_tax: "943.40", tax_amount: "56.60", lines: [line("1000.00", "943.40", "56.60")] },
      { amount: "500.00", amount_excluding_tax: "471.70", tax_amount: "28.30", lines: [line("500.00", "471.70", "28.30")] },
    ],
  },
  remark: null,
  carrier: null,
  tracking_number: null,
  tracking_number_required: true,
  invoices: [],
  events: [],
  delivery: null,
  red_letter: null,
  replaces_request_id: null,
  replaced_by_request_id: null,
  due_at: "2026-12-04T12:00:00Z",
  overdue: false,
  allowed_moves: [],
  created_at: "2026-12-03T12:00:00Z",
  updated_at: "2026-12-03T12:00:00Z",
};

/** The HTML of one element by its data-testid, up to the next element with a data-testid of that kind. */
function section(html: string, testId: string): string {
  const start = html.indexOf(`data-testid="${testId}"`);
  expect(start).toBeGreaterThanOrEqual(0);
  return html.slice(start);
}

describe("RequestView", () => {
  it("shows each line's tax terms beside its amount", () => {
    const text = textOf(renderHtml(<RequestView request={REQUEST} />));
    expect(text).toContain("*Cloud*Compute");
    expect(text).toContain("13%");
    expect(text).toContain(SERVICE);
    expect(text).toContain("Seller Cloud Seller Ltd.");
  });

  it("shows the draft as one table per invoice, with its lines and three totals", () => {
    const html = renderHtml(<RequestView request={REQUEST} onPreviewDraft={() => undefined} />);
    const text = textOf(html);
    expect(text).toContain("Draft invoices");
    expect(text).toContain("Invoice 1 of 2");
    expect(text).toContain("Invoice 2 of 2");
    expect(text).toContain("Preview PDF");

    const first = textOf(section(html, "draft-invoice-1").split('data-testid="draft-invoice-2"')[0] ?? "");
    expect(first).toContain("*信息技术服务*云服务费");
    expect(first).toContain("3040201000000000000");
    expect(first).toContain("6%");
    // the line, then the totals row: excluding tax, tax, including tax
    expect(first).toContain("¥943.40 ¥56.60 ¥1,000.00 Total ¥943.40 ¥56.60 ¥1,000.00");
    expect(first).not.toContain("¥471.70");

    const second = textOf(section(html, "draft-invoice-2"));
    expect(second).toContain("Total ¥471.70 ¥28.30 ¥500.00");
  });

  it("offers no preview when the page gives no way to fetch it", () => {
    expect(textOf(renderHtml(<RequestView request={REQUEST} />))).not.toContain("Preview PDF");
  });

  it("shows an issued invoice's three totals", () => {
    const issued: InvoiceRequest = {
      ...REQUEST,
      status: "issued",
      invoices: [
        {
          number: "24352000000012345678",
          amount: "1000.00",
          amount_excluding_tax: "943.40",
          tax_amount: "56.60",
          lines: [line("1000.00", "943.40", "56.60")],
          issued_at: "2026-12-03T13:00:00Z",
          file_url: null,
          files: [],
        },
      ],
    };
    const text = textOf(renderHtml(<RequestView request={issued} />));
    expect(text).toContain("24352000000012345678 ¥943.40 ¥56.60 ¥1,000.00");
  });
});
