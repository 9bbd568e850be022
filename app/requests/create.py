"""Creating an invoice request: the refusals in their fixed order, then the reservation.

Reservation is decided by the database. The selected bills and cards are locked with
SELECT … FOR UPDATE in id order (bills, then cards: one global order, so no deadlock), their
invoiceable amounts are read from the locked rows, and one UPDATE per table sets
requested_amount to its base. On SQLite the write transaction is BEGIN IMMEDIATE, so creations
are serialized; on PostgreSQL a second request over the same item waits for the first to commit
and then sees nothing left. CHECK constraints bound 0 <= requested_amount <= base.
"""

import uuid
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import get_account
from app.addresses.models import MailingAddress
from app.addresses.service import address_snapshot, get_address_for_request
from app.bills.models import Bill
from app.bills.service import bill_label, customer_bills
from app.cards.models import StoredValueCard
from app.cards.service import card_label, customer_cards
from app.certification.models import Certification
from app.certification.service import get_certification
from app.core import metrics
from app.core.auth import Role
from app.core.clock import utcnow
from app.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from app.core.ids import try_parse_id
from app.events import service as events
from app.profiles import rules
from app.profiles.models import InvoiceProfile
from app.profiles.service import CertificationRequired, get_profile_for_request, profile_snapshot
from app.requests.models import InvoiceRequest, InvoiceRequestEvent, InvoiceRequestItem
from app.requests.queries import Children, event_data, to_outs
from app.requests.schemas import InvoiceRequestCreate, InvoiceRequestOut
from app.requests.states import Status

MAX_ITEMS = 500


class CashBalanceNotPositive(Conflict):
    code = "cash_balance_not_positive"
    detail = "The account's cash balance must be above zero to request invoices."


class ProfileNotUsable(Conflict):
    code = "profile_not_usable"
    detail = (
        "The invoice profile's header no longer matches the certification, "
        "or it lacks fields its invoice type needs."
    )


class AddressIncomplete(DomainError):
    code = "address_incomplete"
    status = 422
    detail = "Electronic invoices need an address with an email; paper invoices a postal address."


class ItemNotInvoiceable(Conflict):
    code = "item_not_invoiceable"
    detail = "Nothing is left to invoice on some of the selected items."


@dataclass(frozen=True, slots=True)
class _Reserved:
    kind: str
    id: uuid.UUID
    label: str
    amount: int


async def create_request(
    session: AsyncSession,
    account_id: uuid.UUID,
    body: InvoiceRequestCreate,
    *,
    require_positive_cash_balance: bool,
    actor_role: str = Role.customer.value,
    note: str | None = None,
) -> InvoiceRequestOut:
    """The one way a request is made, by the customer or by the service for them (automatic
    invoicing: `actor_role` system and a `note` on the first event)."""
    try:
        out = await _create(session, account_id, body, require_positive_cash_balance, actor_role, note)
    except DomainError as refusal:
        metrics.INVOICE_REQUESTS_REFUSED.labels(refusal.code).inc()
        raise
    metrics.INVOICE_REQUESTS_CREATED.inc()
    return out


async def _create(
    session: AsyncSession,
    account_id: uuid.UUID,
    body: InvoiceRequestCreate,
    require_positive_cash_balance: bool,
    actor_role: str,
    note: str | None,
) -> InvoiceRequestOut:
    # The checks run in the order the contract lists them; the first that fails answers.
    certification = await get_certification(session, account_id)
    if certification is None:
        raise CertificationRequired()
    if require_positive_cash_balance and (await get_account(session, account_id)).cash_balance <= 0:
        raise CashBalanceNotPositive()
    _check_selection(body)

    profile = await get_profile_for_request(session, account_id, _parse(body.profile_id, "invoice profile"))
    address = await get_address_for_request(session, account_id, _parse(body.address_id, "mailing address"))
    bill_ids = [_parse(value, "bill") for value in body.bill_ids]
    card_ids = [_parse(value, "stored-value card") for value in body.stored_value_card_ids]
    bills = await _lock(session, _LOCK_BILLS, account_id, bill_ids, "bill")
    cards = await _lock(session, _LOCK_CARDS, account_id, card_ids, "stored-value card")

    check_usable(profile, certification, address)
    reserved = _amounts(bill_ids, card_ids, bills, cards)
    await _reserve(session, bill_ids, card_ids)
    return await _insert(session, account_id, profile, address, body.remark, reserved, actor_role, note)


