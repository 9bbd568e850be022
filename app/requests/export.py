"""The finance export: every request the list's filters pick, as CSV or XLSX, streamed.

Requests are read in keyset batches (`BATCH` at a time, each batch in a read session of its own,
with its items and its invoices' lines in two more statements), so memory stays flat however many
rows there are. CSV goes out batch by batch; XLSX is written by XlsxWriter in `constant_memory`
mode to a temporary file (a ZIP cannot be streamed before it is complete), which is then streamed
and deleted. `rows_of` is the one place that decides what a row is: one per line of each issued
invoice (blue, then red-letter ones, each naming the blue invoice it reverses), or one per request
line while nothing is issued; an invoice recorded before invoices carried lines is one row of its
totals.
"""

import asyncio
import csv
import io
import os
import tempfile
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import xlsxwriter
from sqlalchemy import String, bindparam, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.accounts.models import Account
from app.core.clock import format_datetime
from app.core.money import format_money
from app.core.pagination import keyset
from app.requests.models import Invoice, InvoiceLine, InvoiceRequest, InvoiceRequestItem
from app.requests.queries import RequestFilters, filtered

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH = 500
_CHUNK = 64 * 1024
_BOM = "\ufeff"

SessionOpener = Callable[[], AbstractAsyncContextManager[AsyncSession]]

HEADER = (
    "request_id",
    "status",
    "account_id",
    "account_name",
    "title",
    "taxpayer_id",
    "invoice_type",
    "request_amount",
    "created_at",
    "due_at",
    "invoice_number",
    "blue_invoice_number",
    "issued_at",
    "line",
    "item_kind",
    "item_label",
    "item_name",
    "tax_category_code",
    "tax_rate",
    "amount",
    "amount_excluding_tax",
    "tax_amount",
)

