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
    and_,
    bindparam,
    case,
    cast,
    exists,
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
from app.core.clock import utcnow
from app.core.database import UTCDateTime
from app.core.errors import NotFound
from app.core.pagination import PageParams, cursor_of, fetch_page, keyset
from app.requests import draft
from app.requests.ageing import is_overdue, overdue_condition
from app.requests.filetypes import FileFormat, file_url, invoices_missing_pdf
from app.requests.models import (
    Invoice,
    InvoiceFile,
    InvoiceLine,
    InvoiceRequest,
    InvoiceRequestEvent,
    InvoiceRequestItem,
)
from app.requests.schemas import InvoiceRequestOut, InvoiceRequestSummary
from app.requests.scope import S, request_scope, scoped
from app.requests.states import Confirmation, Move, Status, allowed_moves, tracking_number_required


@dataclass(frozen=True, slots=True)
class RequestFilters:
    """The list's filters (SPEC §9), all optional and combinable; each is one condition of
    `_FILTER_CONDITIONS`, bound by the value of its field."""

    status: Status | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    account_id: uuid.UUID | None = None  # finance only
    seller_id: uuid.UUID | None = None  # the issuing entity
    invoice_number: str | None = None  # one of its invoices, whatever the case
    taxpayer_id: str | None = None
    title: str | None = None  # a substring, whatever the case
    amount_min: int | None = None  # fen, inclusive
    amount_max: int | None = None  # fen, inclusive
    invoice_type: str | None = None
    issued_from: datetime | None = None  # an invoice issued at or after (start of a Shanghai day)
    issued_to: datetime | None = None  # an invoice issued before (the day after the last day)
    overdue: bool = False

    def values(self) -> dict[str, Any]:
        """The bound values of the set filters (`now` for `overdue`)."""
        values: dict[str, Any] = {}
        for name in _FILTER_CONDITIONS:
            value = getattr(self, name)
            if name == "overdue":
                if value:
                    values["now"] = utcnow()
            elif value is not None:
                values[name] = value.value if isinstance(value, Status) else value
        if self.title is not None:
            values["title"] = "%" + _escape_like(self.title) + "%"
        return values

    def active(self) -> tuple[str, ...]:
        unset = (None, False)  # by identity: an amount of 0 is a filter
        return tuple(name for name in _FILTER_CONDITIONS if not any(getattr(self, name) is u for u in unset))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _issued_between(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(Invoice.request_id == InvoiceRequest.id, condition)


# filter -> its WHERE condition over invoice_request, with the filter's value bound by its name.
_FILTER_CONDITIONS: dict[str, Callable[[], ColumnElement[bool]]] = {
    "account_id": lambda: InvoiceRequest.account_id == bindparam("account_id"),
    "seller_id": lambda: InvoiceRequest.seller_id == bindparam("seller_id"),
    "status": lambda: InvoiceRequest.status == bindparam("status"),
    "created_from": lambda: InvoiceRequest.created_at >= bindparam("created_from", type_=UTCDateTime),
    "created_to": lambda: InvoiceRequest.created_at < bindparam("created_to", type_=UTCDateTime),
    # The unique index on lower(number) finds the invoice; its request is the row. An IN over an
    # uncorrelated subquery, not EXISTS: SQLite would otherwise walk every request of the keyset
    # index and look the invoice up for each (bench/filters.py; docs/PERFORMANCE.md).
    "invoice_number": lambda: InvoiceRequest.id.in_(
        select(Invoice.request_id).where(
            func.lower(Invoice.number) == func.lower(bindparam("invoice_number", type_=String))
        )
    ),
    "taxpayer_id": lambda: InvoiceRequest.taxpayer_id == bindparam("taxpayer_id"),
    # ILIKE on PostgreSQL (the trigram index serves it), lower() LIKE lower() on SQLite.
    "title": lambda: InvoiceRequest.title.ilike(bindparam("title", type_=String), escape="\\"),
    "amount_min": lambda: InvoiceRequest.amount >= bindparam("amount_min", type_=BigInteger),
    "amount_max": lambda: InvoiceRequest.amount <= bindparam("amount_max", type_=BigInteger),
    "invoice_type": lambda: InvoiceRequest.invoice_type == bindparam("invoice_type"),
    "issued_from": lambda: _issued_between(Invoice.issued_at >= bindparam("issued_from", type_=UTCDateTime)),
    "issued_to": lambda: _issued_between(Invoice.issued_at < bindparam("issued_to", type_=UTCDateTime)),
    "overdue": overdue_condition,
}


def filtered(stmt: S, active: tuple[str, ...]) -> S:
    """`stmt` (over invoice_request) with the conditions of the `active` filters."""
    for name in active:
        if name == "issued_to" and "issued_from" in active:
            continue  # one invoice issued within both bounds: one EXISTS
        if name == "issued_from" and "issued_to" in active:
            stmt = stmt.where(
                _issued_between(
                    and_(
                        Invoice.issued_at >= bindparam("issued_from", type_=UTCDateTime),
                        Invoice.issued_at < bindparam("issued_to", type_=UTCDateTime),
                    )
                )
            )
            continue
        stmt = stmt.where(_FILTER_CONDITIONS[name]())
    return stmt


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
    InvoiceRequest.seller_snapshot,
    InvoiceRequest.remark,
    InvoiceRequest.carrier,
    InvoiceRequest.tracking_number,
    InvoiceRequest.delivery,
    InvoiceRequest.red_letter,
    InvoiceRequest.issue_error,
    InvoiceRequest.tax_issue,
    InvoiceRequest.replaces_request_id,
    InvoiceRequest.replaced_by_request_id,
    InvoiceRequest.due_at,
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
    if Move.record_red_invoices in moves and red_issuing(request):
        moves.remove(Move.record_red_invoices)  # the tax platform is issuing them
    return moves


def red_issuing(request: Mapping[str, Any]) -> bool:
    """Whether the worker is issuing the request's red-letter invoices through the tax platform."""
    return bool((request.get("tax_issue") or {}).get("red"))


def red_letter_out(
    letter: Mapping[str, Any] | None, red_invoices: list[dict[str, Any]], issuing: bool = False
) -> dict[str, Any] | None:
    """The response's `red_letter` from the stored one (its `returns_to` is the service's own)."""
    if letter is None:
        return None
    shown = ("reason_code", "reason", "buyer_usage", "confirmation", "form_no", "requested_at", "expires_at")
    return {**{name: letter.get(name) for name in shown}, "red_invoices": red_invoices, "issuing": issuing}


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
        "seller": request["seller_snapshot"],
        "draft": draft_out(request["seller_snapshot"], children.items),
        "remark": request["remark"],
        "carrier": request["carrier"],
        "tracking_number": request["tracking_number"],
        "tracking_number_required": tracking_number_required(request["invoice_type"]),
        "invoices": children.invoices,
        "events": [
            {
                **event,
                "note_code": note_code(event),
                "actor": {"role": event["actor_role"], "name": event.get("actor_name")},
            }
            for event in children.events
        ],
        "delivery": request.get("delivery"),  # absent for a request just created
        "red_letter": red_letter_out(request.get("red_letter"), children.red_invoices, red_issuing(request)),
        "issue_error": request.get("issue_error"),
        "replaces_request_id": request.get("replaces_request_id"),
        "replaced_by_request_id": request.get("replaced_by_request_id"),
        "due_at": request["due_at"],
        "overdue": is_overdue(request["status"], request["due_at"], utcnow()),
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
        "seller_id": item["seller_id"],
        "tax_rate": item["tax_rate"],
        "tax_category_code": item["tax_category_code"],
        "item_name": item["item_name"],
    }


