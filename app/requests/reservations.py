"""How a request's lines move its items' requested amounts and the account's invoice deficit.

Creating a request takes each selected item for its whole invoiceable amount (a positive line) and
settles every over-invoiced item of the account (a negative line of minus its over-invoiced
amount); afterwards every item it touched has requested = base. Releasing a request (cancelled,
rejected, reversed) gives every line back, negative ones too, so the deficit it settled returns.

Both run after `ledger.lock_account` and lock the items in id order, bills then cards: the one
global lock order of every money move. The selected items and the over-invoiced ones are found and
locked by one statement per table, so an amount is settled by at most one active request, and no
positive line takes more than what was invoiceable when the row was locked. The UPDATEs check
their row counts too: if a writer ever skipped the locks, the request is refused, never doubled.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import ledger
from app.bills.models import Bill
from app.bills.service import bill_label, customer_bills
from app.cards.models import StoredValueCard
from app.cards.service import card_label, customer_cards
from app.core.errors import Conflict, NotFound
from app.requests.models import InvoiceRequestItem


class ItemNotInvoiceable(Conflict):
    code = "item_not_invoiceable"
    detail = "Nothing is left to invoice on some of the selected items."


@dataclass(frozen=True, slots=True)
class Line:
    kind: str  # "bill" | "stored_value_card"
    id: uuid.UUID
    label: str
    # Positive: invoiced by this request. Negative: settles an earlier over-invoiced amount.
    amount: int


@dataclass(frozen=True, slots=True)
class Locked:
    """The account's selected and over-invoiced items, locked, with their amounts as read then."""

    bills: dict[uuid.UUID, Bill]
    cards: dict[uuid.UUID, StoredValueCard]

    def lines(self, bill_ids: Sequence[uuid.UUID], card_ids: Sequence[uuid.UUID]) -> list[Line]:
        """One positive line per selected item (in the order given; an exhausted item gets a line of
        zero, for the caller to refuse), then one negative line per over-invoiced item, bills then
        cards in id order."""
        selected = [
            Line("bill", bill.id, bill_label(bill), bill.invoiceable_amount)
            for bill in (self.bills[i] for i in bill_ids)
        ] + [
            Line("stored_value_card", card.id, card_label(card), card.invoiceable_amount)
            for card in (self.cards[i] for i in card_ids)
        ]
        settling = [
            Line("bill", bill.id, settlement_label(bill_label(bill)), -bill.over_invoiced_amount)
            for bill in self.bills.values()
            if bill.over_invoiced_amount > 0
        ] + [
            Line("stored_value_card", card.id, settlement_label(card_label(card)), -card.over_invoiced_amount)
            for card in self.cards.values()
            if card.over_invoiced_amount > 0
        ]
        return selected + settling


def settlement_label(label: str) -> str:
    return f"{label}: settles an earlier over-invoiced amount"


def _locking(stmt: Select[Any], model: type[Bill] | type[StoredValueCard]) -> Select[Any]:
    """The account's selected rows and its over-invoiced ones, in id order, locked and re-read."""
    return (
        stmt.where(or_(model.id.in_(bindparam("ids", expanding=True)), model.over_invoiced_amount > 0))
        .order_by(model.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


# Built once (only the bound account and ids vary).
_LOCK_BILLS = _locking(customer_bills(bindparam("account_id")), Bill)
_LOCK_CARDS = _locking(customer_cards(bindparam("account_id")), StoredValueCard)


async def lock_items(
    session: AsyncSession, account_id: uuid.UUID, bill_ids: list[uuid.UUID], card_ids: list[uuid.UUID]
) -> Locked:
    """Lock the selected items and every over-invoiced item of the account (bills, then cards, each
    in id order); a selected id that is not the account's is a 404."""
    values = {"account_id": account_id}
    bills = {
        bill.id: bill for bill in (await session.execute(_LOCK_BILLS, {**values, "ids": bill_ids})).scalars()
    }
    cards = {
        card.id: card for card in (await session.execute(_LOCK_CARDS, {**values, "ids": card_ids})).scalars()
    }
    for ids, found, what in ((bill_ids, bills, "bill"), (card_ids, cards, "stored-value card")):
        for item_id in ids:
            if item_id not in found:
                raise NotFound(f"No such {what}: {item_id}.")
    return Locked(bills=bills, cards=cards)


# Every item a new request touches ends at requested = base: a selected one takes all that was left,
# an over-invoiced one is settled down to it.
_RESERVE_BILLS = (
    update(Bill)
    .where(Bill.id.in_(bindparam("ids", expanding=True)), Bill.requested_amount != Bill.cash_amount)
    .values(requested_amount=Bill.cash_amount)
)
_CARD_BASE = StoredValueCard.paid_amount - StoredValueCard.refunded_amount
_RESERVE_CARDS = (
    update(StoredValueCard)
    .where(
        StoredValueCard.id.in_(bindparam("ids", expanding=True)),
        StoredValueCard.requested_amount != _CARD_BASE,
    )
    .values(requested_amount=_CARD_BASE)
)


async def reserve(session: AsyncSession, account_id: uuid.UUID, lines: Sequence[Line]) -> None:
    """Write the lines' effect: one UPDATE per table, then the deficit the negative lines settled."""
    connection = await session.connection()  # plain UPDATEs: the ORM keeps no copy of these rows
    for kind, statement in (("bill", _RESERVE_BILLS), ("stored_value_card", _RESERVE_CARDS)):
        ids = [line.id for line in lines if line.kind == kind]
        if ids:
            result = await connection.execute(statement, {"ids": ids})
            if result.rowcount != len(ids):
                # Unreachable while every writer locks the rows first; if one ever does not,
                # refuse rather than invoice or settle an amount twice (the transaction rolls back).
                raise ItemNotInvoiceable(
                    "The selected items changed while the request was being made; retry."
                )
    settled = -sum(line.amount for line in lines if line.amount < 0)
    await ledger.move_deficit(session, account_id, -settled)


def _give_back(model: type[Bill] | type[StoredValueCard]) -> Any:
    return (
        update(model)
        .where(model.id == bindparam("item_id"))
        .values(requested_amount=model.requested_amount - bindparam("item_amount"))
    )


def _over_invoiced(model: type[Bill] | type[StoredValueCard]) -> Select[Any]:
    return select(func.coalesce(func.sum(model.over_invoiced_amount), 0)).where(
        model.id.in_(bindparam("ids", expanding=True))
    )


_RELEASE = {
    "bill": (_give_back(Bill), _over_invoiced(Bill)),
    "stored_value_card": (_give_back(StoredValueCard), _over_invoiced(StoredValueCard)),
}


async def release(session: AsyncSession, account_id: uuid.UUID, items: Sequence[InvoiceRequestItem]) -> None:
    """Give every line back (the caller holds the account's lock): per table, one executemany
    UPDATE in id order, with the items' over-invoiced sum read before and after it, so the account's
    deficit moves by exactly what the release changed."""
    connection = await session.connection()
    delta = 0
    for kind, (give_back, over) in _RELEASE.items():
        amounts = sorted((item.item_id, item.amount) for item in items if item.kind == kind)
        if not amounts:
            continue
        ids = {"ids": [item_id for item_id, _ in amounts]}
        before = (await connection.execute(over, ids)).scalar_one()
        await connection.execute(
            give_back, [{"item_id": item_id, "item_amount": amount} for item_id, amount in amounts]
        )
        delta += (await connection.execute(over, ids)).scalar_one() - before
    await ledger.move_deficit(session, account_id, delta)
