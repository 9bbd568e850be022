"""What the sandbox tax platform checks before it accepts a submission, as a real one does: a
refusal at once is a (code, message) pair, and nothing is recorded."""

from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.documents import DocumentLine, InvoiceDocument
from app.taxplatform.models import SandboxInvoice

# 诺诺 accepts a line's tax within 0.06 of amount excluding tax × rate (InvoiceDetailDto.tax).
TAX_TOLERANCE_FEN = 6


def _tax_is_plausible(line: DocumentLine) -> bool:
    try:
        rate = Decimal(line.tax_rate)
    except InvalidOperation:
        return False
    if not Decimal(0) <= rate < Decimal(1):
        return False
    expected = Decimal(line.amount_excluding_tax) * rate
    return abs(Decimal(line.tax_amount) - expected) <= TAX_TOLERANCE_FEN


def check_blue(document: InvoiceDocument) -> tuple[str, str] | None:
    """What the platform checks at once on a blue invoice (synchronous refusals): (code, message)."""
    problem = _common_problem(document)
    if problem is None and document.amount <= 0:
        problem = ("invalid_document", "a blue invoice's total must be positive")
    return problem


def _common_problem(document: InvoiceDocument) -> tuple[str, str] | None:
    if document.number is not None or document.issued_at is not None:
        return ("invalid_document", "the platform assigns the number and the time")
    if not document.seller.taxpayer_id:
        return ("invalid_document", "the seller has no taxpayer id")
    if not document.lines:
        return ("invalid_document", "an invoice has at least one line")
    for position, line in enumerate(document.lines, start=1):
        if len(line.tax_category_code) != 19 or not line.tax_category_code.isdigit():
            return ("invalid_document", f"line {position}: a tax category code is 19 digits")
        if not _tax_is_plausible(line):
            return ("tax_mismatch", f"line {position}: the tax does not match the rate {line.tax_rate}")
    return None


async def check_red(session: AsyncSession, document: InvoiceDocument) -> tuple[str, str] | None:
    """A red-letter invoice reverses an issued blue invoice of the same seller, in full, once."""
    if document.number is not None or document.issued_at is not None:
        return ("invalid_document", "the platform assigns the number and the time")
    blue = (
        await session.execute(
            select(SandboxInvoice).where(
                SandboxInvoice.number == document.blue_number, SandboxInvoice.kind == "blue"
            )
        )
    ).scalar_one_or_none()
    if blue is None or blue.seller_taxpayer_id != document.seller.taxpayer_id:
        return ("blue_invoice_not_found", f"no issued invoice {document.blue_number}")
    taken = (
        await session.execute(select(SandboxInvoice.serial).where(SandboxInvoice.reverses == blue.number))
    ).scalar_one_or_none()
    if taken is not None:
        return ("blue_invoice_already_reversed", f"{blue.number} is already reversed")
    expected = [
        (
            line["item_name"],
            line["tax_category_code"],
            line["tax_rate"],
            -line["amount"],
            -line["amount_excluding_tax"],
            -line["tax_amount"],
        )
        for line in blue.document["lines"]
    ]
    given = [
        (
            line.item_name,
            line.tax_category_code,
            line.tax_rate,
            line.amount,
            line.amount_excluding_tax,
            line.tax_amount,
        )
        for line in document.lines
    ]
    if given != expected:
        return ("red_letter_mismatch", "a red-letter invoice negates every line of its blue one")
    return None
