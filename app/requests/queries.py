"""Reading invoice requests: tenant-scoped lookups, filtered keyset lists, and the response shape.

Every statement is scoped by app/requests/scope.py (a customer's own account, finance all). Reads
select plain columns (no ORM identity map) and validate the whole response in one Pydantic
call. One request (`to_outs`, the one mapper of the full object, which creation and moves use too)
takes two statements: the request, then its items, events and invoices in one UNION ALL. A list
page is one statement of summaries (`InvoiceRequestSummary`), whatever its size: no child rows.
Status moves (lifecycle.py) lock the account first, load what they use themselves, and answer
with `response_of` the row their UPDATE returned; a resend loads ORM objects with `load_request`.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    String,
    Text,
    Uuid,
    bindparam,
    func,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased, selectinload

from app.accounts.models import Account
from app.bills.models import Bill
from app.cards.models import StoredValueCard
from app.core.auth import AuthContext, Role
from app.core.database import UTCDateTime
from app.core.errors import NotFound
from app.core.pagination import PageParams, cursor_of, fetch_page, keyset
from app.requests.filetypes import FileFormat, file_url, invoices_missing_pdf
from app.requests.models import (
    Invoice,
    InvoiceFile,
    InvoiceRequest,
    InvoiceRequestEvent,
    InvoiceRequestItem,
)
from app.requests.schemas import InvoiceRequestOut, InvoiceRequestSummary
from app.requests.scope import request_scope, scoped
from app.requests.states import Confirmation, Move, Status, allowed_moves, tracking_number_required


@dataclass(frozen=True, slots=True)
class RequestFilters:
    status: Status | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    account_id: uuid.UUID | None = None  # finance only


async def load_request(session: AsyncSession, auth: AuthContext, request_id: uuid.UUID) -> InvoiceRequest:
    """The request with its items, events and invoices, to move it; another account's is not found."""
    scope = request_scope(auth)
    stmt = scope.apply(
        select(InvoiceRequest)
        .options(
            selectinload(InvoiceRequest.items),
            selectinload(InvoiceRequest.events),
            selectinload(InvoiceRequest.invoices),
        )
        .where(InvoiceRequest.id == request_id)
    )
    request = (await session.execute(stmt, scope.values)).scalar_one_or_none()
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
    InvoiceRequest.delivery,
    InvoiceRequest.red_letter,
    InvoiceRequest.replaces_request_id,
    InvoiceRequest.replaced_by_request_id,
    InvoiceRequest.created_at,
    InvoiceRequest.updated_at,
)
_OUT_LIST = TypeAdapter(list[InvoiceRequestOut])


@dataclass(slots=True)
class Children:
    """A request's items, events, invoices and red-letter invoices as dicts of their response
    fields, in timeline order; and, for a replacing request, the replaced request's status."""

    items: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    red_invoices: list[dict[str, Any]] = field(default_factory=list)
    replaced_status: str | None = None


def to_outs(
    requests: Sequence[Mapping[str, Any]], children: Mapping[uuid.UUID, Children], role: Role
) -> list[InvoiceRequestOut]:
    """The one mapping from request columns (by column name) and their children to the response,
    validated in one call; `allowed_moves` is what `role` may do next (states.py decides)."""
    return _OUT_LIST.validate_python(
        [_fields(request, children.get(request["id"]) or Children(), role) for request in requests]
    )


def event_data(out: InvoiceRequestOut) -> dict[str, Any]:
    """The request as an event carries it: the same for every reader, so without `allowed_moves`."""
    return out.model_dump(mode="json", exclude={"allowed_moves"})


def _moves(request: Mapping[str, Any], children: Children, role: Role) -> list[Move]:
    letter = request.get("red_letter")
    confirmation = Confirmation(letter["confirmation"]) if letter else None
    moves = allowed_moves(Status(request["status"]), role, request["invoice_type"], confirmation)
    if Move.deliver in moves and invoices_missing_pdf(request["invoice_type"], children.invoices):
        moves.remove(Move.deliver)  # electronic: every invoice needs its PDF first
    if (
        Move.issue in moves
        and request.get("replaces_request_id") is not None
        and children.replaced_status != Status.reversed.value
    ):
        moves.remove(Move.issue)  # a replacement waits for the replaced request's reversal
    return moves


