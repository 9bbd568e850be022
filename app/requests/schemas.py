"""Invoice-request request/response models; the rules live in create.py and lifecycle.py."""

import re
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, WithJsonSchema, model_validator

from app.core.clock import Timestamp, TimestampIn, UTCTimestamp
from app.core.errors import NotFound
from app.core.ids import Id, NativeId
from app.core.money import MoneyOut, PositiveMoneyIn
from app.core.schemas import RequestModel, ResponseModel
from app.core.validators import VISIBLE, Email, Text
from app.events.schemas import ActorOut
from app.profiles.rules import InvoiceType
from app.requests.draft import MAX_DRAFT_INVOICES
from app.requests.states import Confirmation, Move, Status
from app.sellers.terms import TaxRate

# Bounds that keep a hostile body cheap to refuse; the product limits (at most 500 items, no
# duplicates, something selected) are checked by the service so refusals keep their order.
MAX_LISTED_IDS = 1000
MAX_INVOICES = MAX_DRAFT_INVOICES  # one issue takes as many invoices as a draft may have

# Ids are UUIDs: any other string names nothing (404), as would an unknown UUID.
IdIn = Annotated[
    str, StringConstraints(min_length=1, max_length=64), WithJsonSchema({"type": "string", "format": "uuid"})
]
Reason = Annotated[str, Text(1, 500, single_line=False)]
# Formats are exact, not trimmed: the documented pattern is the whole rule.
_INVOICE_NUMBER_PATTERN = r"^[A-Za-z0-9-]+$"
MAX_INVOICE_NUMBER = 64
InvoiceNumber = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_INVOICE_NUMBER, pattern=_INVOICE_NUMBER_PATTERN)
]
_INVOICE_NUMBER = re.compile(_INVOICE_NUMBER_PATTERN)


def parse_invoice_number(value: str) -> str:
    """An invoice number from a path, by the same rule as `InvoiceNumber`; a string no invoice can
    have (NUL, other scripts, too long) names nothing: 404, without asking the database."""
    if len(value) > MAX_INVOICE_NUMBER or not _INVOICE_NUMBER.fullmatch(value):
        raise NotFound("No such invoice.")
    return value


FileUrl = Annotated[str, StringConstraints(max_length=2048, pattern=f"^https?://{VISIBLE}+$")]
ShortText = Annotated[str, Text(1, 100)]
TrackingNumber = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9-]+$")]
ItemKind = Literal["bill", "stored_value_card"]


def _something_selected(schema: dict[str, Any]) -> None:
    """The document says what the service checks: at least one bill or card is selected (as
    `if`/`then`: no bill, then a card; a top-level `anyOf` splits generated clients' body model)."""

    def some(name: str) -> dict[str, Any]:
        return {"required": [name], "properties": {name: {"minItems": 1}}}

    schema["if"] = {"not": some("bill_ids")}
    schema["then"] = some("stored_value_card_ids")


class InvoiceRequestCreate(RequestModel):
    # Checked by the service, not by validation, so the refusals keep their documented order.
    model_config = ConfigDict(json_schema_extra=_something_selected)

    bill_ids: list[IdIn] = Field(
        default_factory=list,
        examples=[["0b7e1e0c-8a4e-4c1e-9a53-2f1d7c3b9a10", "5d1f6a3e-2b7c-4e8f-9a10-3c4d5e6f7a8b"]],
        max_length=MAX_LISTED_IDS,
        description="Bills to invoice (ids from GET /v1/bills)",
        json_schema_extra={"uniqueItems": True},
    )
    stored_value_card_ids: list[IdIn] = Field(
        default_factory=list,
        max_length=MAX_LISTED_IDS,
        description="Stored-value cards to invoice",
        json_schema_extra={"uniqueItems": True},
    )
    profile_id: IdIn = Field(
        description="The invoice profile (invoice information) to invoice to",
        examples=["7c9e6679-7425-40de-944b-e07fc1f90ae7"],
    )
    address_id: IdIn = Field(
        description="The mailing address the invoice is sent to",
        examples=["16fd2706-8baf-433b-82eb-8c7fada847da"],
    )
    remark: Annotated[str, Text(0, 500, single_line=False)] | None = Field(
        default=None, description="A note for finance", examples=["Please issue before month end"]
    )


class InvoiceIn(RequestModel):
    number: InvoiceNumber = Field(
        description="The invoice number; unique across all invoices, whatever its case",
        examples=["24352000000012345678"],
    )
    amount: PositiveMoneyIn = Field(examples=["1024.50"])
    issued_at: TimestampIn | None = Field(default=None, description="Defaults to now")
    file_url: FileUrl | None = Field(
        default=None,
        description="Where the invoice file can be downloaded",
        examples=["https://files.example.com/invoices/24352000000012345678.pdf"],
    )


