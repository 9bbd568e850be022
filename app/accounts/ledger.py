"""The money rule of every invoiceable item, and the account's invoice deficit (欠票).

An item's *base* is what was finally paid for it (a bill's cash part, a card's paid amount less
its refunds); its *requested* amount is the sum of its lines in active invoice requests. Then

    invoiceable   = max(0, base - requested)
    over_invoiced = max(0, requested - base)

and the account's invoice deficit is the sum of its items' over-invoiced amounts. Those two
expressions are written here once, in SQL: the bill and card models map them as column
properties, so list filters, the summary's sums, request creation and every response read the
same expression (Python never recomputes it).

Every change that can move an item's base or requested amount (an amendment, a refund, creating
or releasing a request), every move of a request, and everything else that writes an event of the
account, locks the account first (`lock_account`; request creation locks it with the first
statement that reads its facts), then the request, then the items in id order (bills, then cards):
one global lock order, so no deadlock; changes of one account are serialized, so the deficit it
reports in `account.invoice_deficit_changed` is exact.

The events feed is ordered by the writing transaction's id (app/events/service.py), so an account's
events are in the order of its changes only if each transaction is given its id *while it holds the
account's lock*. A row lock cannot promise that: PostgreSQL gives a `SELECT … FOR UPDATE` its
transaction id before it waits, and one that wakes behind an UPDATE of the row re-locks the newest
version in a race that a later transaction (with a higher id) can win. So the lock is taken in two
steps by one statement: `pg_advisory_xact_lock` keyed on the account (waiting for it assigns no
transaction id, and its waiters are granted in turn), then the row lock. The holders of one
account's advisory lock follow one another, and each is given its id after its predecessor
committed, so ids grow along the account's lock chain. That holds only if nothing gave the
transaction an id before: the statement also reads `pg_current_xact_id_if_assigned()` and
`check_lock_order` reports (INVOICING_STRICT_LOCK_ORDER, on in the tests: fails) a transaction
that locks its account too late. SQLite has one writer at a time: commit order is id order.
docs/EVENTS.md says what the feed promises and why.
"""

import logging
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Text,
    Uuid,
    bindparam,
    case,
    cast,
    column,
    exists,
    func,
    select,
    table,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.core import metrics
from app.core.database import STRICT_LOCK_ORDER
from app.core.errors import NotFound
from app.core.money import format_money
from app.events import service as events


def invoiceable(base: Any, requested: Any) -> ColumnElement[int]:
    """What is left to invoice on an item: `max(0, base - requested)`."""
    return case((requested < base, base - requested), else_=0)


def over_invoiced(base: Any, requested: Any) -> ColumnElement[int]:
    """What was invoiced beyond what was finally paid: `max(0, requested - base)`."""
    return case((is_over_invoiced(base, requested), requested - base), else_=0)


def is_over_invoiced(base: Any, requested: Any) -> ColumnElement[bool]:
    """`over_invoiced > 0`, written as the plain comparison that the partial indexes of over-invoiced
    bills and cards are defined by (`OVER_INVOICED_BILL`, `OVER_INVOICED_CARD`), so a query that
    states it finds an account's over-invoiced items without reading its other items."""
    return requested > base  # type: ignore[no-any-return]


# The predicates of the partial indexes, as SQL text (the models' `__table_args__` and migration
# 0008 use them; `is_over_invoiced` states the same comparison in queries).
OVER_INVOICED_BILL = "requested_amount > cash_amount"
OVER_INVOICED_CARD = "requested_amount > paid_amount - refunded_amount"


# The account lock of PostgreSQL, as a CTE that a statement locking the account's row selects from
# (`FOR UPDATE OF account`): the advisory lock on the account first, and whether the transaction
# had an id by then. Materialized, it is evaluated once, before the row lock, even when the row
# lock finds a newer version of the row and re-evaluates the rest of the statement for it (a
# `SELECT … FOR UPDATE` is given an id as it locks, so a re-evaluated column would see one).
ACCOUNT_LOCK = (
    select(
        func.pg_advisory_xact_lock(bindparam("lock_key", type_=BigInteger)).label("account_lock"),
        cast(func.pg_current_xact_id_if_assigned(), Text).label("xid_before_lock"),
    )
    .cte("account_lock")
    .prefix_with("MATERIALIZED")
)
# SQLite's stand-in: no advisory lock (the write lock serializes writers), never an id.
NO_ACCOUNT_LOCK = cast(None, Text).label("xid_before_lock")
_LOCK = {
    "postgresql": select(Account.invoice_deficit, ACCOUNT_LOCK.c.xid_before_lock)
    .select_from(ACCOUNT_LOCK)
    .join(Account, true())
    .where(Account.id == bindparam("account_id"))
    .with_for_update(of=Account),
    "sqlite": select(Account.invoice_deficit, NO_ACCOUNT_LOCK).where(Account.id == bindparam("account_id")),
}
_MOVE = (
    update(Account)
    .where(Account.id == bindparam("account_id"))
    .values(invoice_deficit=Account.invoice_deficit + bindparam("delta"))
    .returning(Account.invoice_deficit)
)
_HELD = "accounts_locked"
logger = logging.getLogger("invoicing.ledger")


