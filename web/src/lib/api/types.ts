// Names for the generated schema types the pages use (schema.d.ts is generated from /openapi.json).
import type { Schemas } from "./client";

export type Move = Schemas["Move"];
export type FileFormat = Schemas["FileFormat"];
export type InvoiceFile = Schemas["InvoiceFileOut"];
export type Delivery = Schemas["DeliveryOut"];
export type Invoice = Schemas["InvoiceOut"];
export type InvoiceRequest = Schemas["InvoiceRequestOut"];
export type InvoiceLine = Schemas["InvoiceLineOut"];
export type DraftInvoice = Schemas["DraftInvoiceOut"];
export type SellerTotals = Schemas["SellerTotals"];
/** What the request lists carry; the full `InvoiceRequest` is read by id. */
export type InvoiceRequestSummary = Schemas["InvoiceRequestSummary"];
export type Summary = Schemas["InvoiceableSummaryOut"];
export type Bill = Schemas["BillOut"];
export type Card = Schemas["CardOut"];
export type Profile = Schemas["ProfileOut"];
export type Address = Schemas["AddressOut"];
export type Status = Schemas["Status"];
export type InvoiceType = Profile["invoice_type"];
export type Blocker = Summary["blockers"][number];
export type MonthFigures = Schemas["MonthFiguresOut"];

export const STATUSES: Status[] = ["pending", "processing", "issuing", "issued", "delivered", "rejected", "cancelled", "reversing", "reversed"];
export const INVOICE_TYPES: InvoiceType[] = [
  "vat_ordinary",
  "vat_special",
  "electronic_ordinary",
  "digital_special",
  "digital_ordinary",
];
/** The types issued as files and emailed (the others are paper, posted). */
export const ELECTRONIC_TYPES: InvoiceType[] = ["electronic_ordinary", "digital_special", "digital_ordinary"];
export const FILE_FORMATS: FileFormat[] = ["pdf", "ofd", "xml"];

export function isInvoiceType(value: string): value is InvoiceType {
  return (INVOICE_TYPES as string[]).includes(value);
}