def _check_selection(body: InvoiceRequestCreate) -> None:
    count = len(body.bill_ids) + len(body.stored_value_card_ids)
    if count == 0:
        raise ValidationFailed("body", "select at least one bill or stored-value card")
    if count > MAX_ITEMS:
        raise ValidationFailed("body", f"at most {MAX_ITEMS} bills and stored-value cards per request")
    for field, values in (
        ("body.bill_ids", body.bill_ids),
        ("body.stored_value_card_ids", body.stored_value_card_ids),
    ):
        seen: set[object] = set()
        for value in values:
            key = try_parse_id(value) or value  # the same id in another spelling is still a repeat
            if key in seen:
                raise ValidationFailed(field, f"lists {value} more than once")
            seen.add(key)


def _parse(value: str, what: str) -> uuid.UUID:
    parsed = try_parse_id(value)
    if parsed is None:
        raise NotFound(f"No such {what}: {value}.")
    return parsed


class _Row(Protocol):
    id: uuid.UUID


RowT = TypeVar("RowT", bound=_Row)


def _locking(stmt: Select[RowT], key: Any) -> Select[RowT]:
    """The account's selected rows in id order, locked (SELECT … FOR UPDATE) and re-read."""
    return (
        stmt.where(key.in_(bindparam("ids", expanding=True)))
        .order_by(key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


# Built once (only the bound account and ids vary): bills, then cards, is the one global lock order.
_LOCK_BILLS = _locking(customer_bills(bindparam("account_id")), Bill.id)
_LOCK_CARDS = _locking(customer_cards(bindparam("account_id")), StoredValueCard.id)


async def _lock(
    session: AsyncSession, stmt: Select[RowT], account_id: uuid.UUID, ids: list[uuid.UUID], what: str
) -> dict[uuid.UUID, RowT]:
    """Lock the selected rows in id order; any id not found is a 404."""
    if not ids:
        return {}
    found = {
        row.id: row for row in (await session.execute(stmt, {"account_id": account_id, "ids": ids})).scalars()
    }
    for item_id in ids:
        if item_id not in found:
            raise NotFound(f"No such {what}: {item_id}.")
    return found


def check_usable(
    profile: InvoiceProfile, certification: Certification | None, address: MailingAddress
) -> None:
    """The profile and address could serve a request now (also checked when automatic invoicing is set)."""
    if not rules.is_usable(profile, certification):
        raise ProfileNotUsable()
    if not rules.address_serves(address, profile.invoice_type):
        raise AddressIncomplete()


def _amounts(
    bill_ids: list[uuid.UUID],
    card_ids: list[uuid.UUID],
    bills: dict[uuid.UUID, Bill],
    cards: dict[uuid.UUID, StoredValueCard],
) -> list[_Reserved]:
    """Each item is requested for all that is left of it, read from the locked row."""
    reserved = [
        _Reserved("bill", bill.id, bill_label(bill), bill.cash_amount - bill.requested_amount)
        for bill in (bills[bill_id] for bill_id in bill_ids)
    ] + [
        _Reserved("stored_value_card", card.id, card_label(card), card.paid_amount - card.requested_amount)
        for card in (cards[card_id] for card_id in card_ids)
    ]
    exhausted = [{"kind": item.kind, "id": str(item.id)} for item in reserved if item.amount <= 0]
    if exhausted:
        names = ", ".join(item["id"] for item in exhausted)
        raise ItemNotInvoiceable(f"Nothing is left to invoice on: {names}.", items=exhausted)
    return reserved


_RESERVE_BILLS = (
    update(Bill)
    .where(Bill.id.in_(bindparam("ids", expanding=True)), Bill.requested_amount < Bill.cash_amount)
    .values(requested_amount=Bill.cash_amount)
)
_RESERVE_CARDS = (
    update(StoredValueCard)
    .where(
        StoredValueCard.id.in_(bindparam("ids", expanding=True)),
        StoredValueCard.requested_amount < StoredValueCard.paid_amount,
    )
    .values(requested_amount=StoredValueCard.paid_amount)
)


async def _reserve(session: AsyncSession, bill_ids: list[uuid.UUID], card_ids: list[uuid.UUID]) -> None:
    """One UPDATE per table; the rows are locked, so what we read is what we take."""
    connection = await session.connection()  # plain UPDATEs: the ORM keeps no copy of these rows
    if bill_ids:
        result = await connection.execute(_RESERVE_BILLS, {"ids": bill_ids})
        _all_reserved(result.rowcount, len(bill_ids))
    if card_ids:
        result = await connection.execute(_RESERVE_CARDS, {"ids": card_ids})
        _all_reserved(result.rowcount, len(card_ids))


def _all_reserved(rowcount: int, expected: int) -> None:
    # Unreachable while every writer locks the rows first; if one ever does not, refuse rather
    # than invoice an amount twice (the transaction is rolled back).
    if rowcount != expected:
        raise ItemNotInvoiceable("The selected items changed while the request was being made; retry.")


# Plain INSERTs built once: the new rows need none of the ORM's unit-of-work bookkeeping.
_INSERT_REQUEST = insert(InvoiceRequest)
_INSERT_ITEM = insert(InvoiceRequestItem)
_INSERT_EVENT = insert(InvoiceRequestEvent)


async def _insert(
    session: AsyncSession,
    account_id: uuid.UUID,
    profile: InvoiceProfile,
    address: MailingAddress,
    remark: str | None,
    reserved: list[_Reserved],
    actor_role: str,
    note: str | None,
) -> InvoiceRequestOut:
    now = utcnow()
    request_id = uuid.uuid4()
    request = {
        "id": request_id,
        "account_id": account_id,
        "status": Status.pending.value,
        "amount": sum(item.amount for item in reserved),
        "invoice_type": profile.invoice_type,
        "profile_id": profile.id,
        "address_id": address.id,
        "profile_snapshot": profile_snapshot(profile),
        "address_snapshot": address_snapshot(address),
        "remark": remark or None,
        "carrier": None,
        "tracking_number": None,
        "created_at": now,
        "updated_at": now,
    }
    items = [
        {
            "id": uuid.uuid4(),
            "request_id": request_id,
            "position": position,
            "kind": item.kind,
            "bill_id": item.id if item.kind == "bill" else None,
            "stored_value_card_id": item.id if item.kind == "stored_value_card" else None,
            "label": item.label,
            "amount": item.amount,
        }
        for position, item in enumerate(reserved)
    ]
    event = {"request_id": request_id, "status": Status.pending.value, "actor_role": actor_role}
    connection = await session.connection()
    await connection.execute(_INSERT_REQUEST, request)
    await connection.execute(_INSERT_ITEM, items)  # one executemany
    await connection.execute(_INSERT_EVENT, {**event, "note": note, "at": now})
    children = Children(
        items=[
            {"kind": item.kind, "id": item.id, "label": item.label, "amount": item.amount}
            for item in reserved
        ],
        events=[{"status": event["status"], "at": now, "actor_role": event["actor_role"], "note": note}],
    )
    (out,) = to_outs([request], {request_id: children}, Role.customer)
    await events.record(session, "invoice_request.created", account_id, event_data(out))
    return out
