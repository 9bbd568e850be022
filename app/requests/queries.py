"""Reading invoice requests: tenant-scoped lookups, filtered keyset lists, and the response shape.

Items, events and invoices are loaded with `selectinload`, so a page costs the same number of
statements whether it holds one request or a hundred.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.auth import AuthContext, Role
from app.core.errors import NotFound
from app.core.pagination import PageParams, paginate
from app.requests.models import InvoiceRequest
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


async def get_request(session: AsyncSession, auth: AuthContext, request_id: uuid.UUID) -> InvoiceRequestOut:
    return request_out(await load_request(session, auth, request_id))


async def list_requests(
    session: AsyncSession, auth: AuthContext, filters: RequestFilters, params: PageParams
) -> tuple[list[InvoiceRequestOut], bool, str | None]:
    stmt = visible_requests(auth)
    if filters.account_id is not None:
        stmt = stmt.where(InvoiceRequest.account_id == filters.account_id)
    if filters.status is not None:
        stmt = stmt.where(InvoiceRequest.status == filters.status.value)
    if filters.created_from is not None:
        stmt = stmt.where(InvoiceRequest.created_at >= filters.created_from)
    if filters.created_to is not None:
        stmt = stmt.where(InvoiceRequest.created_at < filters.created_to)
    rows, has_more, cursor = await paginate(
        session, stmt, params, InvoiceRequest.created_at, InvoiceRequest.id
    )
    return [request_out(row) for row in rows], has_more, cursor