def draft_lines(items: Sequence[Mapping[str, Any]]) -> list[draft.Line]:
    """A request's lines (positive and settling) as the draft reads them."""
    return [
        draft.Line(item["item_name"], item["tax_category_code"], item["tax_rate"], item["amount"])
        for item in items
    ]


def request_draft(seller: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> list[draft.Invoice]:
    """The invoices issuing will produce, from the request's seller snapshot and its lines."""
    return draft.draft(draft_lines(items), seller.get("max_invoice_amount"))


def invoice_fields(invoice: draft.Invoice) -> dict[str, Any]:
    """A draft (or issued) invoice's figures and lines as the response shows them."""
    return {
        "amount": invoice.amount,
        "amount_excluding_tax": invoice.amount_excluding_tax,
        "tax_amount": invoice.tax_amount,
        "lines": [
            {
                "item_name": line.item_name,
                "tax_category_code": line.tax_category_code,
                "tax_rate": line.tax_rate,
                "amount": line.amount,
                "amount_excluding_tax": line.amount_excluding_tax,
                "tax_amount": line.tax_amount,
            }
            for line in invoice.lines
        ],
    }


def draft_out(seller: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"invoices": [invoice_fields(invoice) for invoice in request_draft(seller, items)]}


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


# The columns every arm of the children UNION has after `part`, `request_id` and `ord`, with their
# types: an arm names those it uses and the rest are typed NULLs (typed in every arm: PostgreSQL types
# the columns of a UNION pairwise, and two untyped NULLs are text). `name2`..`name4`, `seller` and
# `amount2`, `amount3` carry the tax terms and figures; `extra` an event's operator name.
_CHILD_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("name", Text),
    ("text", Text),
    ("note", Text),
    ("target", Uuid),
    ("amount", BigInteger),
    ("at", UTCDateTime),
    ("name2", Text),
    ("name3", Text),
    ("name4", Text),
    ("seller", Uuid),
    ("amount2", BigInteger),
    ("amount3", BigInteger),
    ("extra", Text),
)