def red_letter_out(
    letter: Mapping[str, Any] | None, red_invoices: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The response's `red_letter` from the stored one (its `returns_to` is the service's own)."""
    if letter is None:
        return None
    shown = ("reason_code", "reason", "buyer_usage", "confirmation", "form_no", "requested_at", "expires_at")
    return {**{name: letter.get(name) for name in shown}, "red_invoices": red_invoices}


def _fields(request: Mapping[str, Any], children: Children, role: Role) -> dict[str, Any]:
    return {
        "id": request["id"],
        "account_id": request["account_id"],
        "status": request["status"],
        "amount": request["amount"],
        "invoice_type": request["invoice_type"],
        "items": [_item(item) for item in children.items],
        "profile": request["profile_snapshot"],
        "address": request["address_snapshot"],
        "remark": request["remark"],
        "carrier": request["carrier"],
        "tracking_number": request["tracking_number"],
        "tracking_number_required": tracking_number_required(request["invoice_type"]),
        "invoices": children.invoices,
        "events": [{**event, "note_code": note_code(event)} for event in children.events],
        "delivery": request.get("delivery"),  # absent for a request just created
        "red_letter": red_letter_out(request.get("red_letter"), children.red_invoices),
        "replaces_request_id": request.get("replaces_request_id"),
        "replaced_by_request_id": request.get("replaced_by_request_id"),
        "allowed_moves": _moves(request, children, role),
        "created_at": request["created_at"],
        "updated_at": request["updated_at"],
    }


def _item(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item's response fields from its dict (`reference` is the bill's period or the card's number)."""
    bill = item["kind"] == "bill"
    return {
        "kind": item["kind"],
        "id": item["id"],
        "label": item["label"],
        "period": item["reference"] if bill else None,
        "card_no": None if bill else item["reference"],
        "amount": item["amount"],
    }


def note_code(event: Mapping[str, Any]) -> str | None:
    """What the service wrote an event's note for (lifecycle.py, red_letter.py, autoinvoicing/job.py),
    so a client can word it in its own language; None when the note is a person's reason, or there
    is none."""
    if event["note"] is None:
        return None
    status, actor = event["status"], event["actor_role"]
    if actor == "system":
        return _SYSTEM_NOTES.get(status)
    if actor == Role.finance.value:
        if status == Status.issued.value:
            return "invoices_issued"
        if status == Status.delivered.value:
            return "delivered"
        if status == Status.reversed.value and event["note"].startswith(RED_INVOICES_NOTE):
            return "red_invoices_recorded"
    # A re-issue's reversal carries the customer's reason; a confirmation the service's words.
    confirmed = status == Status.reversing.value and event["note"].startswith(CONFIRMED_NOTE)
    if actor == Role.customer.value and confirmed:
        return "red_letter_confirmed"
    return None


# The prefix of the note of a reversal completed by red-letter invoices (earlier reversals noted a reason).
RED_INVOICES_NOTE = "Red-letter invoices "
# The note of the buyer's confirmation of a reversal (then the form's number, if given).
CONFIRMED_NOTE = "Confirmed by the buyer"
_SYSTEM_NOTES = {
    Status.pending.value: "requested_automatically",
    Status.issued.value: "reversal_expired",
    Status.delivered.value: "reversal_expired",
    Status.cancelled.value: "replacement_cancelled",
}


