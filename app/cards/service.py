"""Stored-value card rules: purchases and refunds recorded by the billing engine, customer reads."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BindParameter, Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import ledger
from app.accounts.service import get_account
from app.cards.models import StoredValueCard, StoredValueCardRefund
from app.cards.schemas import CardOut
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.money import format_money
from app.core.pagination import PageParams, keyset, paginate
from app.sellers.service import TermDefaults, resolve_terms
from app.sellers.terms import TermsIn


class DuplicateCard(Conflict):
    code = "duplicate_card"
    detail = "This account already has a stored-value card with this card_no."


@dataclass(frozen=True, slots=True)
class CardPurchase:
    card_no: str
    face_value: int
    paid_amount: int
    purchased_at: datetime


@dataclass(frozen=True, slots=True)
class CardRefund:
    amount: int
    reason: str | None


def card_no_label(card_no: str) -> str:
    """The label of the card `card_no` (on request lines)."""
    return f"Stored-value card {card_no}"


def card_out(card: StoredValueCard) -> CardOut:
    return CardOut(
        id=card.id,
        card_no=card.card_no,
        face_value=card.face_value,
        paid_amount=card.paid_amount,
        refunded_amount=card.refunded_amount,
        purchased_at=card.purchased_at,
        requested_amount=card.requested_amount,
        invoiceable_amount=card.invoiceable_amount,
        over_invoiced_amount=card.over_invoiced_amount,
        seller_id=card.seller_id,
        tax_rate=card.tax_rate,
        tax_category_code=card.tax_category_code,
        item_name=card.item_name,
        created_at=card.created_at,
    )


async def record_purchase(
    session: AsyncSession,
    account_id: uuid.UUID,
    purchase: CardPurchase,
    given: TermsIn,
    defaults: TermDefaults,
) -> StoredValueCard:
    """Record a purchase; tax terms left out are the defaults (and the default seller)."""
    await get_account(session, account_id)
    terms = await resolve_terms(session, given, defaults)
    card = StoredValueCard(
        account_id=account_id,
        card_no=purchase.card_no,
        face_value=purchase.face_value,
        paid_amount=purchase.paid_amount,
        refunded_amount=0,
        requested_amount=0,
        purchased_at=purchase.purchased_at,
        seller_id=terms.seller_id,
        tax_rate=terms.tax_rate,
        tax_category_code=terms.tax_category_code,
        item_name=terms.item_name,
    )
    try:
        async with session.begin_nested():
            session.add(card)
            await session.flush()
    except IntegrityError:
        raise DuplicateCard() from None
    await session.refresh(card)  # the invoiceable and over-invoiced amounts, from the database
    return card


async def record_refund(
    session: AsyncSession, account_id: uuid.UUID, card_id: uuid.UUID, refund: CardRefund
) -> StoredValueCard:
    """Record a refund of part of what was paid for the card. Its base (paid less refunded) drops;
    an amount already requested is never taken back, so what was requested beyond the new base
    becomes over-invoiced and the account's invoice deficit grows by it."""
    await ledger.lock_account(session, account_id)  # 404 for an unknown account
    stmt = (
        customer_cards(account_id)
        .where(StoredValueCard.id == card_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    card = (await session.execute(stmt)).scalar_one_or_none()
    if card is None:
        raise NotFound("No such stored-value card.")
    refundable = card.paid_amount - card.refunded_amount
    if refund.amount > refundable:
        raise ValidationFailed(
            "body.amount", f"must not exceed what is left to refund ({format_money(refundable)})"
        )
    over_before = card.over_invoiced_amount
    card.refunded_amount += refund.amount
    session.add(StoredValueCardRefund(card_id=card.id, amount=refund.amount, reason=refund.reason))
    await session.flush()
    await session.refresh(card)
    await ledger.move_deficit(session, account_id, card.over_invoiced_amount - over_before)
    return card


def customer_cards(account_id: uuid.UUID | BindParameter[uuid.UUID]) -> Select[StoredValueCard]:
    """Every customer read of cards starts here, so the tenant filter cannot be forgotten."""
    return select(StoredValueCard).where(StoredValueCard.account_id == account_id)


async def list_cards(
    session: AsyncSession, account_id: uuid.UUID, invoiceable: bool | None, params: PageParams
) -> tuple[list[StoredValueCard], bool, str | None]:
    stmt = customer_cards(account_id)
    if invoiceable is True:
        stmt = stmt.where(StoredValueCard.invoiceable_amount > 0)
    elif invoiceable is False:
        stmt = stmt.where(StoredValueCard.invoiceable_amount == 0)
    keys = (StoredValueCard.created_at, StoredValueCard.id)
    return await paginate(session, keyset(stmt, *keys, after=params.cursor is not None), params, *keys)


async def get_card(session: AsyncSession, account_id: uuid.UUID, card_id: uuid.UUID) -> StoredValueCard:
    stmt = customer_cards(account_id).where(StoredValueCard.id == card_id)
    card = (await session.execute(stmt)).scalar_one_or_none()
    if card is None:
        raise NotFound("No such stored-value card.")
    return card
