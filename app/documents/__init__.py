"""The invoice document: what an invoice says (seller, buyer, lines, totals) and its renderings —
the amount in Chinese capitals, the PDF (draft preview or issued invoice) and the XML. Pure: no
database, no HTTP. See docs/DOCUMENTS.md."""

from app.documents.build import buyer_party, document_lines, draft_documents, seller_party
from app.documents.capitals import to_chinese_capitals
from app.documents.codec import document_from_dict, document_to_dict, fingerprint
from app.documents.document import INVOICE_TITLES, DocumentLine, InvoiceDocument, Party
from app.documents.fonts import FontNotFound, find_cjk_font
from app.documents.pdf import PREVIEW_MARK, render_draft_preview, render_invoice
from app.documents.xml import render_invoice_xml

__all__ = [
    "INVOICE_TITLES",
    "PREVIEW_MARK",
    "DocumentLine",
    "FontNotFound",
    "InvoiceDocument",
    "Party",
    "buyer_party",
    "document_from_dict",
    "document_lines",
    "document_to_dict",
    "draft_documents",
    "find_cjk_font",
    "fingerprint",
    "render_draft_preview",
    "render_invoice",
    "render_invoice_xml",
    "seller_party",
    "to_chinese_capitals",
]
