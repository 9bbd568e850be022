"""How a request's lines move its items' requested amounts and the account's invoice deficit.

Creating a request takes each selected item for its whole invoiceable amount (a positive line) and
settles every over-invoiced item of the account (a negative line of minus its over-invoiced
amount); afterwards every item it touched has requested = base. Releasing a request (cancelled,
rejected, reversed) gives every line back, negative ones too, so the deficit it settled returns.

Both run after the account's row is locked (`ledger.lock_account`, or creation's first statement)
and lock the items in id order, bills then cards: the one global lock order of every money move.
The selected items and the over-invoiced ones are found and locked by one statement for both
tables (the over-invoiced ones through partial indexes, so the cost does not grow with the
account's other items), so an amount is settled by at most one active request, and no positive
line takes more than what was invoiceable when the row was locked. The UPDATEs check their row
counts too: if a writer ever skipped the locks, the request is refused, never doubled.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    CompoundSelect,
    Select,
    String,
    Subquery,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.accounts import ledger
from app.bills.models import Bill
from app.bills.service import period_label
from app.cards.models import StoredValueCard
from app.cards.service import card_no_label
from app.core.errors import Conflict, NotFound
from app.requests.models import InvoiceRequestItem
from app.sellers.models import Seller
from app.sellers.service import SellerFields, seller_snapshot
from app.sellers.terms import TaxTerms


class ItemNotInvoiceable(Conflict):
    code = "item_not_invoiceable"
    detail = "Nothing is left to invoice on some of the selected items."


TaxGroup = tuple[uuid.UUID, str, str]  # (seller_id, tax_rate, tax_category_code)


def tax_group(terms: TaxTerms) -> TaxGroup:
    """What the deficit is kept and settled by: the seller, the rate and the tax category code."""
    return (terms.seller_id, terms.tax_rate, terms.tax_category_code)


@dataclass(frozen=True, slots=True)
class Line:
    kind: str  # "bill" | "stored_value_card"
    id: uuid.UUID
    label: str
    # Positive: invoiced by this request. Negative: settles an earlier over-invoiced amount.
    amount: int
    reference: str  # the bill's period or the card's number (ItemOut.period / card_no)
    terms: TaxTerms


@dataclass(frozen=True, slots=True)
class Item:
    """A locked item as read then: what is left to invoice on it, and what was over-invoiced."""

    kind: str
    id: uuid.UUID
    label: str
    invoiceable: int
    over_invoiced: int
    reference: str  # the bill's period or the card's number
    terms: TaxTerms


@dataclass(frozen=True, slots=True)
class Locked:
    """The account's selected and over-invoiced items, locked, with their amounts as read then, and
    the sellers of the selected ones (their snapshots)."""

    bills: dict[uuid.UUID, Item]
    cards: dict[uuid.UUID, Item]
    sellers: dict[uuid.UUID, dict[str, Any]]

    def lines(self, bill_ids: Sequence[uuid.UUID], card_ids: Sequence[uuid.UUID]) -> list[Line]:
        """One positive line per selected item (in the order given; an exhausted item gets a line of
        zero, for the caller to refuse), then one negative line per over-invoiced item of the tax
        groups the selected items are in (only those: the deficit is kept per tax group), bills then
        cards in id order."""
        chosen = [*(self.bills[i] for i in bill_ids), *(self.cards[i] for i in card_ids)]
        selected = [
            Line(item.kind, item.id, item.label, item.invoiceable, item.reference, item.terms)
            for item in chosen
        ]
        groups = {tax_group(item.terms) for item in chosen}
        settling = [
            Line(
                item.kind,
                item.id,
                settlement_label(item.label),
                -item.over_invoiced,
                item.reference,
                item.terms,
            )
            for found in (self.bills, self.cards)
            for item in sorted(found.values(), key=lambda item: item.id)
            if item.over_invoiced > 0 and tax_group(item.terms) in groups
        ]
        return selected + settling


def settlement_label(label: str) -> str:
    return f"{label}: settles an earlier over-invoiced amount"


def _locking(
    kind: str, model: type[Bill] | type[StoredValueCard], base: Any, reference: Any, dialect: str
) -> Subquery:
    """The account's selected rows of `model` and its over-invoiced ones, locked in id order.

    The ids come from a UNION ALL of the selected ids (by primary key) and, when the account has a
    deficit (`:settle`; none means no item is over-invoiced), its over-invoiced items (by the
    partial index on `ledger.is_over_invoiced`), each arm with the tenant filter; the rows are then
    read by primary key. So the statement reads only those rows, however many items the account
    has. On PostgreSQL the ids are gathered into an array first (`= ANY(ARRAY(...))`): the planner
    cannot estimate how few items are over-invoiced (it assumes a third) and would otherwise
    prefer to scan the table."""
    ids: BindParameter[list[uuid.UUID]] = bindparam(f"{kind}_ids", expanding=True)
    selected, over = aliased(model), aliased(model)
    wanted = union_all(
        select(selected.id).where(selected.account_id == bindparam("account_id"), selected.id.in_(ids)),
        select(over.id).where(
            bindparam("settle", type_=Boolean),
            over.account_id == bindparam("account_id"),
            ledger.is_over_invoiced(base(over), over.requested_amount),
        ),
    )
    found = (
        model.id == any_(func.array(wanted.scalar_subquery()))
        if dialect == "postgresql"
        else model.id.in_(wanted)
    )
    return (
        select(
            literal_column(f"'{kind}'", String).label("kind"),
            model.id,
            reference.label("reference"),
            model.invoiceable_amount.label("invoiceable"),
            model.over_invoiced_amount.label("over_invoiced"),
            model.seller_id,
            model.tax_rate,
            model.tax_category_code,
            model.item_name,
        )
        .where(found)
        .order_by(model.id)
        .with_for_update(of=model)
        .subquery()
    )


_SELLER_COLUMNS = (
    Seller.name.label("seller_name"),
    Seller.taxpayer_id.label("seller_taxpayer_id"),
    Seller.address.label("seller_address"),
    Seller.phone.label("seller_phone"),
    Seller.bank_name.label("seller_bank_name"),
    Seller.bank_account.label("seller_bank_account"),
    Seller.max_invoice_amount.label("seller_max_invoice_amount"),
)


def _all_columns(subquery: Subquery) -> Select[Any]:
    """The locked rows with their seller (for the request's snapshot: no statement of its own)."""
    return select(*subquery.c, *_SELLER_COLUMNS).join(Seller, Seller.id == subquery.c.seller_id)


def _lock_items(dialect: str) -> CompoundSelect[Any]:
    """Bills, then cards, each locked in id order, by one statement (PostgreSQL runs the arms of a
    UNION ALL in turn, each arm's rows locked as its sorted read returns them)."""
    return union_all(
        _all_columns(_locking("bill", Bill, lambda bill: bill.cash_amount, Bill.period, dialect)),
        _all_columns(
            _locking(
                "stored_value_card",
                StoredValueCard,
                lambda card: card.paid_amount - card.refunded_amount,
                StoredValueCard.card_no,
                dialect,
            )
        ),
    )


_LOCK_ITEMS = {dialect: _lock_items(dialect) for dialect in ("postgresql", "sqlite")}  # built once
_LABELS = {"bill": period_label, "stored_value_card": card_no_label}


async def lock_items(
    session: AsyncSession,
    account_id: uuid.UUID,
    bill_ids: list[uuid.UUID],
    card_ids: list[uuid.UUID],
    *,
    deficit: int,
) -> Locked:
    """Lock the selected items and every over-invoiced item of the account (bills, then cards, each
    in id order; the caller locked the account first and read its `deficit` then) by one statement;
    a selected id that is not the account's is a 404."""
    connection = await session.connection()  # plain rows: the ORM keeps no copy of the items
    statement = _LOCK_ITEMS[connection.dialect.name]
    values = {
        "account_id": account_id,
        "bill_ids": bill_ids,
        "stored_value_card_ids": card_ids,
        "settle": deficit > 0,
    }
    found: dict[str, dict[uuid.UUID, Item]] = {"bill": {}, "stored_value_card": {}}
    sellers: dict[uuid.UUID, dict[str, Any]] = {}
    for row in await connection.execute(statement, values):
        terms = TaxTerms(row.seller_id, row.tax_rate, row.tax_category_code, row.item_name)
        found[row.kind][row.id] = Item(
            row.kind,
            row.id,
            _LABELS[row.kind](row.reference),
            row.invoiceable,
            row.over_invoiced,
            row.reference,
            terms,
        )
        if row.seller_id not in sellers:
            seller = SellerFields(
                name=row.seller_name,
                taxpayer_id=row.seller_taxpayer_id,
                address=row.seller_address,
                phone=row.seller_phone,
                bank_name=row.seller_bank_name,
                bank_account=row.seller_bank_account,
                max_invoice_amount=row.seller_max_invoice_amount,
            )
            sellers[row.seller_id] = seller_snapshot(row.seller_id, seller)
    bills, cards = found["bill"], found["stored_value_card"]
    for ids, items, what in ((bill_ids, bills, "bill"), (card_ids, cards, "stored-value card")):
        for item_id in ids:
            if item_id not in items:
                raise NotFound(f"No such {what}: {item_id}.")
    return Locked(bills=bills, cards=cards, sellers=sellers)


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


async def reserve(session: AsyncSession, account_id: uuid.UUID, lines: Sequence[Line]) -> int | None:
    """Write the lines' effect: one UPDATE per table that has lines, then the deficit the negative
    lines settled; returns the account's new deficit if it moved (the caller writes
    `account.invoice_deficit_changed` with its own event)."""
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
    return await ledger.shift_deficit(session, account_id, -settled)


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