class IssueIn(RequestModel):
    """Manual issuing gives `invoices`; without them (an empty body, `{}` or `{"via": "tax_platform"}`)
    the draft's invoices are issued through the tax platform."""

    # Not both: in the schema too, so generated clients and the contract fuzzer know it.
    model_config = ConfigDict(json_schema_extra={"not": {"required": ["invoices", "via"]}})

    invoices: list[InvoiceIn] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_INVOICES,
        description="Manual issuing: one or more invoices whose amounts sum to the request's amount; the "
        "draft's lines are cut, in order, at these amounts. Each at most the seller's `max_invoice_amount` "
        "(422 `invoice_limit_exceeded`); digital types (`digital_special`, `digital_ordinary`) are "
        "numbered with 20 digits (422). Omitted: issued through the tax platform",
    )
    via: Literal["tax_platform"] | None = Field(
        default=None,
        description="`tax_platform`: the worker submits the draft's invoices to INVOICING_TAX_PLATFORM "
        "(202, status `issuing`); not together with `invoices` (422)",
    )

    @model_validator(mode="after")
    def _one_way(self) -> "IssueIn":
        if {"invoices", "via"} <= self.model_fields_set:
            raise ValueError("give invoices (manual issuing) or via tax_platform, not both")
        return self


class DeliverIn(RequestModel):
    carrier: ShortText | None = Field(default=None, examples=["SF Express"])
    tracking_number: TrackingNumber | None = Field(
        default=None,
        description="Required for paper invoices (vat_ordinary, vat_special)",
        examples=["SF1234567890"],
    )


class ReasonIn(RequestModel):
    reason: Reason = Field(examples=["The title does not match the business licence"])


ReasonCode = Literal["issue_error", "sales_return", "service_termination", "sales_discount"]
BuyerUsage = Literal["none", "deducted", "booked"]


class ReverseIn(RequestModel):
    reason: Reason = Field(examples=["The buyer's taxpayer id on the invoice was wrong"])
    reason_code: ReasonCode | None = Field(
        default=None,
        description="Why the invoices are reversed: `issue_error` (开票有误; the default), `sales_return` "
        "(销货退回), `service_termination` (服务中止), `sales_discount` (销售折让)",
    )
    buyer_usage: BuyerUsage | None = Field(
        default=None,
        description="Whether the buyer already used the blue invoices: `none`, `deducted` (input-tax "
        "deduction, 用途确认) or `booked` (入账确认). Not `none`: the buyer must confirm. Omitted: "
        "`deducted` for special invoice types, `none` for the others",
    )


class ConfirmRedLetterIn(RequestModel):
    form_no: (
        Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")] | None
    ) = Field(
        default=None,
        description="The red-letter confirmation form's number (红字确认单编号), where the buyer "
        "confirmed it on the tax platform",
        examples=["44030024120300000123"],
    )


class DeclineRedLetterIn(RequestModel):
    reason: Reason | None = Field(default=None, examples=["We already deducted the input tax"])


class RedInvoiceIn(RequestModel):
    number: InvoiceNumber = Field(
        description="The red-letter invoice's number; unique across all invoices, blue and red, whatever "
        "its case",
        examples=["24352000000012349999"],
    )
    blue_number: InvoiceNumber = Field(
        description="The number of this request's issued (blue) invoice it reverses",
        examples=["24352000000012345678"],
    )
    issued_at: TimestampIn | None = Field(default=None, description="Defaults to now")


class RedInvoicesIn(RequestModel):
    invoices: list[RedInvoiceIn] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_INVOICES,
        description="Exactly one red-letter invoice per issued (blue) invoice of the request. Omitted "
        "(an empty body or `{}`): the red-letter invoices are issued through the tax platform (202)",
    )


class ReissueIn(RequestModel):
    profile_id: IdIn | None = Field(
        default=None, description="The invoice profile of the replacing request (default: the same)"
    )
    address_id: IdIn | None = Field(
        default=None, description="The mailing address of the replacing request (default: the same)"
    )
    reason: Reason = Field(examples=["The invoice header must be the subsidiary's"])


