// Names for the generated schema types the pages use. `Pending*` holds SPEC fields whose API has not
// landed yet (SPEC §3); each entry goes when the regenerated schema.d.ts carries it.
import type { Schemas } from "./client";

export type Move = Schemas["Move"];

export interface InvoiceFile {
  format: "pdf" | "ofd" | "xml";
  size: number;
  sha256: string;
  url: string;
}

export interface Delivery {
  channel: "email";
  to: string[];
  status: "queued" | "sent" | "failed";
  attempts: number;
  last_error: string | null;
  sent_at: string | null;
}

interface PendingRequestFields {
  delivery?: Delivery | null;
}

interface PendingInvoiceFields {
  files?: InvoiceFile[];
}

export type Invoice = Schemas["InvoiceOut"] & PendingInvoiceFields;
export type AddressSnapshot = Schemas["AddressSnapshotOut"] & { cc_emails?: string[] };
export type InvoiceRequest = Omit<Schemas["InvoiceRequestOut"], "invoices" | "address"> &
  PendingRequestFields & { invoices: Invoice[]; address: AddressSnapshot };
export type Summary = Schemas["InvoiceableSummaryOut"] & { invoice_deficit?: string };
export type Bill = Schemas["BillOut"] & { over_invoiced_amount?: string };
export type Card = Schemas["CardOut"] & { over_invoiced_amount?: string };
export type Profile = Schemas["ProfileOut"];
export type Address = Schemas["AddressOut"] & { cc_emails?: string[] };
export type Status = Schemas["Status"];
export type InvoiceType = Profile["invoice_type"];
export type Blocker = Summary["blockers"][number] | "invoice_deficit";

export const STATUSES: Status[] = ["pending", "processing", "issued", "delivered", "rejected", "cancelled", "reversed"];
export const INVOICE_TYPES: InvoiceType[] = ["vat_ordinary", "vat_special", "electronic_ordinary"];
export const PAPER_TYPES: InvoiceType[] = ["vat_ordinary", "vat_special"];

export function isInvoiceType(value: string): value is InvoiceType {
  return (INVOICE_TYPES as string[]).includes(value);
}