def _children(where: Callable[[Any], ColumnElement[bool]]) -> list[Select[Any]]:
    """Selects of items, events and invoices (in their timeline order) of the requests `where` picks.

    All four share one column shape, tagged by `part`, so they run as one UNION ALL.
    """
    item, event, invoice, red = InvoiceRequestItem, InvoiceRequestEvent, Invoice, aliased(Invoice)
    return [
        select(
            literal_column("0", Integer).label("part"),
            item.request_id.label("request_id"),
            item.position.label("ord"),
            item.kind.label("name"),
            item.label.label("text"),
            # The reference (a bill's period, a card's number): never changed once made.
            type_coerce(func.coalesce(Bill.period, StoredValueCard.card_no), Text).label("note"),
            type_coerce(func.coalesce(item.bill_id, item.stored_value_card_id), Uuid).label("target"),
            item.amount.label("amount"),
            type_coerce(null(), UTCDateTime).label("at"),
        )
        .select_from(item)
        .outerjoin(Bill, Bill.id == item.bill_id)
        .outerjoin(StoredValueCard, StoredValueCard.id == item.stored_value_card_id)
        .where(where(item.request_id)),
        select(
            literal_column("1", Integer).label("part"),
            event.request_id.label("request_id"),
            event.id.label("ord"),
            event.status.label("name"),
            event.actor_role.label("text"),
            event.note.label("note"),
            type_coerce(null(), Uuid).label("target"),
            type_coerce(null(), BigInteger).label("amount"),
            event.at.label("at"),
        ).where(where(event.request_id)),
        select(
            literal_column("2", Integer).label("part"),
            invoice.request_id.label("request_id"),
            invoice.position.label("ord"),
            invoice.number.label("name"),
            invoice.file_url.label("text"),
            type_coerce(null(), Text).label("note"),
            type_coerce(null(), Uuid).label("target"),
            invoice.amount.label("amount"),
            invoice.issued_at.label("at"),
        ).where(where(invoice.request_id), invoice.blue_invoice_id.is_(None)),
        select(
            literal_column("3", Integer).label("part"),
            invoice.request_id.label("request_id"),
            invoice.position.label("ord"),
            invoice.number.label("name"),
            InvoiceFile.format.label("text"),
            InvoiceFile.sha256.label("note"),
            type_coerce(null(), Uuid).label("target"),
            InvoiceFile.size.label("amount"),
            InvoiceFile.updated_at.label("at"),
        )
        .select_from(InvoiceFile)
        .join(invoice, invoice.id == InvoiceFile.invoice_id)
        .where(where(invoice.request_id)),
        # Red-letter invoices, each with the number of the blue one it reverses.
        select(
            literal_column("4", Integer).label("part"),
            red.request_id.label("request_id"),
            red.position.label("ord"),
            red.number.label("name"),
            type_coerce(null(), String).label("text"),
            type_coerce(invoice.number, Text).label("note"),
            type_coerce(null(), Uuid).label("target"),
            red.amount.label("amount"),
            red.issued_at.label("at"),
        )
        .select_from(red)
        .join(invoice, invoice.id == red.blue_invoice_id)
        .where(where(red.request_id)),
    ]


def _one_union(parts: list[Select[Any]]) -> Select[Any]:
    children = union_all(*parts).subquery("children")
    return select(children).order_by(children.c.part, children.c.ord)


# Built once; only the bound id changes per request: one round trip.
_ONE_REQUEST_CHILDREN = _one_union(_children(lambda column: column == bindparam("request_id")))
_KEYS = (InvoiceRequest.created_at, InvoiceRequest.id)
_FORMAT_ORDER = {file_format.value: position for position, file_format in enumerate(FileFormat)}


@lru_cache(maxsize=4)
def _one_statement(customer: bool) -> Select[Any]:
    return scoped(
        select(*_REQUEST_COLUMNS).where(InvoiceRequest.id == bindparam("request_id")), customer=customer
    )


# A list row: the request's own columns, its account's name (a join) and its header from the profile
# snapshot (extracted by the database, so the snapshots are never read); no child rows. The ids are
# read as stored (SQLite's 32 hex digits, PostgreSQL's UUID) and validated by pydantic-core, not by
# SQLAlchemy in Python.
_SUMMARY_COLUMNS = (
    type_coerce(InvoiceRequest.id, String).label("id"),
    type_coerce(InvoiceRequest.account_id, String).label("account_id"),
    Account.name.label("account_name"),
    InvoiceRequest.status,
    InvoiceRequest.amount,
    InvoiceRequest.invoice_type,
    InvoiceRequest.profile_snapshot["title"].as_string().label("title"),
    InvoiceRequest.remark,
    InvoiceRequest.created_at,
    InvoiceRequest.updated_at,
)
_SUMMARY_LIST = TypeAdapter(list[InvoiceRequestSummary])


@lru_cache(maxsize=128)
def _list_statement(
    customer: bool, account: bool, status: bool, created_from: bool, created_to: bool, after: bool
) -> Select[Any]:
    """One statement per combination of filters, built on first use."""
    # The account's name by a join: still one statement per page.
    stmt = scoped(select(*_SUMMARY_COLUMNS), customer=customer).join_from(
        InvoiceRequest, Account, Account.id == InvoiceRequest.account_id
    )
    if account:
        stmt = stmt.where(InvoiceRequest.account_id == bindparam("account_id"))
    if status:
        stmt = stmt.where(InvoiceRequest.status == bindparam("status"))
    if created_from:
        stmt = stmt.where(InvoiceRequest.created_at >= bindparam("created_from", type_=UTCDateTime))
    if created_to:
        stmt = stmt.where(InvoiceRequest.created_at < bindparam("created_to", type_=UTCDateTime))
    return keyset(stmt, *_KEYS, after=after)