class ItemOut(ResponseModel):
    kind: ItemKind
    id: Id = Field(description="The bill or stored-value card id")
    label: str = Field(
        description="What the line is, in English (`Bill 2026-11`, `Stored-value card SVC-0001`, with "
        "`: settles an earlier over-invoiced amount` on a negative line). A client showing another "
        "language builds its own words from `kind`, `period` or `card_no` and the amount's sign."
    )
    period: str | None = Field(description="The bill's month, `YYYY-MM` (`kind: bill`; else null)")
    card_no: str | None = Field(description="The card's number (`kind: stored_value_card`; else null)")
    amount: MoneyOut = Field(
        description="What this request invoices of the item; negative on a line that settles an "
        "amount over-invoiced earlier (the label says so)"
    )
    seller_id: Id = Field(description="The item's seller (the request's: one seller per request)")
    tax_rate: TaxRate
    tax_category_code: str = Field(description="The 19-digit tax category code (税收分类编码)")
    item_name: str = Field(description="The name its invoice line carries")


class SellerSnapshotOut(ResponseModel):
    """The seller as it was when the request was made."""

    id: Id
    name: str
    taxpayer_id: str
    address: str
    phone: str
    bank_name: str
    bank_account: str
    max_invoice_amount: MoneyOut | None = Field(description="The largest amount of one invoice; null: none")


class InvoiceLineOut(ResponseModel):
    item_name: str
    tax_category_code: str
    tax_rate: TaxRate
    amount: MoneyOut = Field(description="Tax-inclusive")
    amount_excluding_tax: MoneyOut = Field(description="amount - tax_amount")
    tax_amount: MoneyOut = Field(description="round_half_up(amount * rate / (1 + rate)), in fen")


class DraftInvoiceOut(ResponseModel):
    amount: MoneyOut = Field(description="Tax-inclusive: the sum of its lines")
    amount_excluding_tax: MoneyOut = Field(description="The sum of its lines' amounts excluding tax")
    tax_amount: MoneyOut = Field(description="The sum of its lines' tax (never a tax on the total)")
    lines: list[InvoiceLineOut]


class DraftOut(ResponseModel):
    """The invoices issuing will produce (docs/MONEY.md): the lines grouped by item name, code and
    rate in order of first appearance, filled into invoices of at most the seller's
    `max_invoice_amount` (a line that does not fit is cut and continues on the next), taxed per line."""

    invoices: list[DraftInvoiceOut]


class ProfileSnapshotOut(ResponseModel):
    """The invoice profile as it was when the request was made."""

    id: Id
    invoice_type: str
    title: str
    taxpayer_id: str
    bank_name: str | None
    bank_account: str | None
    registered_address: str | None
    registered_phone: str | None


class AddressSnapshotOut(ResponseModel):
    """The mailing address as it was when the request was made."""

    id: Id
    recipient: str
    phone: str
    email: str | None
    cc_emails: list[str] = Field(default_factory=list, description="Copies of electronic invoices")
    address: str | None
    postal_code: str | None


class InvoiceFileOut(ResponseModel):
    format: Literal["pdf", "ofd", "xml"]
    size: int = Field(description="Bytes")
    sha256: str = Field(description="Hex SHA-256 of the bytes (also the download's ETag)")
    url: str = Field(
        description="Where the request's customer and finance download it",
        examples=[
            "/v1/invoice-requests/0b7e1e0c-8a4e-4c1e-9a53-2f1d7c3b9a10/invoices/24352000000012345678/files/pdf"
        ],
    )


class InvoiceOut(ResponseModel):
    number: str
    amount: MoneyOut = Field(description="Tax-inclusive: the sum of its lines")
    amount_excluding_tax: MoneyOut = Field(description="The sum of its lines' amounts excluding tax")
    tax_amount: MoneyOut = Field(description="The sum of its lines' tax")
    lines: list[InvoiceLineOut] = Field(description="The draft's lines as issuing cut them; never changed")
    issued_at: Timestamp
    file_url: str | None
    files: list[InvoiceFileOut] = Field(description="Uploaded files, in the order pdf, ofd, xml")


class RedInvoiceOut(ResponseModel):
    """A red-letter invoice: its blue invoice mirrored with every amount negated."""

    number: str
    blue_number: str = Field(description="The issued (blue) invoice it reverses")
    amount: MoneyOut = Field(description="Minus the blue invoice's amount", examples=["-1024.50"])
    amount_excluding_tax: MoneyOut = Field(description="Minus the blue invoice's amount excluding tax")
    tax_amount: MoneyOut = Field(description="Minus the blue invoice's tax")
    lines: list[InvoiceLineOut] = Field(description="The blue invoice's lines, every amount negated")
    issued_at: Timestamp
    files: list[InvoiceFileOut] = Field(
        default_factory=list,
        description="The files a tax platform issued with it (`pdf`, `xml`), downloaded like a blue "
        "invoice's",
    )