def _arm(part: int, request_id: Any, ord: Any, **given: Any) -> Select[Any]:
    unknown = given.keys() - {name for name, _ in _CHILD_COLUMNS}
    if unknown:
        raise TypeError(f"not a column of the children: {sorted(unknown)}")
    return select(
        literal_column(str(part), Integer).label("part"),
        request_id.label("request_id"),
        ord.label("ord"),
        *(given.get(name, cast(null(), kind)).label(name) for name, kind in _CHILD_COLUMNS),
    )


def _children(where: Callable[[Any], ColumnElement[bool]]) -> list[Select[Any]]:
    """Selects of items (part 0), events (1), invoices (2), their files (3) and lines (4) and the
    red-letter invoices (5) of the requests `where` picks, in timeline order within each part.

    All share one column shape (`_CHILD_COLUMNS`), tagged by `part`, so they run as one UNION ALL.
    """
    item, event, invoice, line = InvoiceRequestItem, InvoiceRequestEvent, Invoice, InvoiceLine
    red = aliased(Invoice)
    return [
        _arm(
            0,
            item.request_id,
            item.position,
            name=item.kind,
            text=item.label,
            # The reference (a bill's period, a card's number): never changed once made.
            note=type_coerce(func.coalesce(Bill.period, StoredValueCard.card_no), Text),
            target=type_coerce(func.coalesce(item.bill_id, item.stored_value_card_id), Uuid),
            amount=item.amount,
            name2=type_coerce(item.item_name, Text),
            name3=type_coerce(item.tax_category_code, Text),
            name4=type_coerce(item.tax_rate, Text),
            seller=item.seller_id,
        )
        .select_from(item)
        .outerjoin(Bill, Bill.id == item.bill_id)
        .outerjoin(StoredValueCard, StoredValueCard.id == item.stored_value_card_id)
        .where(where(item.request_id)),
        _arm(
            1,
            event.request_id,
            event.id,
            name=event.status,
            text=event.actor_role,
            note=event.note,
            at=event.at,
            extra=type_coerce(event.actor_name, Text),  # the operator who made the move
        ).where(where(event.request_id)),
        _arm(
            2,
            invoice.request_id,
            invoice.position,
            name=invoice.number,
            text=invoice.file_url,
            amount=invoice.amount,
            at=invoice.issued_at,
            amount2=invoice.amount_excluding_tax,
            amount3=invoice.tax_amount,
        ).where(where(invoice.request_id), invoice.blue_invoice_id.is_(None)),
        _arm(
            3,
            invoice.request_id,
            invoice.position,
            name=invoice.number,
            text=InvoiceFile.format,
            note=InvoiceFile.sha256,
            amount=InvoiceFile.size,
            at=InvoiceFile.updated_at,
        )
        .select_from(InvoiceFile)
        .join(invoice, invoice.id == InvoiceFile.invoice_id)
        .where(where(invoice.request_id)),
        _arm(
            4,
            invoice.request_id,
            # Invoices in order, each one's lines in order (an invoice has far fewer lines than this).
            invoice.position * _LINES_PER_INVOICE + line.position,
            name=invoice.number,
            amount=line.amount,
            name2=type_coerce(line.item_name, Text),
            name3=type_coerce(line.tax_category_code, Text),
            name4=type_coerce(line.tax_rate, Text),
            amount2=line.amount_excluding_tax,
            amount3=line.tax_amount,
        )
        .select_from(line)
        .join(invoice, invoice.id == line.invoice_id)
        .where(where(invoice.request_id)),
        # Red-letter invoices, each with the number of the blue one it reverses.
        _arm(
            5,
            red.request_id,
            red.position,
            name=red.number,
            note=type_coerce(invoice.number, Text),
            amount=red.amount,
            at=red.issued_at,
            amount2=red.amount_excluding_tax,
            amount3=red.tax_amount,
        )
        .select_from(red)
        .join(invoice, invoice.id == red.blue_invoice_id)
        .where(where(red.request_id)),
    ]


