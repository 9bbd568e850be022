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
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.auth import AuthContext, Role
from app.core.errors import NotFound
from app.core.pagination import PageParams, paginate_rows
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


def _visible_rows(auth: AuthContext) -> Select[Any]:
    stmt = select(*_REQUEST_COLUMNS)
    if auth.role is Role.customer:
        return stmt.where(InvoiceRequest.account_id == auth.customer_account_id)
    if auth.role is not Role.finance:
        return stmt.where(false())  # no other role reads requests; the routes refuse them first
    return stmt


async def _outs(session: AsyncSession, rows: Sequence[Any]) -> list[InvoiceRequestOut]:
    """The response for request rows: three more statements, then one validation in Rust."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    items: defaultdict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    events: defaultdict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    invoices: defaultdict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for item in await session.execute(_ITEMS.where(InvoiceRequestItem.request_id.in_(ids))):
        target = item.bill_id if item.kind == "bill" else item.stored_value_card_id
        items[item.request_id].append(
            {"kind": item.kind, "id": target, "label": item.label, "amount": item.amount}
        )
    for event in await session.execute(_EVENTS.where(InvoiceRequestEvent.request_id.in_(ids))):
        events[event.request_id].append(
            {"status": event.status, "at": event.at, "actor_role": event.actor_role, "note": event.note}
        )
    for invoice in await session.execute(_INVOICES.where(Invoice.request_id.in_(ids))):
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
    row = (await session.execute(_visible_rows(auth).where(InvoiceRequest.id == request_id))).one_or_none()
    if row is None:
        raise NotFound("No such invoice request.")
    return (await _outs(session, [row]))[0]


async def list_requests(
    session: AsyncSession, auth: AuthContext, filters: RequestFilters, params: PageParams
) -> tuple[list[InvoiceRequestOut], bool, str | None]:
    stmt = _visible_rows(auth)
    if filters.account_id is not None:
        stmt = stmt.where(InvoiceRequest.account_id == filters.account_id)
    if filters.status is not None:
        stmt = stmt.where(InvoiceRequest.status == filters.status.value)
    if filters.created_from is not None:
        stmt = stmt.where(InvoiceRequest.created_at >= filters.created_from)
    if filters.created_to is not None:
        stmt = stmt.where(InvoiceRequest.created_at < filters.created_to)
    rows, has_more, cursor = await paginate_rows(
        session, stmt, params, InvoiceRequest.created_at, InvoiceRequest.id
    )
    return await _outs(session, rows), has_more, cursor
