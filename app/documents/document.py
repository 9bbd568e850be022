"""What an invoice says: seller, buyer, lines (价税分离) and totals, as plain data for the renderers."""

from dataclasses import dataclass, field
from datetime import datetime

from app.core.totals import LineTotals

# The invoice types of SPEC §3 and the title each carries on the document.
INVOICE_TITLES: dict[str, str] = {
    "vat_ordinary": "增值税普通发票",
    "vat_special": "增值税专用发票",
    "electronic_ordinary": "增值税电子普通发票",
    "digital_special": "电子发票（增值税专用发票）",
    "digital_ordinary": "电子发票（普通发票）",
}


@dataclass(frozen=True, slots=True)
class Party:
    """A seller (销售方) or a buyer (购买方). Only the name is always known: an individual's ordinary
    invoice has no taxpayer id, and bank fields are optional on most types."""

    name: str
    taxpayer_id: str | None = None
    address: str | None = None
    phone: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """One line as issued: every amount in integer fen, `amount` tax-inclusive (价税合计 of the line),
    `amount == amount_excluding_tax + tax_amount` (the caller computed them; see docs/MONEY.md).
    `tax_rate` is the rate as the API writes it, a decimal string such as "0.06"."""

    item_name: str
    tax_category_code: str
    tax_rate: str
    amount: int
    amount_excluding_tax: int
    tax_amount: int

    def __post_init__(self) -> None:
        if self.amount_excluding_tax + self.tax_amount != self.amount:
            raise ValueError(
                f"line {self.item_name!r}: amount_excluding_tax + tax_amount "
                f"({self.amount_excluding_tax} + {self.tax_amount}) != amount ({self.amount})"
            )


@dataclass(frozen=True, slots=True)
class InvoiceDocument(LineTotals):
    """One invoice: a draft while `number` and `issued_at` are None, an issued invoice once set.
    Red-letter (红字) invoices carry negative amounts and the blue invoice's number in `remark`."""

    seller: Party
    buyer: Party
    lines: tuple[DocumentLine, ...]
    invoice_type: str
    number: str | None = None
    issued_at: datetime | None = None
    remark: str | None = None
    # For a red-letter invoice: the number of the blue invoice it reverses.
    blue_number: str | None = None
    # Who keyed the invoice in (开票人), printed when given.
    issuer_name: str | None = field(default=None)

    def __post_init__(self) -> None:
        # Accept any sequence but keep the document immutable (and hashable) once made.
        object.__setattr__(self, "lines", tuple(self.lines))
        if self.issued_at is not None and self.issued_at.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware")

    @property
    def title(self) -> str:
        return INVOICE_TITLES.get(self.invoice_type, "发票")

    @property
    def is_issued(self) -> bool:
        return self.number is not None