_LINES_PER_INVOICE = 1_000_000


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
    InvoiceRequest.title,
    InvoiceRequest.remark,
    InvoiceRequest.due_at,
    case((overdue_condition(), True), else_=False).label("overdue"),
    InvoiceRequest.created_at,
    InvoiceRequest.updated_at,
)
_SUMMARY_LIST = TypeAdapter(list[InvoiceRequestSummary])


@lru_cache(maxsize=256)
def _list_statement(customer: bool, active: tuple[str, ...], after: bool) -> Select[Any]:
    """One statement per combination of filters, built on first use."""
    # The account's name by a join: still one statement per page.
    stmt = scoped(select(*_SUMMARY_COLUMNS), customer=customer).join_from(
        InvoiceRequest, Account, Account.id == InvoiceRequest.account_id
    )
    return keyset(filtered(stmt, active), *_KEYS, after=after)


async def _out(connection: AsyncConnection, request: Mapping[str, Any], role: Role) -> InvoiceRequestOut:
    """The full response for a request's columns: its children in one statement, then one validation."""
    result = await connection.execute(_ONE_REQUEST_CHILDREN, {"request_id": request["id"]})
    children: defaultdict[uuid.UUID, Children] = defaultdict(Children)
    files: defaultdict[tuple[uuid.UUID, str], list[dict[str, Any]]] = defaultdict(list)
    lines: defaultdict[tuple[uuid.UUID, str], list[dict[str, Any]]] = defaultdict(list)
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
                    "seller_id": child.seller,
                    "item_name": child.name2,
                    "tax_category_code": child.name3,
                    "tax_rate": child.name4,
                }
            )
        elif child.part == 1:
            of.events.append(
                {
                    "status": child.name,
                    "at": child.at,
                    "actor_role": child.text,
                    "actor_name": child.extra,
                    "note": child.note,
                }
            )
        elif child.part == 2:
            of.invoices.append(
                {
                    "number": child.name,
                    "amount": child.amount,
                    "amount_excluding_tax": child.amount2,
                    "tax_amount": child.amount3,
                    "issued_at": child.at,
                    "file_url": child.text,
                    "files": [],
                    "lines": [],
                }
            )
        elif child.part == 4:
            lines[(child.request_id, child.name)].append(
                {
                    "item_name": child.name2,
                    "tax_category_code": child.name3,
                    "tax_rate": child.name4,
                    "amount": child.amount,
                    "amount_excluding_tax": child.amount2,
                    "tax_amount": child.amount3,
                }
            )
        elif child.part == 5:
            of.red_invoices.append(
                {
                    "number": child.name,
                    "blue_number": child.note,
                    "amount": child.amount,
                    "amount_excluding_tax": child.amount2,
                    "tax_amount": child.amount3,
                    "issued_at": child.at,
                    "lines": [],
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
        of = children[request_id]
        invoice = next(item for item in [*of.invoices, *of.red_invoices] if item["number"] == number)
        invoice["files"] = sorted(found, key=lambda file: _FORMAT_ORDER[file["format"]])
    for (request_id, number), found in lines.items():
        of = children[request_id]
        invoice = next(item for item in [*of.invoices, *of.red_invoices] if item["number"] == number)
        invoice["lines"] = found
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
    stmt = _list_statement(scope.customer, filters.active(), params.cursor is not None)
    # `now` for the summaries' `overdue`, whether or not the list is filtered by it.
    values = {"now": utcnow(), **scope.values, **filters.values()}
    connection = await session.connection()
    rows, has_more = await fetch_page(connection, stmt, params, *_KEYS, values=values)
    # Dicts from plain tuples: validating rows by attribute or by mapping costs 2-5x as much.
    names = rows[0]._fields if rows else ()
    data = _SUMMARY_LIST.validate_python([dict(zip(names, row, strict=True)) for row in rows])
    return data, has_more, cursor_of(data[-1], _KEYS) if has_more else None