class LockOrderViolation(RuntimeError):
    """An account was locked by a transaction that already had an id (a bug in the caller)."""


def lock_values(account_id: uuid.UUID) -> dict[str, Any]:
    """The bound values of a statement that locks the account (with ACCOUNT_LOCK on PostgreSQL)."""
    return {"account_id": account_id, "lock_key": lock_key(account_id)}


def lock_key(account_id: uuid.UUID) -> int:
    """The account's advisory-lock key: the first 64 bits of its (random) id. Two accounts that
    shared a key would only be serialized together; nothing else in the database takes advisory
    locks."""
    return int.from_bytes(account_id.bytes[:8], "big", signed=True)


async def lock_account(session: AsyncSession, account_id: uuid.UUID) -> int:
    """Lock the account (the first lock of every change of it) and return its deficit."""
    connection = await session.connection()
    statement = _LOCK[connection.dialect.name]
    row = (await connection.execute(statement, lock_values(account_id))).one_or_none()
    if row is None:
        raise NotFound("No such account.")
    check_lock_order(session, account_id, row.xid_before_lock)
    deficit: int = row.invoice_deficit
    return deficit


def check_lock_order(session: AsyncSession, account_id: uuid.UUID, xid_before_lock: str | None) -> None:
    """The guard of the feed's order: the first lock of `account_id` in this transaction must come
    before anything gave the transaction an id. Locking it again later (e.g. automatic invoicing,
    then the creation it calls) is fine."""
    transaction = session.sync_session.get_transaction()
    held: tuple[object, set[uuid.UUID]] | None = session.info.get(_HELD)
    if held is None or held[0] is not transaction:
        held = (transaction, set())
        session.info[_HELD] = held
    first = account_id not in held[1]
    held[1].add(account_id)
    if xid_before_lock is None or not first:
        return
    metrics.LOCK_ORDER_VIOLATIONS.inc()
    message = (
        f"account {account_id} locked by transaction {xid_before_lock}, which already had an id: "
        "the events feed may list its events out of order"
    )
    if session.info.get(STRICT_LOCK_ORDER):
        raise LockOrderViolation(message)
    logger.error(message, extra={"account_id": str(account_id)})


async def move_deficit(session: AsyncSession, account_id: uuid.UUID, delta: int) -> None:
    """Add `delta` to the account's deficit and write `account.invoice_deficit_changed` in the
    same transaction; nothing when `delta` is zero."""
    deficit = await shift_deficit(session, account_id, delta)
    if deficit is not None:
        type_, data = deficit_changed(account_id, deficit)
        await events.record(session, type_, account_id, data)


async def shift_deficit(session: AsyncSession, account_id: uuid.UUID, delta: int) -> int | None:
    """Add `delta` to the account's deficit and return the new one (None when `delta` is zero: no
    statement). A relative UPDATE: the CHECK constraint refuses a deficit below zero, so an amount
    settled twice fails instead of being stored. The caller writes `deficit_changed(...)` in the
    same transaction (request creation batches it with its own event)."""
    if not delta:
        return None
    connection = await session.connection()
    result = await connection.execute(_MOVE, {"account_id": account_id, "delta": delta})
    deficit: int = result.scalar_one()
    return deficit


def deficit_changed(account_id: uuid.UUID, deficit: int) -> tuple[str, dict[str, Any]]:
    """The `account.invoice_deficit_changed` event (type, data) for the account's new deficit."""
    return "account.invoice_deficit_changed", {
        "account_id": str(account_id),
        "invoice_deficit": format_money(deficit),
    }


# Request statuses that give their lines back (cancelled, rejected, reversed): every other holds them.
_RELEASED = ("cancelled", "rejected", "reversed")
_REQUEST = table("invoice_request", column("id", Uuid), column("status", Text))
_LINE = table(
    "invoice_request_item",
    column("request_id", Uuid),
    column("bill_id", Uuid),
    column("stored_value_card_id", Uuid),
)


async def in_active_request(session: AsyncSession, kind: str, item_id: uuid.UUID) -> bool:
    """Whether any line of the item (a bill or a card) is in an active request: then its tax terms
    are fixed. (Named by table, not by model: the requests package sits above this one.)"""
    target = _LINE.c.bill_id if kind == "bill" else _LINE.c.stored_value_card_id
    statement = select(
        exists().where(
            target == item_id, _REQUEST.c.id == _LINE.c.request_id, _REQUEST.c.status.not_in(_RELEASED)
        )
    )
    return bool((await session.execute(statement)).scalar())


# The bills with a line in an active request (add a filter on `ITEM_LINE.c.bill_id`): the batch
# upsert asks it for all of a call's bills at once, as `in_active_request` asks for one.
ITEM_LINE = _LINE
ACTIVE_BILL_LINES = (
    select(_LINE.c.bill_id)
    .select_from(_LINE.join(_REQUEST, _REQUEST.c.id == _LINE.c.request_id))
    .where(_REQUEST.c.status.not_in(_RELEASED))
    .distinct()
)
