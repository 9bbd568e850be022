"""The finance export: every request the list's filters pick, as CSV or XLSX, streamed.

Requests are read in keyset batches (`BATCH` at a time, each batch in a read session of its own,
with its items and invoice numbers in two more statements), so memory stays flat however many
rows there are. CSV goes out batch by batch; XLSX is written by XlsxWriter in `constant_memory`
mode to a temporary file (a ZIP cannot be streamed before it is complete), which is then streamed
and deleted. `rows_of` is the one place that decides what a row is: one per request line today;
one per issued invoice line once invoices carry lines.
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

from app.accounts.models import Account
from app.core.clock import format_datetime
from app.core.money import format_money
from app.core.pagination import keyset
from app.requests.models import Invoice, InvoiceRequest, InvoiceRequestItem
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
    "invoice_numbers",
    "created_at",
    "due_at",
    "line",
    "item_kind",
    "item_label",
    "item_amount",
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
        InvoiceRequestItem.amount,
    )
    .where(InvoiceRequestItem.request_id.in_(bindparam("ids", expanding=True)))
    .order_by(InvoiceRequestItem.request_id, InvoiceRequestItem.position)
)
_NUMBERS = (
    select(Invoice.request_id, type_coerce(Invoice.number, String).label("number"))
    .where(Invoice.request_id.in_(bindparam("ids", expanding=True)))
    .order_by(Invoice.request_id, Invoice.position)
)


def _statement(active: tuple[str, ...], after: bool) -> Any:
    stmt = select(*_COLUMNS).join_from(InvoiceRequest, Account, Account.id == InvoiceRequest.account_id)
    return keyset(filtered(stmt, active), *_KEYS, after=after)


def _text(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula is prefixed with `'`."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def rows_of(
    request: Mapping[Any, Any], items: Sequence[Mapping[Any, Any]], numbers: Sequence[str]
) -> Iterator[list[str]]:
    """The export's rows of one request (every cell a string; money with two decimals): one per
    request line."""
    head = [
        str(request["id"]),
        request["status"],
        str(request["account_id"]),
        _text(request["account_name"]),
        _text(request["title"]),
        request["taxpayer_id"],
        request["invoice_type"],
        format_money(request["amount"]),
        " ".join(numbers),
        format_datetime(request["created_at"]),
        format_datetime(request["due_at"]),
    ]
    for line, item in enumerate(items, start=1):
        yield [*head, str(line), item["kind"], _text(item["label"]), format_money(item["amount"])]


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
            numbers: defaultdict[uuid.UUID, list[str]] = defaultdict(list)
            for invoice in await connection.execute(_NUMBERS, {"ids": ids}):
                numbers[invoice.request_id].append(invoice.number)
        batch = [
            row
            for request in requests
            for row in rows_of(request._mapping, items[request.id], numbers[request.id])
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
