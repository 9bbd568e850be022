import i18next from "i18next";
import { describe, expect, it } from "vitest";
import type { InvoiceRequest } from "@/lib/api/types";
import { en } from "@/lib/i18n/en";
import { zhCN } from "@/lib/i18n/zh-CN";
import { eventNote, itemLabel } from "./wording";

const i18n = i18next.createInstance();
void i18n.init({
  resources: { en: { translation: en }, "zh-CN": { translation: zhCN } },
  lng: "zh-CN",
  interpolation: { escapeValue: false },
});
const zh = i18n.getFixedT("zh-CN");
const english = i18n.getFixedT("en");

const request = {
  invoice_type: "electronic_ordinary",
  invoices: [{ number: "A-1" }, { number: "A-2" }],
  carrier: null,
  tracking_number: null,
  address: { email: "finance@acme.example", cc_emails: ["cfo@acme.example"] },
} as unknown as InvoiceRequest;
type Item = InvoiceRequest["items"][number];
type Event = InvoiceRequest["events"][number];
const event = (note_code: Event["note_code"], note: string | null) => ({ status: "issued", note_code, note }) as Event;

describe("request wording", () => {
  it("words lines from the period or the card number", () => {
    const bill = { kind: "bill", period: "2026-11", card_no: null, label: "Bill 2026-11" } as Item;
    const card = { kind: "stored_value_card", period: null, card_no: "SVC-1", label: "Stored-value card SVC-1" } as Item;
    expect(itemLabel(zh, bill)).toBe("账单 2026-11");
    expect(itemLabel(zh, card)).toBe("储值卡 SVC-1");
    expect(itemLabel(english, bill)).toBe("Bill 2026-11");
    expect(itemLabel(zh, { ...bill, period: null })).toBe("Bill 2026-11"); // nothing better to say
  });

  it("words the notes the service wrote, and keeps a person's reason as written", () => {
    expect(eventNote(zh, event("invoices_issued", "Invoices A-1, A-2"), request)).toBe("发票 A-1、A-2");
    expect(eventNote(zh, event("delivered", "Emailed to …"), request)).toBe("已发送至 finance@acme.example、cfo@acme.example");
    const paper = { ...request, invoice_type: "vat_special", carrier: "SF Express", tracking_number: "SF1" } as InvoiceRequest;
    expect(eventNote(zh, event("delivered", "Carrier: …"), paper)).toBe("承运商：SF Express；运单号：SF1");
    expect(eventNote(english, event("delivered", "Carrier: …"), paper)).toBe("Carrier: SF Express; Tracking number: SF1");
    expect(eventNote(zh, event("requested_automatically", "Requested automatically …"), request)).toBe("由每月自动开票申请");
    expect(eventNote(zh, event(null, "标题与营业执照不一致"), request)).toBe("标题与营业执照不一致");
    expect(eventNote(zh, event(null, null), request)).toBeNull();
  });
});
