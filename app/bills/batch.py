"""Month-end ingestion (SPEC §11): up to 1,000 bills in one call, set-based.

Every rule of the single `PUT …/bills/{period}` (app/bills/service.py) holds for each bill, and one
bad bill fails alone. The work is a fixed number of statements however many bills a call holds:

1. lock every account the call names, in one statement, in one global order (PostgreSQL: the
   advisory lock of each account in ascending key order, then the rows; app/accounts/ledger.py), so
   two batches, or a batch and any single change, never deadlock and every account's events keep
   their feed order;
2. read the accounts' bills of the call's periods, locked;
3. read the sellers the call names (and the default one), and which of the bills whose tax terms
   change have an amount in an active request (`tax_terms_locked`);
4. decide each bill in Python, in the call's order (a period named twice is amended by the later
   entry, as two PUTs in a row would be);
5. insert the new bills, update the changed ones, move the deficits, and write one
   `account.invoice_deficit_changed` per bill that moved it (with the account's running deficit,
   as the PUTs one by one would have written) — one executemany each.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import BigInteger, Text, Uuid, any_, bindparam, cast, func, insert, select, true, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import ledger
from app.accounts.models import Account
from app.bills.models import Bill
from app.bills.service import BillAmounts
from app.core.clock import utcnow
from app.core.ids import try_parse_id
from app.events import service as events
from app.sellers.models import Seller
from app.sellers.service import TaxTermsLocked, TermDefaults
from app.sellers.terms import TaxTerms, TermsIn, terms_columns

MAX_BATCH = 1000

Outcome = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True, slots=True)
class BatchBill:
    account_id: str  # as sent: an id that is not a UUID names no account (404), like the PUT's path
    period: str
    amounts: BillAmounts
    terms: TermsIn = field(default_factory=TermsIn)


@dataclass(frozen=True, slots=True)
class BatchResult:
    account_id: str
    period: str
    ok: bool
    status: Outcome | None = None
    id: uuid.UUID | None = None
    code: str | None = None
    detail: str | None = None
    errors: list[dict[str, str]] | None = None


_RESULT_FIELDS = ("account_id", "period", "ok", "status", "id", "code", "detail", "errors")


def as_dict(result: BatchResult) -> dict[str, Any]:
    """The result's fields (dataclasses.asdict deep-copies every value: a tenth of a call's time)."""
    return {name: getattr(result, name) for name in _RESULT_FIELDS}


@dataclass(slots=True)
class _State:
    """A bill as this call leaves it: the stored row, or one this call creates."""

    id: uuid.UUID
    requested: int
    amounts: BillAmounts
    terms: TaxTerms
    stored: tuple[BillAmounts, TaxTerms] | None  # None: created by this call
    locked: bool = False  # an amount of it is in an active request: its tax terms are fixed
    changed: bool = False


@dataclass(slots=True)
class _Account:
    deficit: int
    bills: dict[str, _State] = field(default_factory=dict)


def _over_invoiced(state: _State) -> int:
    return max(0, state.requested - state.amounts.cash_amount)


# PostgreSQL: the advisory locks in ascending key order (a sorted subquery, materialized, so it is
# evaluated once and first), whether the transaction had an id before, then the account rows.
_PG_KEYS = bindparam("lock_keys", type_=postgresql.ARRAY(BigInteger))
_PG_IDS = bindparam("account_ids", type_=postgresql.ARRAY(Uuid))
_SORTED_KEYS = select(func.unnest(_PG_KEYS).label("key")).order_by("key").subquery("sorted_keys")
_PG_LOCKS = (
    select(
        func.count(func.pg_advisory_xact_lock(_SORTED_KEYS.c.key)).label("locks"),
        cast(func.pg_current_xact_id_if_assigned(), Text).label("xid_before_lock"),
    )
    .select_from(_SORTED_KEYS)
    .cte("account_locks")
    .prefix_with("MATERIALIZED")
)
_LOCK_ACCOUNTS = {
    "postgresql": select(Account.id, Account.invoice_deficit, _PG_LOCKS.c.xid_before_lock)
    .select_from(_PG_LOCKS)
    .join(Account, true())
    .where(Account.id == any_(_PG_IDS))
    .order_by(Account.id)
    .with_for_update(of=Account),
    "sqlite": select(Account.id, Account.invoice_deficit, ledger.NO_ACCOUNT_LOCK)
    .where(Account.id.in_(bindparam("account_ids", expanding=True)))
    .order_by(Account.id),
}
_BILLS = (
    select(
        Bill.id,
        Bill.account_id,
        Bill.period,
        Bill.requested_amount,
        Bill.total_amount,
        Bill.cash_amount,
        Bill.voucher_amount,
        Bill.stored_value_card_amount,
        Bill.seller_id,
        Bill.tax_rate,
        Bill.tax_category_code,
        Bill.item_name,
    )
    .where(
        Bill.account_id.in_(bindparam("account_ids", expanding=True)),
        Bill.period.in_(bindparam("periods", expanding=True)),
    )
    .order_by(Bill.account_id, Bill.period)
    .with_for_update()
)
_UPDATE_BILL = (
    update(Bill)
    .where(Bill.id == bindparam("bill_id"))
    .values(
        total_amount=bindparam("total_amount"),
        cash_amount=bindparam("cash_amount"),
        voucher_amount=bindparam("voucher_amount"),
        stored_value_card_amount=bindparam("stored_value_card_amount"),
        seller_id=bindparam("seller_id"),
        tax_rate=bindparam("tax_rate"),
        tax_category_code=bindparam("tax_category_code"),
        item_name=bindparam("item_name"),
        updated_at=bindparam("now"),
    )
)
_MOVE_DEFICIT = (
    update(Account)
    .where(Account.id == bindparam("account"))
    .values(invoice_deficit=Account.invoice_deficit + bindparam("delta"))
)


def _invalid(bill: BatchBill, position: int) -> BatchResult | None:
    amounts = bill.amounts
    parts = amounts.cash_amount + amounts.voucher_amount + amounts.stored_value_card_amount
    if amounts.total_amount == parts:
        return None
    message = "must equal cash_amount + voucher_amount + stored_value_card_amount"
    field_name = f"body.bills.{position}.total_amount"
    return BatchResult(
        account_id=bill.account_id,
        period=bill.period,
        ok=False,
        code="validation_error",
        detail=f"{field_name}: {message}",
        errors=[{"field": field_name, "message": message}],
    )


def _refused(bill: BatchBill, code: str, detail: str, field_name: str | None = None) -> BatchResult:
    errors = None if field_name is None else [{"field": field_name, "message": detail}]
    return BatchResult(
        account_id=bill.account_id, period=bill.period, ok=False, code=code, detail=detail, errors=errors
    )


# The sellers a call names (by id) and the default seller, by one statement.
_SELLERS = select(Seller.id, Seller.is_default).where(
    (Seller.id.in_(bindparam("seller_ids", expanding=True))) | Seller.is_default.is_(True)
)
# Which of the given bills have a line in an active request (their tax terms are fixed).
_LOCKED_BILLS = ledger.ACTIVE_BILL_LINES.where(
    ledger.ITEM_LINE.c.bill_id.in_(bindparam("bill_ids", expanding=True))
)


async def _sellers(
    session: AsyncSession, bills: Sequence[BatchBill]
) -> tuple[set[uuid.UUID], uuid.UUID | None]:
    """The known sellers among those the call names, and the default seller."""
    named = {parsed for bill in bills if (parsed := try_parse_id(bill.terms.seller_id or "")) is not None}
    connection = await session.connection()
    rows = (await connection.execute(_SELLERS, {"seller_ids": sorted(named)})).all()
    default = next((row.id for row in rows if row.is_default), None)
    return {row.id for row in rows}, default


def _terms(given: TermsIn, seller_id: uuid.UUID, base: TaxTerms) -> TaxTerms:
    """What the bill is invoiced as: what is given, else what it has (or the defaults)."""
    return TaxTerms(
        seller_id=seller_id,
        tax_rate=given.tax_rate or base.tax_rate,
        tax_category_code=given.tax_category_code or base.tax_category_code,
        item_name=given.item_name or base.item_name,
    )


async def _lock_accounts(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, _Account]:
    if not ids:
        return {}
    connection = await session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        values: dict[str, Any] = {"lock_keys": [ledger.lock_key(i) for i in ids], "account_ids": ids}
    else:
        values = {"account_ids": ids}
    rows = (await connection.execute(_LOCK_ACCOUNTS[dialect], values)).all()
    for row in rows:
        ledger.check_lock_order(session, row[0], row[2])
    return {row[0]: _Account(deficit=row[1]) for row in rows}


async def upsert_bills(
    session: AsyncSession, bills: Sequence[BatchBill], defaults: TermDefaults
) -> list[BatchResult]:
    """Create or amend every bill of the call; one result per bill, in order."""
    results: list[BatchResult | None] = [_invalid(bill, n) for n, bill in enumerate(bills)]
    parsed = [try_parse_id(bill.account_id) for bill in bills]
    wanted = sorted({a for a, r in zip(parsed, results, strict=True) if a is not None and r is None})
    accounts = await _lock_accounts(session, wanted)
    connection = await session.connection()
    periods = sorted({bill.period for bill in bills})
    if accounts:
        stored = await connection.execute(_BILLS, {"account_ids": sorted(accounts), "periods": periods})
        for row in stored.all():
            amounts = BillAmounts(
                total_amount=row.total_amount,
                cash_amount=row.cash_amount,
                voucher_amount=row.voucher_amount,
                stored_value_card_amount=row.stored_value_card_amount,
            )
            terms = TaxTerms(row.seller_id, row.tax_rate, row.tax_category_code, row.item_name)
            accounts[row.account_id].bills[row.period] = _State(
                id=row.id,
                requested=row.requested_amount,
                amounts=amounts,
                terms=terms,
                stored=(amounts, terms),
            )
        kept = [held for owner in accounts.values() for held in owner.bills.values()]
        if kept:
            ids = [held.id for held in kept]
            locked = set((await connection.execute(_LOCKED_BILLS, {"bill_ids": ids})).scalars())
            for held in kept:
                held.locked = held.id in locked
    sellers, default_seller = await _sellers(session, bills)
    fresh = TaxTerms(
        default_seller or uuid.UUID(int=0), defaults.tax_rate, defaults.tax_category_code, defaults.item_name
    )

    deficit_events: list[tuple[uuid.UUID, str, dict[str, Any]]] = []
    deltas: dict[uuid.UUID, int] = {}
    for n, bill in enumerate(bills):
        if results[n] is not None:
            continue
        account_id = parsed[n]
        account = accounts.get(account_id) if account_id is not None else None
        if account is None or account_id is None:
            results[n] = _refused(bill, "not_found", "No such account.")
            continue
        given = bill.terms
        seller_id = try_parse_id(given.seller_id) if given.seller_id is not None else None
        if given.seller_id is not None and seller_id not in sellers:
            field_name = f"body.bills.{n}.seller_id"
            results[n] = _refused(bill, "not_found", f"No such seller: {given.seller_id}.", field_name)
            continue
        state = account.bills.get(bill.period)
        if state is None:
            if seller_id is None and default_seller is None:
                results[n] = _refused(bill, "not_found", "No default seller: run `invoicing migrate`.")
                continue
            terms = _terms(given, seller_id or fresh.seller_id, fresh)
            state = _State(
                id=uuid.uuid4(), requested=0, amounts=bill.amounts, terms=terms, stored=None, changed=True
            )
            account.bills[bill.period] = state
            outcome: Outcome = "created"
        else:
            terms = _terms(given, seller_id or state.terms.seller_id, state.terms)
            if terms != state.terms and state.locked:
                results[n] = _refused(bill, TaxTermsLocked.code, TaxTermsLocked.detail)
                continue
            if state.amounts == bill.amounts and terms == state.terms:
                outcome = "unchanged"
            else:
                over_before = _over_invoiced(state)
                state.amounts = bill.amounts
                state.terms = terms
                state.changed = True
                delta = _over_invoiced(state) - over_before
                if delta:
                    account.deficit += delta
                    deltas[account_id] = deltas.get(account_id, 0) + delta
                    deficit_events.append((account_id, *ledger.deficit_changed(account_id, account.deficit)))
                outcome = "updated"
        results[n] = BatchResult(
            account_id=bill.account_id, period=bill.period, ok=True, status=outcome, id=state.id
        )

    await _write(session, accounts, deltas, deficit_events)
    return [result for result in results if result is not None]


async def _write(
    session: AsyncSession,
    accounts: dict[uuid.UUID, _Account],
    deltas: dict[uuid.UUID, int],
    deficit_events: list[tuple[uuid.UUID, str, dict[str, Any]]],
) -> None:
    now = utcnow()
    created: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []
    for account_id, account in accounts.items():
        for period, state in account.bills.items():
            if not state.changed:
                continue
            columns = {
                "total_amount": state.amounts.total_amount,
                "cash_amount": state.amounts.cash_amount,
                "voucher_amount": state.amounts.voucher_amount,
                "stored_value_card_amount": state.amounts.stored_value_card_amount,
                **terms_columns(state.terms),
            }
            if state.stored is None:
                created.append(
                    {
                        "id": state.id,
                        "account_id": account_id,
                        "period": period,
                        "requested_amount": 0,
                        "created_at": now,
                        "updated_at": now,
                        **columns,
                    }
                )
            elif (state.amounts, state.terms) != state.stored:
                updated.append({"bill_id": state.id, "now": now, **columns})
    connection = await session.connection()
    if created:
        await connection.execute(insert(Bill), created)
    if updated:
        await connection.execute(_UPDATE_BILL, updated)
    moves = [{"account": account_id, "delta": delta} for account_id, delta in deltas.items() if delta]
    if moves:
        await connection.execute(_MOVE_DEFICIT, moves)
    if deficit_events:
        await events.record_for_accounts(session, deficit_events)
