// The words of a request's lines and timeline notes in the reader's language. The API writes them in
// English and gives what is needed to word them (README "Languages"): an item's `period` or `card_no`,
// an event's `note_code` with the request's invoices, carrier, tracking number and address snapshot.
// A note without a code is a person's words (a reason) and is shown as written.
import type { TFunction } from "i18next";
import { ELECTRONIC_TYPES, type InvoiceRequest } from "@/lib/api/types";

type Item = InvoiceRequest["items"][number];
type Event = InvoiceRequest["events"][number];

/** "Bill 2026-11" / "账单 2026-11"; the English label when the reference is missing. */
export function itemLabel(t: TFunction, item: Item): string {
  if (item.kind === "bill" && item.period) return t("lines.bill", { period: item.period });
  if (item.kind === "stored_value_card" && item.card_no) return t("lines.card", { cardNo: item.card_no });
  return item.label;
}

/** The event's note in the reader's language, or null when there is none. */
export function eventNote(t: TFunction, event: Event, request: InvoiceRequest): string | null {
  const list = (values: string[]) => values.join(t("timelineNote.listSeparator"));
  switch (event.note_code) {
    case "invoices_issued":
      return request.invoices.length > 0
        ? t("timelineNote.invoices_issued", { numbers: list(request.invoices.map((invoice) => invoice.number)) })
        : event.note;
    case "delivered": {
      const parts: string[] = [];
      if (ELECTRONIC_TYPES.includes(request.invoice_type)) {
        const to = [request.address.email, ...(request.address.cc_emails ?? [])].filter((email): email is string => !!email);
        if (to.length > 0) parts.push(t("timelineNote.emailedTo", { to: list(to) }));
      }
      if (request.carrier) parts.push(t("timelineNote.carrier", { carrier: request.carrier }));
      if (request.tracking_number) parts.push(t("timelineNote.trackingNumber", { number: request.tracking_number }));
      return parts.length > 0 ? parts.join(t("timelineNote.separator")) : event.note;
    }
    case "requested_automatically":
      return t("timelineNote.requested_automatically");
    case "red_invoices_recorded": {
      const reds = request.red_letter?.red_invoices ?? [];
      return reds.length > 0 ? t("timelineNote.red_invoices_recorded", { numbers: list(reds.map((red) => red.number)) }) : event.note;
    }
    case "red_letter_confirmed":
      return request.red_letter?.form_no
        ? t("timelineNote.red_letter_confirmed_form", { formNo: request.red_letter.form_no })
        : t("timelineNote.red_letter_confirmed");
    case "reversal_expired":
      return t("timelineNote.reversal_expired");
    case "replacement_cancelled":
      return t("timelineNote.replacement_cancelled");
    default:
      return event.note ?? null;
  }
}
