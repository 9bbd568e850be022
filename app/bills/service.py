"""Bill rules: the billing engine's upsert (an amendment at any time) and the customer's reads."""

import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import BindParameter, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import ledger
from app.bills.models import Bill
from app.bills.schemas import BillOut
from app.core.errors import NotFound, ValidationFailed
from app.core.pagination import PageParams, keyset, paginate
from app.sellers.service import TaxTermsLocked, TermDefaults, resolve_terms, terms_of
from app.sellers.terms import TermsIn, terms_columns


@dataclass(frozen=True, slots=True)
class BillAmounts:
    total_amount: int
    cash_amount: int
    voucher_amount: int
    stored_value_card_amount: int


@dataclass(frozen=True, slots=True)
class BillFilters:
    invoiceable: bool | None = None
    period_from: str | None = None
    period_to: str | None = None


def period_label(period: str) -> str:
    """The label of the bill of `period` (on request lines)."""
    return f"Bill {period}"


def bill_out(bill: Bill) -> BillOut:
    return BillOut(
        id=bill.id,
        period=bill.period,
        total_amount=bill.total_amount,
        cash_amount=bill.cash_amount,
        voucher_amount=bill.voucher_amount,
        stored_value_card_amount=bill.stored_value_card_amount,
        requested_amount=bill.requested_amount,
        invoiceable_amount=bill.invoiceable_amount,
        over_invoiced_amount=bill.over_invoiced_amount,
        seller_id=bill.seller_id,
        tax_rate=bill.tax_rate,
        tax_category_code=bill.tax_category_code,
        item_name=bill.item_name,
        created_at=bill.created_at,
        updated_at=bill.updated_at,
    )


async def _locked_bill(session: AsyncSession, account_id: uuid.UUID, period: str) -> Bill | None:
    # FOR UPDATE after the account's row (app/accounts/ledger.py): a request being created or
    # released over this bill either sees our new amounts or we see its requested amount.
    stmt = (
        select(Bill)
        .where(Bill.account_id == account_id, Bill.period == period)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def upsert_bill(
    session: AsyncSession,
    account_id: uuid.UUID,
    period: str,
    amounts: BillAmounts,
    given: TermsIn,
    defaults: TermDefaults,
) -> tuple[Bill, bool]:
    """Create or amend the account's bill for `period`; returns (bill, created).

    An amendment never takes back an amount already requested: when the new cash part is below
    it, the difference is over-invoiced and the account's invoice deficit grows by it. Tax terms
    left out keep the bill's (a new bill's: `defaults` and the default seller); changing them while
    an amount of the bill is in an active request is 409 `tax_terms_locked`.
    """
    parts = amounts.cash_amount + amounts.voucher_amount + amounts.stored_value_card_amount
    if amounts.total_amount != parts:
        raise ValidationFailed(
            "body.total_amount", "must equal cash_amount + voucher_amount + stored_value_card_amount"
        )
    await ledger.lock_account(session, account_id)  # 404 for an unknown account
    bill = await _locked_bill(session, account_id, period)
    terms = await resolve_terms(session, given, defaults, None if bill is None else terms_of(bill))
    if bill is None:
        # The account's lock serializes upserts of its bills: no other PUT can create this period now.
        bill = Bill(
            account_id=account_id,
            period=period,
            requested_amount=0,
            **_columns(amounts),
            **terms_columns(terms),
        )
        session.add(bill)
        await session.flush()
        await session.refresh(bill)
        return bill, True
    if terms != terms_of(bill):
        if await ledger.in_active_request(session, "bill", bill.id):
            raise TaxTermsLocked()
        for name, value in terms_columns(terms).items():
            setattr(bill, name, value)
    over_before = bill.over_invoiced_amount
    for name, value in _columns(amounts).items():
        setattr(bill, name, value)
    await session.flush()
    await session.refresh(bill)  # the invoiceable and over-invoiced amounts, from the database
    await ledger.move_deficit(session, account_id, bill.over_invoiced_amount - over_before)
    return bill, False


def _columns(amounts: BillAmounts) -> dict[str, Any]:
    return {
        "total_amount": amounts.total_amount,
        "cash_amount": amounts.cash_amount,
        "voucher_amount": amounts.voucher_amount,
        "stored_value_card_amount": amounts.stored_value_card_amount,
    }


def customer_bills(account_id: uuid.UUID | BindParameter[uuid.UUID]) -> Select[Bill]:
    """Every customer read of bills starts here, so the tenant filter cannot be forgotten."""
    return select(Bill).where(Bill.account_id == account_id)


_BILL_COLUMNS = (
    Bill.id,
    Bill.period,
    Bill.total_amount,
    Bill.cash_amount,
    Bill.voucher_amount,
    Bill.stored_value_card_amount,
    Bill.requested_amount,
    Bill.invoiceable_amount.label("invoiceable_amount"),
    Bill.over_invoiced_amount.label("over_invoiced_amount"),
    Bill.seller_id,
    Bill.tax_rate,
    Bill.tax_category_code,
    Bill.item_name,
    Bill.created_at,
    Bill.updated_at,
)
_KEYS = (Bill.period, Bill.id)
_OUT_LIST = TypeAdapter(list[BillOut])


@lru_cache(maxsize=64)
def _list_statement(invoiceable: bool | None, period_from: bool, period_to: bool, after: bool) -> Select[Any]:
    """One statement per combination of filters, built on first use; only bound values vary."""
    stmt = select(*_BILL_COLUMNS).where(Bill.account_id == bindparam("account_id"))
    if invoiceable is True:
        stmt = stmt.where(Bill.invoiceable_amount > 0)
    elif invoiceable is False:
        stmt = stmt.where(Bill.invoiceable_amount == 0)
    if period_from:
        stmt = stmt.where(Bill.period >= bindparam("period_from"))
    if period_to:
        stmt = stmt.where(Bill.period <= bindparam("period_to"))
    return keyset(stmt, *_KEYS, after=after)


async def list_bills(
    session: AsyncSession, account_id: uuid.UUID, filters: BillFilters, params: PageParams
) -> tuple[list[BillOut], bool, str | None]:
    """The customer's bills, newest period first, as responses (plain columns, one validation)."""
    stmt = _list_statement(
        filters.invoiceable,
        filters.period_from is not None,
        filters.period_to is not None,
        params.cursor is not None,
    )
    values = {
        "account_id": account_id,
        "period_from": filters.period_from,
        "period_to": filters.period_to,
    }
    connection = await session.connection()  # plain columns: no ORM result machinery
    rows, has_more, cursor = await paginate(connection, stmt, params, *_KEYS, values=values)
    bills = _OUT_LIST.validate_python([row._mapping for row in rows])
    return bills, has_more, cursor


async def get_bill(session: AsyncSession, account_id: uuid.UUID, bill_id: uuid.UUID) -> Bill:
    bill = (await session.execute(customer_bills(account_id).where(Bill.id == bill_id))).scalar_one_or_none()
    if bill is None:
        raise NotFound("No such bill.")
    return bill
