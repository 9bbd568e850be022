"""The invoiceable summary: the figure beside "Request Now" and why a request would be refused."""

import uuid
from typing import Literal

from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import get_account
from app.addresses.models import MailingAddress
from app.bills.models import Bill
from app.cards.models import StoredValueCard
from app.certification.models import Certification
from app.core.money import MoneyOut
from app.core.schemas import ResponseModel
from app.profiles.models import InvoiceProfile
from app.profiles.rules import is_usable

Blocker = Literal[
    "certification_required",
    "cash_balance_not_positive",
    "no_usable_profile",
    "no_address",
    "nothing_invoiceable",
]


class ItemTotals(ResponseModel):
    count: int = Field(ge=0, description="Items with something left to invoice")
    amount: MoneyOut = Field(description="What is left to invoice on them")


class InvoiceableSummaryOut(ResponseModel):
    invoiceable_amount: MoneyOut = Field(description="bills.amount + stored_value_cards.amount")
    bills: ItemTotals
    stored_value_cards: ItemTotals
    cash_balance: MoneyOut
    can_request: bool = Field(description="True when there are no blockers")
    blockers: list[Blocker] = Field(
        max_length=5, description="Why an invoice request would be refused now, in the order checked"
    )


async def _bill_totals(session: AsyncSession, account_id: uuid.UUID) -> ItemTotals:
    remaining = Bill.cash_amount - Bill.requested_amount
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(remaining), 0)).where(
                Bill.account_id == account_id, remaining > 0
            )
        )
    ).one()
    return ItemTotals(count=int(row[0]), amount=int(row[1]))


async def _card_totals(session: AsyncSession, account_id: uuid.UUID) -> ItemTotals:
    remaining = StoredValueCard.paid_amount - StoredValueCard.requested_amount
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(remaining), 0)).where(
                StoredValueCard.account_id == account_id, remaining > 0
            )
        )
    ).one()
    return ItemTotals(count=int(row[0]), amount=int(row[1]))


async def _has_usable_profile(
    session: AsyncSession, account_id: uuid.UUID, certification: Certification | None
) -> bool:
    if certification is None:
        return False  # a profile's header can only match a certification
    # Narrow by header in SQL; the full usability rule stays in app/profiles/rules.py.
    profiles = (
        await session.execute(
            select(InvoiceProfile).where(
                InvoiceProfile.account_id == account_id,
                InvoiceProfile.deleted_at.is_(None),
                InvoiceProfile.title == certification.enterprise_name,
                InvoiceProfile.taxpayer_id == certification.taxpayer_id,
            )
        )
    ).scalars()
    return any(is_usable(profile, certification) for profile in profiles)


async def _has_address(session: AsyncSession, account_id: uuid.UUID) -> bool:
    stmt = (
        select(MailingAddress.id)
        .where(MailingAddress.account_id == account_id, MailingAddress.deleted_at.is_(None))
        .limit(1)
    )
    return (await session.execute(stmt)).first() is not None


async def invoiceable_summary(
    session: AsyncSession, account_id: uuid.UUID, *, require_positive_cash_balance: bool
) -> InvoiceableSummaryOut:
    """A constant number of queries however many bills, cards or profiles the account has."""
    account = await get_account(session, account_id)
    bills = await _bill_totals(session, account_id)
    cards = await _card_totals(session, account_id)
    certification = await session.get(Certification, account_id)
    total = bills.amount + cards.amount

    # Every blocker that applies, in the order an invoice request checks them.
    blockers: list[Blocker] = []
    if certification is None:
        blockers.append("certification_required")
    if require_positive_cash_balance and account.cash_balance <= 0:
        blockers.append("cash_balance_not_positive")
    if not await _has_usable_profile(session, account_id, certification):
        blockers.append("no_usable_profile")
    if not await _has_address(session, account_id):
        blockers.append("no_address")
    if total == 0:
        blockers.append("nothing_invoiceable")
    return InvoiceableSummaryOut(
        invoiceable_amount=total,
        bills=bills,
        stored_value_cards=cards,
        cash_balance=account.cash_balance,
        can_request=not blockers,
        blockers=blockers,
    )
