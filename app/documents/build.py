"""InvoiceDocuments from the API's own JSON shapes (SPEC §7): a seller, a profile snapshot (the
buyer) and a request's `draft` give one document per draft invoice — what `GET …/draft.pdf` renders
and what issuing submits."""

from collections.abc import Mapping, Sequence
from typing import Any

from app.core.money import parse_money
from app.documents.document import DocumentLine, InvoiceDocument, Party


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return str(value) if value not in (None, "") else None


def seller_party(seller: Mapping[str, Any]) -> Party:
    """A seller (or the request's seller snapshot): name, taxpayer_id, address, phone, bank_name,
    bank_account."""
    return Party(
        name=str(seller["name"]),
        taxpayer_id=_text(seller, "taxpayer_id"),
        address=_text(seller, "address"),
        phone=_text(seller, "phone"),
        bank_name=_text(seller, "bank_name"),
        bank_account=_text(seller, "bank_account"),
    )


def buyer_party(profile: Mapping[str, Any]) -> Party:
    """The buyer from a request's profile snapshot: title, taxpayer_id, registered_address,
    registered_phone, bank_name, bank_account."""
    return Party(
        name=str(profile["title"]),
        taxpayer_id=_text(profile, "taxpayer_id"),
        address=_text(profile, "registered_address"),
        phone=_text(profile, "registered_phone"),
        bank_name=_text(profile, "bank_name"),
        bank_account=_text(profile, "bank_account"),
    )


def document_lines(lines: Sequence[Mapping[str, Any]]) -> tuple[DocumentLine, ...]:
    """Draft or issued lines as the API writes them (money as "943.40" strings) in integer fen."""
    return tuple(
        DocumentLine(
            item_name=str(line["item_name"]),
            tax_category_code=str(line["tax_category_code"]),
            tax_rate=str(line["tax_rate"]),
            amount=parse_money(line["amount"]),
            amount_excluding_tax=parse_money(line["amount_excluding_tax"]),
            tax_amount=parse_money(line["tax_amount"]),
        )
        for line in lines
    )


def draft_documents(
    *,
    seller: Mapping[str, Any],
    profile: Mapping[str, Any],
    draft: Mapping[str, Any],
    invoice_type: str,
    remark: str | None = None,
) -> list[InvoiceDocument]:
    """One document per invoice of a request's `draft: {invoices: [{…, lines: […]}]}`, in order.
    ValueError when an invoice's stated totals are not the sums of its lines."""
    seller_of, buyer = seller_party(seller), buyer_party(profile)
    documents = []
    for position, invoice in enumerate(draft["invoices"], start=1):
        doc = InvoiceDocument(
            seller=seller_of,
            buyer=buyer,
            lines=document_lines(invoice["lines"]),
            invoice_type=invoice_type,
            remark=remark,
        )
        for key in ("amount", "amount_excluding_tax", "tax_amount"):
            if key in invoice and parse_money(invoice[key]) != getattr(doc, key):
                raise ValueError(f"draft invoice {position}: {key} is not the sum of its lines")
        documents.append(doc)
    return documents
