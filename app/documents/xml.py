"""The invoice as XML: the same data as the PDF, machine-readable, UTF-8, no DTD (docs/DOCUMENTS.md)."""

from xml.etree.ElementTree import Element, SubElement, indent, tostring

from app.documents.capitals import to_chinese_capitals
from app.documents.document import InvoiceDocument, Party
from app.documents.formatting import china_timestamp, money

XML_VERSION = "1"


def _text(parent: Element, tag: str, value: str | None) -> None:
    """An element with text; an absent value is an absent element (never an empty one)."""
    if value is not None:
        SubElement(parent, tag).text = value


def _party(parent: Element, tag: str, party: Party) -> None:
    element = SubElement(parent, tag)
    _text(element, "Name", party.name)
    _text(element, "TaxpayerId", party.taxpayer_id)
    _text(element, "Address", party.address)
    _text(element, "Phone", party.phone)
    _text(element, "BankName", party.bank_name)
    _text(element, "BankAccount", party.bank_account)


def render_invoice_xml(doc: InvoiceDocument) -> bytes:
    """`<Invoice version="1" type="…" status="issued|draft">` with Title, Number, IssuedAt (+08:00),
    BlueNumber, Seller, Buyer, Lines/Line, Totals (figures and AmountInCapitals), Remark, Issuer.
    Amounts are two-decimal yuan strings ("943.40"), rates as given ("0.06")."""
    root = Element(
        "Invoice",
        {"version": XML_VERSION, "type": doc.invoice_type, "status": "issued" if doc.is_issued else "draft"},
    )
    _text(root, "Title", doc.title)
    _text(root, "Number", doc.number)
    _text(root, "IssuedAt", china_timestamp(doc.issued_at) if doc.issued_at else None)
    _text(root, "BlueNumber", doc.blue_number)
    _party(root, "Seller", doc.seller)
    _party(root, "Buyer", doc.buyer)
    lines = SubElement(root, "Lines")
    for position, line in enumerate(doc.lines, start=1):
        element = SubElement(lines, "Line", {"position": str(position)})
        _text(element, "ItemName", line.item_name)
        _text(element, "TaxCategoryCode", line.tax_category_code)
        _text(element, "TaxRate", line.tax_rate)
        _text(element, "AmountExcludingTax", money(line.amount_excluding_tax))
        _text(element, "TaxAmount", money(line.tax_amount))
        _text(element, "Amount", money(line.amount))
    totals = SubElement(root, "Totals", {"currency": "CNY"})
    _text(totals, "AmountExcludingTax", money(doc.amount_excluding_tax))
    _text(totals, "TaxAmount", money(doc.tax_amount))
    _text(totals, "Amount", money(doc.amount))
    _text(totals, "AmountInCapitals", to_chinese_capitals(doc.amount))
    _text(root, "Remark", doc.remark)
    _text(root, "Issuer", doc.issuer_name)
    indent(root)
    return bytes(tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"
