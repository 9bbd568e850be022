"""An InvoiceDocument as plain JSON data and back, for storing a submitted document (the sandbox)
or a snapshot; amounts stay integer fen, the time RFC 3339."""

import hashlib
import json
from datetime import datetime
from typing import Any

from app.documents.document import DocumentLine, InvoiceDocument, Party

_PARTY_FIELDS = ("name", "taxpayer_id", "address", "phone", "bank_name", "bank_account")
_LINE_FIELDS = ("item_name", "tax_category_code", "tax_rate", "amount", "amount_excluding_tax", "tax_amount")


def _party(party: Party) -> dict[str, Any]:
    return {name: getattr(party, name) for name in _PARTY_FIELDS}


def line_to_dict(line: DocumentLine) -> dict[str, Any]:
    return {name: getattr(line, name) for name in _LINE_FIELDS}


def line_from_dict(data: dict[str, Any]) -> DocumentLine:
    return DocumentLine(**{name: data[name] for name in _LINE_FIELDS})


def document_to_dict(doc: InvoiceDocument) -> dict[str, Any]:
    return {
        "seller": _party(doc.seller),
        "buyer": _party(doc.buyer),
        "lines": [line_to_dict(line) for line in doc.lines],
        "invoice_type": doc.invoice_type,
        "number": doc.number,
        "issued_at": doc.issued_at.isoformat() if doc.issued_at else None,
        "remark": doc.remark,
        "blue_number": doc.blue_number,
        "issuer_name": doc.issuer_name,
    }


def document_from_dict(data: dict[str, Any]) -> InvoiceDocument:
    issued_at = data.get("issued_at")
    return InvoiceDocument(
        seller=Party(**{name: data["seller"].get(name) for name in _PARTY_FIELDS}),
        buyer=Party(**{name: data["buyer"].get(name) for name in _PARTY_FIELDS}),
        lines=tuple(line_from_dict(line) for line in data["lines"]),
        invoice_type=data["invoice_type"],
        number=data.get("number"),
        issued_at=datetime.fromisoformat(issued_at) if issued_at else None,
        remark=data.get("remark"),
        blue_number=data.get("blue_number"),
        issuer_name=data.get("issuer_name"),
    )


def fingerprint(doc: InvoiceDocument) -> str:
    """SHA-256 of the document's canonical JSON: equal documents, equal fingerprints."""
    canonical = json.dumps(document_to_dict(doc), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