async def _out(connection: AsyncConnection, request: Mapping[str, Any], role: Role) -> InvoiceRequestOut:
    """The full response for a request's columns: its children in one statement, then one validation."""
    result = await connection.execute(_ONE_REQUEST_CHILDREN, {"request_id": request["id"]})
    children: defaultdict[uuid.UUID, Children] = defaultdict(Children)
    files: defaultdict[tuple[uuid.UUID, str], list[dict[str, Any]]] = defaultdict(list)
    for child in result:
        of = children[child.request_id]
        if child.part == 0:
            of.items.append(
                {
                    "kind": child.name,
                    "id": child.target,
                    "label": child.text,
                    "reference": child.note,
                    "amount": child.amount,
                }
            )
        elif child.part == 1:
            of.events.append(
                {"status": child.name, "at": child.at, "actor_role": child.text, "note": child.note}
            )
        elif child.part == 2:
            of.invoices.append(
                {
                    "number": child.name,
                    "amount": child.amount,
                    "issued_at": child.at,
                    "file_url": child.text,
                    "files": [],
                }
            )
        elif child.part == 4:
            of.red_invoices.append(
                {
                    "number": child.name,
                    "blue_number": child.note,
                    "amount": child.amount,
                    "issued_at": child.at,
                }
            )
        else:
            files[(child.request_id, child.name)].append(
                {
                    "format": child.text,
                    "size": child.amount,
                    "sha256": child.note,
                    "url": file_url(child.request_id, child.name, child.text),
                }
            )
    for (request_id, number), found in files.items():
        invoice = next(item for item in children[request_id].invoices if item["number"] == number)
        invoice["files"] = sorted(found, key=lambda file: _FORMAT_ORDER[file["format"]])
    replaced = request.get("replaces_request_id")
    if replaced is not None:
        children[request["id"]].replaced_status = (
            await connection.execute(select(InvoiceRequest.status).where(InvoiceRequest.id == replaced))
        ).scalar_one()
    return to_outs([request], children, role)[0]


async def get_request(session: AsyncSession, auth: AuthContext, request_id: uuid.UUID) -> InvoiceRequestOut:
    scope = request_scope(auth)
    # The ORM's result machinery is for entities: plain columns go through the connection.
    connection = await session.connection()
    statement = _one_statement(scope.customer)
    row = (await connection.execute(statement, {**scope.values, "request_id": request_id})).one_or_none()
    if row is None:
        raise NotFound("No such invoice request.")
    return await _out(connection, row._mapping, auth.role)


async def response_of(session: AsyncSession, request: Mapping[str, Any], role: Role) -> InvoiceRequestOut:
    """The full response for a request whose row is in hand (a move's, as its UPDATE returned it):
    only its children are read."""
    return await _out(await session.connection(), request, role)


async def list_requests(
    session: AsyncSession, auth: AuthContext, filters: RequestFilters, params: PageParams
) -> tuple[list[InvoiceRequestSummary], bool, str | None]:
    """A page of summaries, newest first: one statement, whatever the page size."""
    scope = request_scope(auth)
    stmt = _list_statement(
        scope.customer,
        filters.account_id is not None,
        filters.status is not None,
        filters.created_from is not None,
        filters.created_to is not None,
        params.cursor is not None,
    )
    values = dict(
        scope.values,
        account_id=filters.account_id,
        status=filters.status.value if filters.status is not None else None,
        created_from=filters.created_from,
        created_to=filters.created_to,
    )
    connection = await session.connection()
    rows, has_more = await fetch_page(connection, stmt, params, *_KEYS, values=values)
    # Dicts from plain tuples: validating rows by attribute or by mapping costs 2-5x as much.
    names = rows[0]._fields if rows else ()
    data = _SUMMARY_LIST.validate_python([dict(zip(names, row, strict=True)) for row in rows])
    return data, has_more, cursor_of(data[-1], _KEYS) if has_more else None
