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
or releasing a request) locks the account's row first (`lock_account`; request creation locks it
with the first statement that reads its facts), then the items in id order (bills, then cards):
one global lock order, so no deadlock; changes of one account's money are serialized, so the
deficit it reports in `account.invoice_deficit_changed` is exact; and, as the account row is the
first row the transaction locks, PostgreSQL gives it a transaction id after every earlier change
of that account, so the events feed (ordered by transaction id) lists those events in commit order.
"""

import uuid
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
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


_LOCK = select(Account.invoice_deficit).where(Account.id == bindparam("account_id")).with_for_update()
_MOVE = (
    update(Account)
    .where(Account.id == bindparam("account_id"))
    .values(invoice_deficit=Account.invoice_deficit + bindparam("delta"))
    .returning(Account.invoice_deficit)
)


async def lock_account(session: AsyncSession, account_id: uuid.UUID) -> int:
    """Lock the account's row (the first lock of every money move) and return its deficit."""
    connection = await session.connection()
    deficit: int | None = (await connection.execute(_LOCK, {"account_id": account_id})).scalar_one_or_none()
    if deficit is None:
        raise NotFound("No such account.")
    return deficit


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