class RedLetterOut(ResponseModel):
    """A red-letter reversal (SPEC §7): set when one starts, kept once it ends."""

    reason_code: ReasonCode
    reason: str
    buyer_usage: BuyerUsage
    confirmation: Confirmation = Field(
        description="`awaiting_buyer` (the customer confirms or declines by `expires_at`), "
        "`not_required` (the buyer did not use the invoices), `confirmed`, `declined`, `expired`"
    )
    form_no: str | None = Field(description="The red-letter confirmation form's number, if given")
    requested_at: Timestamp
    expires_at: Timestamp | None = Field(description="The buyer's deadline; null when none is needed")
    red_invoices: list[RedInvoiceOut] = Field(description="Recorded by finance; then the request is reversed")
    issuing: bool = Field(
        default=False,
        description="The red-letter invoices are being issued through the tax platform (the worker "
        "records them, then the request is reversed)",
    )


class IssueErrorOut(ResponseModel):
    """Why the tax platform did not issue (SPEC §8): the request went back (or stayed) for finance."""

    code: str = Field(
        description="Stable, snake_case: the platform's refusal (`quota_exhausted`, ...), "
        "or `tax_platform_unavailable` / `malformed_answer` after the last retry",
        examples=["quota_exhausted"],
    )
    message: str = Field(description="For finance: the platform's own words")


class DeliveryOut(ResponseModel):
    """Email delivery of an electronic request (null until it is delivered)."""

    channel: Literal["email"]
    to: list[str] = Field(description="Every recipient (the snapshot email and cc_emails, or a resend's)")
    status: Literal["queued", "sent", "failed"]
    attempts: int = Field(description="Tries so far")
    last_error: str | None = Field(description="Why the last try failed")
    sent_at: Timestamp | None


class ResendIn(RequestModel):
    email: Email | None = Field(
        default=None,
        description="Send to this address instead of the snapshot's email and cc_emails",
        examples=["accounts@acme.example"],
    )


NoteCode = Literal[
    "invoices_issued",
    "delivered",
    "requested_automatically",
    "red_invoices_recorded",
    "red_letter_confirmed",
    "reversal_expired",
    "replacement_cancelled",
]


class RequestEventOut(ResponseModel):
    status: Status
    at: Timestamp
    actor_role: Literal["customer", "billing", "finance", "system"] = Field(
        description="Who made the move; `system` for what the service did by itself (automatic "
        "invoicing, an expired red-letter reversal, cancelling its replacement)"
    )
    actor: ActorOut = Field(
        description="Who made the move: `actor_role` again, and the operator's `name` for a move made "
        "with a named staff key (null for the customer and the system)"
    )
    note_code: NoteCode | None = Field(
        description="Set when the service wrote `note` itself, so a client can show it in its own "
        "language from the request's data: `invoices_issued` (the numbers of `invoices`), "
        "`delivered` (`carrier`, `tracking_number` and, for an electronic request, the address "
        "snapshot's `email` and `cc_emails`), `requested_automatically` (monthly automatic "
        "invoicing), `red_invoices_recorded` (the numbers of `red_letter.red_invoices`), "
        "`red_letter_confirmed` (the buyer agreed; `red_letter.form_no`), "
        "`reversal_expired` (the buyer did not answer by `red_letter.expires_at`), "
        "`replacement_cancelled` (the replaced request's reversal was declined or expired). "
        "Null when `note` is a person's words (a reason) or absent: show `note` as it is."
    )
    note: str | None = Field(description="In English when the service wrote it (see `note_code`)")