_KEYS = (InvoiceRequest.created_at, InvoiceRequest.id)
_COLUMNS = (
    InvoiceRequest.id,
    InvoiceRequest.status,
    InvoiceRequest.account_id,
    Account.name.label("account_name"),
    InvoiceRequest.title,
    InvoiceRequest.taxpayer_id,
    InvoiceRequest.invoice_type,
    InvoiceRequest.amount,
    InvoiceRequest.created_at,
    InvoiceRequest.due_at,
)
_ITEMS = (
    select(
        InvoiceRequestItem.request_id,
        InvoiceRequestItem.position,
        InvoiceRequestItem.kind,
        InvoiceRequestItem.label,
        InvoiceRequestItem.item_name,
        InvoiceRequestItem.tax_category_code,
        InvoiceRequestItem.tax_rate,
        InvoiceRequestItem.amount,
    )
    .where(InvoiceRequestItem.request_id.in_(bindparam("ids", expanding=True)))
    .order_by(InvoiceRequestItem.request_id, InvoiceRequestItem.position)
)
_BLUE = aliased(Invoice)
# Every invoice of the requests with its lines (none for an invoice recorded before lines existed):
# blue invoices first, then the red-letter ones, each in position order.
_INVOICE_LINES = (
    select(
        Invoice.request_id,
        type_coerce(Invoice.number, String).label("number"),
        type_coerce(_BLUE.number, String).label("blue_number"),
        Invoice.issued_at,
        Invoice.amount,
        Invoice.amount_excluding_tax,
        Invoice.tax_amount,
        InvoiceLine.position.label("line_position"),
        InvoiceLine.item_name,
        InvoiceLine.tax_category_code,
        InvoiceLine.tax_rate,
        InvoiceLine.amount.label("line_amount"),
        InvoiceLine.amount_excluding_tax.label("line_amount_excluding_tax"),
        InvoiceLine.tax_amount.label("line_tax_amount"),
    )
    .select_from(Invoice)
    .outerjoin(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
    .outerjoin(_BLUE, _BLUE.id == Invoice.blue_invoice_id)
    .where(Invoice.request_id.in_(bindparam("ids", expanding=True)))
    .order_by(
        Invoice.request_id, Invoice.blue_invoice_id.is_not(None), Invoice.position, InvoiceLine.position
    )
)


def _statement(active: tuple[str, ...], after: bool) -> Any:
    stmt = select(*_COLUMNS).join_from(InvoiceRequest, Account, Account.id == InvoiceRequest.account_id)
    return keyset(filtered(stmt, active), *_KEYS, after=after)


def _text(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula is prefixed with `'`."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def rows_of(
    request: Mapping[Any, Any], items: Sequence[Mapping[Any, Any]], invoices: Sequence[Mapping[Any, Any]]
) -> Iterator[list[str]]:
    """The export's rows of one request (every cell a string; money with two decimals): one per
    line of each of its invoices, or, while none is issued, one per request line (whose tax is
    known only once the draft cuts it into invoice lines)."""
    head = [
        str(request["id"]),
        request["status"],
        str(request["account_id"]),
        _text(request["account_name"]),
        _text(request["title"]),
        request["taxpayer_id"],
        request["invoice_type"],
        format_money(request["amount"]),
        format_datetime(request["created_at"]),
        format_datetime(request["due_at"]),
    ]
    if not invoices:
        for position, item in enumerate(items, start=1):
            terms = [item["item_name"] or "", item["tax_category_code"] or "", item["tax_rate"] or ""]
            unissued = [format_money(item["amount"]), "", ""]
            yield [*head, "", "", "", str(position), item["kind"], _text(item["label"]), *terms, *unissued]
        return
    for invoice in invoices:
        numbers = [invoice["number"], invoice["blue_number"] or "", format_datetime(invoice["issued_at"])]
        if invoice["line_position"] is None:  # recorded before invoices carried lines: its totals
            totals = [invoice["amount"], invoice["amount_excluding_tax"], invoice["tax_amount"]]
            yield [*head, *numbers, "", "", "", "", "", "", *_amounts(totals)]
            continue
        taxed = [_text(invoice["item_name"]), invoice["tax_category_code"], invoice["tax_rate"]]
        figures = [invoice["line_amount"], invoice["line_amount_excluding_tax"], invoice["line_tax_amount"]]
        yield [*head, *numbers, str(invoice["line_position"] + 1), "", "", *taxed, *_amounts(figures)]


def _amounts(fen: Sequence[int]) -> list[str]:
    return [format_money(value) for value in fen]


async def rows(open_session: SessionOpener, filters: RequestFilters) -> AsyncIterator[list[list[str]]]:
    """The export's rows, a batch of requests at a time, newest request first."""
    active = filters.active()
    values = filters.values()
    after: tuple[Any, ...] | None = None
    while True:
        bound: dict[str, Any] = {**values, "keyset_limit": BATCH}
        if after is not None:
            bound.update(keyset_after_0=after[0], keyset_after_1=after[1])
        async with open_session() as session:
            connection = await session.connection()
            requests = (await connection.execute(_statement(active, after is not None), bound)).all()
            if not requests:
                return
            ids = [request.id for request in requests]
            items: defaultdict[uuid.UUID, list[Mapping[Any, Any]]] = defaultdict(list)
            for item in await connection.execute(_ITEMS, {"ids": ids}):
                items[item.request_id].append(item._mapping)
            invoices: defaultdict[uuid.UUID, list[Mapping[Any, Any]]] = defaultdict(list)
            for invoice in await connection.execute(_INVOICE_LINES, {"ids": ids}):
                invoices[invoice.request_id].append(invoice._mapping)
        batch = [
            row
            for request in requests
            for row in rows_of(request._mapping, items[request.id], invoices[request.id])
        ]
        yield batch
        if len(requests) < BATCH:
            return
        last = requests[-1]
        after = (last.created_at, last.id)


async def csv_chunks(open_session: SessionOpener, filters: RequestFilters) -> AsyncIterator[bytes]:
    """UTF-8 with a BOM (Excel then reads Chinese right), a header row, then a chunk per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(_BOM)
    writer.writerow(HEADER)
    yield buffer.getvalue().encode()
    async for batch in rows(open_session, filters):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue().encode()


def _write_rows(sheet: Any, first: int, batch: list[list[str]]) -> None:
    for offset, row in enumerate(batch):
        sheet.write_row(first + offset, 0, row)


async def xlsx_chunks(open_session: SessionOpener, filters: RequestFilters) -> AsyncIterator[bytes]:
    """One sheet, every cell text; written to a temporary file in constant memory, then streamed."""
    with tempfile.TemporaryDirectory(prefix="invoicing-export-") as directory:
        path = os.path.join(directory, "export.xlsx")
        workbook = xlsxwriter.Workbook(
            path,
            {
                "constant_memory": True,
                "tmpdir": directory,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        sheet = workbook.add_worksheet("invoice requests")
        sheet.write_row(0, 0, HEADER)
        line = 1
        async for batch in rows(open_session, filters):
            # Off the event loop (a batch is CPU work); one batch at a time, so one thread writes.
            await asyncio.to_thread(_write_rows, sheet, line, batch)
            line += len(batch)
        await asyncio.to_thread(workbook.close)
        with open(path, "rb") as file:  # noqa: ASYNC230 - local temporary file, chunks of 64 KiB
            while chunk := file.read(_CHUNK):
                yield chunk
