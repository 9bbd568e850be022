"""Reading invoice requests: tenant-scoped lookups, filtered keyset lists, and the response shape.

Reads select plain columns (no ORM identity map) and validate the whole response in one Pydantic
call; a page takes four statements whether it holds one request or a hundred: the requests, then
their items, events and invoices by request id. Moves (lifecycle.py) load ORM objects with
`load_request`.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Select, bindparam, false, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import selectinload

from app.core.auth import AuthContext, Role
from app.core.database import UTCDateTime
from app.core.errors import NotFound
from app.core.pagination import PageParams, keyset, run_keyset
from app.requests.models import Invoice, InvoiceRequest, InvoiceRequestEvent, InvoiceRequestItem
from app.requests.schemas import (
    AddressSnapshotOut,
    InvoiceOut,
    InvoiceRequestOut,
    ItemOut,
    ProfileSnapshotOut,
    RequestEventOut,
)
from app.requests.states import Status


@dataclass(frozen=True, slots=True)
class RequestFilters:
    status: Status | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    account_id: uuid.UUID | None = None  # finance only


def visible_requests(auth: AuthContext) -> Select[InvoiceRequest]:
    """Every read starts here: a customer sees only its own account's requests, finance all."""
    stmt = select(InvoiceRequest).options(
        selectinload(InvoiceRequest.items),
        selectinload(InvoiceRequest.events),
        selectinload(InvoiceRequest.invoices),
    )
    if auth.role is Role.customer:
        stmt = stmt.where(InvoiceRequest.account_id == auth.customer_account_id)
    elif auth.role is not Role.finance:
        stmt = stmt.where(false())  # no other role reads requests; the routes refuse them first
    return stmt


def request_out(request: InvoiceRequest) -> InvoiceRequestOut:
    return InvoiceRequestOut(
        id=request.id,
        account_id=request.account_id,
        status=Status(request.status),
        amount=request.amount,
        invoice_type=request.invoice_type,
        items=[
            ItemOut(kind=item.kind, id=item.item_id, label=item.label, amount=item.amount)
            for item in request.items
        ],
        profile=ProfileSnapshotOut.model_validate(request.profile_snapshot),
        address=AddressSnapshotOut.model_validate(request.address_snapshot),
        remark=request.remark,
        carrier=request.carrier,
        tracking_number=request.tracking_number,
        invoices=[InvoiceOut.model_validate(invoice) for invoice in request.invoices],
        events=[RequestEventOut.model_validate(event) for event in request.events],
        created_at=request.created_at,
        updated_at=request.updated_at,
    )


async def load_request(
    session: AsyncSession, auth: AuthContext, request_id: uuid.UUID, *, refresh: bool = False
) -> InvoiceRequest:
    """The request with its items, events and invoices; another account's request is not found."""
    stmt = visible_requests(auth).where(InvoiceRequest.id == request_id)
    if refresh:
        stmt = stmt.execution_options(populate_existing=True)
    request = (await session.execute(stmt)).scalar_one_or_none()
    if request is None:
        raise NotFound("No such invoice request.")
    return request


# --- the read path: columns, not ORM objects ---------------------------------------------------

_REQUEST_COLUMNS = (
    InvoiceRequest.id,
    InvoiceRequest.account_id,
    InvoiceRequest.status,
    InvoiceRequest.amount,
    InvoiceRequest.invoice_type,
    InvoiceRequest.profile_snapshot,
    InvoiceRequest.address_snapshot,
    InvoiceRequest.remark,
    InvoiceRequest.carrier,
    InvoiceRequest.tracking_number,
    InvoiceRequest.created_at,
    InvoiceRequest.updated_at,
)
_ITEMS = select(
    InvoiceRequestItem.request_id,
    InvoiceRequestItem.kind,
    InvoiceRequestItem.bill_id,
    InvoiceRequestItem.stored_value_card_id,
    InvoiceRequestItem.label,
    InvoiceRequestItem.amount,
).order_by(InvoiceRequestItem.request_id, InvoiceRequestItem.position)
_EVENTS = select(
    InvoiceRequestEvent.request_id,
    InvoiceRequestEvent.status,
    InvoiceRequestEvent.at,
    InvoiceRequestEvent.actor_role,
    InvoiceRequestEvent.note,
).order_by(InvoiceRequestEvent.id)
_INVOICES = select(
    Invoice.request_id, Invoice.number, Invoice.amount, Invoice.issued_at, Invoice.file_url
).order_by(Invoice.request_id, Invoice.position)
_OUT_LIST = TypeAdapter(list[InvoiceRequestOut])