class InvoiceRequestOut(ResponseModel):
    id: Id
    account_id: Id
    status: Status
    amount: MoneyOut = Field(description="The sum of all lines: what finance invoices")
    invoice_type: InvoiceType
    items: list[ItemOut]
    profile: ProfileSnapshotOut
    address: AddressSnapshotOut
    seller: SellerSnapshotOut
    draft: DraftOut
    remark: str | None
    carrier: str | None
    tracking_number: str | None
    tracking_number_required: bool = Field(
        description="Delivering needs a `tracking_number`: true for paper invoices (posted), false for "
        "electronic ones (emailed)"
    )
    invoices: list[InvoiceOut]
    events: list[RequestEventOut] = Field(description="The timeline, oldest first; append-only")
    delivery: DeliveryOut | None = Field(description="Email delivery (electronic invoices); null before")
    red_letter: RedLetterOut | None = Field(
        description="The red-letter reversal, once one started (null before, and on requests reversed "
        "before red letters were recorded)"
    )
    issue_error: IssueErrorOut | None = Field(
        default=None,
        description="The tax platform's last refusal of this request (back to `processing`, or still "
        "`reversing` for red-letter invoices); null once issued, or when never refused",
    )
    replaces_request_id: NativeId | None = Field(
        description="Re-issue: the request this one replaces (it can be issued once that one is reversed)"
    )
    replaced_by_request_id: NativeId | None = Field(
        description="Re-issue: the request made to replace this one (the latest)"
    )
    due_at: Timestamp = Field(
        description="When finance owes the answer: the creation plus INVOICING_SLA_BUSINESS_DAYS business "
        "days (Monday-Friday, Asia/Shanghai), fixed at creation"
    )
    overdue: bool = Field(description="Still pending or processing, and past `due_at`")
    allowed_moves: list[Move] = Field(
        description=(
            "What the calling key's role may do now, from the one table of moves (app/requests/"
            "states.py): the status moves (`POST …/{id}/<move>`; any other is 409 "
            "`invalid_transition`), the red-letter moves (`confirm_red_letter`, `decline_red_letter`: "
            "customer, `POST …/{id}/red-letter/confirm|decline`; `record_red_invoices`: finance, "
            "`POST …/{id}/red-invoices`), `reissue` (customer, `POST …/{id}/reissue`), "
            "`resend` (customer: a delivered electronic request, "
            "`POST …/{id}/resend`) and `upload_file` (finance: an issued or delivered request, "
            "`PUT …/{id}/invoices/{number}/files/{format}`)"
        ),
        examples=[["start", "reject"]],
    )
    created_at: Timestamp
    updated_at: Timestamp


class InvoiceRequestSummary(ResponseModel):
    """An invoice request as `GET /v1/invoice-requests` lists it: what a queue or a request list
    shows, read in one statement. The full object (items, snapshots, invoices and their files, the
    timeline, delivery and `allowed_moves`) is at `GET /v1/invoice-requests/{id}`."""

    id: NativeId
    account_id: NativeId
    account_name: str = Field(description="The name of the request's account (the customer)")
    status: Status
    amount: MoneyOut = Field(description="The sum of all lines: what finance invoices")
    invoice_type: InvoiceType = Field(
        description="`electronic_ordinary`, `digital_special` and `digital_ordinary` are delivered by "
        "email, `vat_ordinary` and `vat_special` on paper"
    )
    title: str = Field(description="The invoice header: the title of the profile snapshot")
    remark: str | None
    due_at: UTCTimestamp = Field(description="When finance owes the answer (see the full request)")
    overdue: bool = Field(description="Still pending or processing, and past `due_at`")
    created_at: UTCTimestamp
    updated_at: UTCTimestamp


MAX_BULK_IDS = 100


class BulkMoveIn(RequestModel):
    ids: list[IdIn] = Field(
        min_length=1,
        max_length=MAX_BULK_IDS,
        description="The requests to move, at most 100; each is moved (or refused) on its own, in this order",
        examples=[["0b7e1e0c-8a4e-4c1e-9a53-2f1d7c3b9a10"]],
    )
    reason: Reason | None = Field(
        default=None,
        description="Required to reject (the reason every rejected request shows); ignored by `start` "
        "and `issue`",
        examples=["The title does not match the business licence"],
    )


class BulkResultOut(ResponseModel):
    id: str = Field(description="The id as given")
    ok: bool = Field(description="Whether this request made the move")
    code: str | None = Field(
        description="Why not (`ok: false`): the code the single move would answer (`not_found`, "
        "`invalid_transition`, ...); null when it moved"
    )
    status: Status | None = Field(
        description="The request's status now: the new one when it moved, the current one when the move "
        "was refused for it (`invalid_transition`); null for an unknown request"
    )


class BulkMoveOut(ResponseModel):
    results: list[BulkResultOut] = Field(description="One per id, in the order given")


class MonthFiguresOut(ResponseModel):
    """One month of the customer's bills (by bill period): cash parts only, as the invoiceable amount."""

    period: str = Field(description="The bill period, YYYY-MM", examples=["2026-10"])
    billed: MoneyOut = Field(description="The cash part of the month's bills: what can ever be invoiced")
    invoiceable: MoneyOut = Field(
        description="What is left to request on them (each bill's `invoiceable_amount`, before the "
        "account's `invoice_deficit` is settled)"
    )
    requested: MoneyOut = Field(
        description="What active requests (pending to delivered) hold of them, settlement lines included"
    )
    issued: MoneyOut = Field(
        description="Their lines in issued or delivered requests: what was invoiced (negative "
        "settlement lines included)"
    )


class MonthlySummaryOut(ResponseModel):
    months: list[MonthFiguresOut] = Field(
        min_length=12,
        max_length=12,
        description="Twelve months, oldest first; a month without a bill is zeros",
    )
