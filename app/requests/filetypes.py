"""Invoice file formats: what each accepts, how a body is recognised, and the delivery rule.

A body is accepted as a format only if it is one: a PDF starts with `%PDF-`; an OFD (GB/T 33190) is
a ZIP container (`PK\\x03\\x04`) whose root holds `OFD.xml`; an XML e-invoice must parse as
well-formed XML with DTDs and entities refused (defusedxml: no XXE, no billion laughs).
"""

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from app.profiles.rules import is_electronic


class FileFormat(StrEnum):
    pdf = "pdf"
    ofd = "ofd"
    xml = "xml"


# Where an invoice's file is, here only: the routes (PUT and GET), each file's `url` in responses,
# and the body limit of uploads (app/main.py) read it.
FILE_PATH = "/v1/invoice-requests/{request_id}/invoices/{number}/files/{file_format}"
FILE_PATH_PATTERN = re.compile(re.sub(r"\{[a-z_]+\}", "[^/]+", FILE_PATH))


def file_url(request_id: object, number: str, file_format: str) -> str:
    return FILE_PATH.format(request_id=request_id, number=number, file_format=file_format)


# The media type stored and served for each format, and the Content-Types an upload may carry.
MEDIA_TYPE: Mapping[FileFormat, str] = {
    FileFormat.pdf: "application/pdf",
    FileFormat.ofd: "application/ofd",
    FileFormat.xml: "application/xml",
}
ACCEPTED_TYPES: Mapping[FileFormat, frozenset[str]] = {
    FileFormat.pdf: frozenset({"application/pdf"}),
    FileFormat.ofd: frozenset({"application/ofd"}),
    FileFormat.xml: frozenset({"application/xml", "text/xml"}),
}


def media_type_of(header: str | None) -> str:
    """`application/xml; charset=utf-8` -> `application/xml`."""
    return (header or "").split(";", 1)[0].strip().lower()


def _is_pdf(body: bytes) -> bool:
    return body.startswith(b"%PDF-")


def _is_ofd(body: bytes) -> bool:
    if not body.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:  # reads the central directory only
            names = {name.lower().lstrip("/") for name in archive.namelist()}
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "ofd.xml" in names


def _is_xml(body: bytes) -> bool:
    try:
        fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError):
        return False
    return True


_CHECKS = {FileFormat.pdf: _is_pdf, FileFormat.ofd: _is_ofd, FileFormat.xml: _is_xml}
WHAT = {
    FileFormat.pdf: "a PDF file (it must start with %PDF-)",
    FileFormat.ofd: "an OFD file (a ZIP container with OFD.xml at its root)",
    FileFormat.xml: "a well-formed XML document without a DTD",
}


def is_format(body: bytes, file_format: FileFormat) -> bool:
    return bool(body) and _CHECKS[file_format](body)


def invoices_missing_pdf(invoice_type: str, invoices: Sequence[Mapping[str, Any]]) -> list[str]:
    """Electronic invoices are delivered by email with their PDF: the numbers that have none yet.
    `invoices` are response dicts (`number`, `files: [{format, …}]`). Paper needs no file."""
    if not is_electronic(invoice_type):
        return []
    return [
        str(invoice["number"])
        for invoice in invoices
        if not any(file["format"] == FileFormat.pdf for file in invoice.get("files", []))
    ]