# Built once: per request only the bound values change (see app/core/pagination.keyset).
_CHILDREN = [
    statement.where(column.in_(bindparam("ids", expanding=True)))
    for statement, column in (
        (_ITEMS, InvoiceRequestItem.request_id),
        (_EVENTS, InvoiceRequestEvent.request_id),
        (_INVOICES, Invoice.request_id),
    )
]
_KEYS = (InvoiceRequest.created_at, InvoiceRequest.id)


def _scope(auth: AuthContext) -> tuple[bool, dict[str, Any]]:
    """(customer?, bound values): a customer sees only its own account's requests, finance all."""
    if auth.role is Role.customer:
        return True, {"viewer": auth.customer_account_id}
    if auth.role is Role.finance:
        return False, {}
    raise NotFound("No such invoice request.")  # no other role reads requests; the routes refuse them first


def _visible(customer: bool) -> Select[Any]:
    stmt = select(*_REQUEST_COLUMNS)
    return stmt.where(InvoiceRequest.account_id == bindparam("viewer")) if customer else stmt


@lru_cache(maxsize=4)
def _one_statement(customer: bool) -> Select[Any]:
    return _visible(customer).where(InvoiceRequest.id == bindparam("request_id"))


@lru_cache(maxsize=128)
def _list_statement(
    customer: bool, account: bool, status: bool, created_from: bool, created_to: bool, after: bool
) -> Select[Any]:
    """One statement per combination of filters, built on first use."""
    stmt = _visible(customer)
    if account:
        stmt = stmt.where(InvoiceRequest.account_id == bindparam("account_id"))
    if status:
        stmt = stmt.where(InvoiceRequest.status == bindparam("status"))
    if created_from:
        stmt = stmt.where(InvoiceRequest.created_at >= bindparam("created_from", type_=UTCDateTime))
    if created_to:
        stmt = stmt.where(InvoiceRequest.created_at < bindparam("created_to", type_=UTCDateTime))
    return keyset(stmt, *_KEYS, after=after)


async def _outs(connection: AsyncConnection, rows: Sequence[Any]) -> list[InvoiceRequestOut]:
    """The response for request rows: three more statements, then one validation in Rust."""
    if not rows:
        return []
    ids = {"ids": [row.id for row in rows]}
    items_stmt, events_stmt, invoices_stmt = _CHILDREN
    items: defaultdict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    events: defaultdict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    invoices: defaultdict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for item in await connection.execute(items_stmt, ids):
        target = item.bill_id if item.kind == "bill" else item.stored_value_card_id
        items[item.request_id].append(
            {"kind": item.kind, "id": target, "label": item.label, "amount": item.amount}
        )
    for event in await connection.execute(events_stmt, ids):
        events[event.request_id].append(
            {"status": event.status, "at": event.at, "actor_role": event.actor_role, "note": event.note}
        )
    for invoice in await connection.execute(invoices_stmt, ids):
        invoices[invoice.request_id].append(
            {
                "number": invoice.number,
                "amount": invoice.amount,
                "issued_at": invoice.issued_at,
                "file_url": invoice.file_url,
            }
        )
    return _OUT_LIST.validate_python(
        [
            {
                "id": row.id,
                "account_id": row.account_id,
                "status": row.status,
                "amount": row.amount,
                "invoice_type": row.invoice_type,
                "items": items[row.id],
                "profile": row.profile_snapshot,
                "address": row.address_snapshot,
                "remark": row.remark,
                "carrier": row.carrier,
                "tracking_number": row.tracking_number,
                "invoices": invoices[row.id],
                "events": events[row.id],
                "created_at": row.created_at,
                "updated_at": row.updated_at,
            }
            for row in rows
        ]
    )


async def get_request(session: AsyncSession, auth: AuthContext, request_id: uuid.UUID) -> InvoiceRequestOut:
    customer, values = _scope(auth)
    # The ORM's result machinery is for entities: plain columns go through the connection.
    connection = await session.connection()
    statement = _one_statement(customer)
    row = (await connection.execute(statement, {**values, "request_id": request_id})).one_or_none()
    if row is None:
        raise NotFound("No such invoice request.")
    return (await _outs(connection, [row]))[0]


async def list_requests(
    session: AsyncSession, auth: AuthContext, filters: RequestFilters, params: PageParams
) -> tuple[list[InvoiceRequestOut], bool, str | None]:
    customer, values = _scope(auth)
    stmt = _list_statement(
        customer,
        filters.account_id is not None,
        filters.status is not None,
        filters.created_from is not None,
        filters.created_to is not None,
        params.cursor is not None,
    )
    values.update(
        account_id=filters.account_id,
        status=filters.status.value if filters.status is not None else None,
        created_from=filters.created_from,
        created_to=filters.created_to,
    )
    connection = await session.connection()
    rows, has_more, cursor = await run_keyset(connection, stmt, params, values, *_KEYS)
    return await _outs(connection, rows), has_more, cursor
