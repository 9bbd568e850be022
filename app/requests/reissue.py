"""Re-issue (换开, SPEC §7): reverse a request's invoices and request the same again, in one
transaction.

The replacing request holds the replaced request's lines as they are: no item's requested amount
moves, so no racing request can take any of it. While the replaced request is `reversing` the two
hold the same amounts once (app/requests/lifecycle.py `_held_by_partner`): the replacement counts,
and whichever of the two ends first leaves them to the other. The replacement is issued only once
the replaced request is `reversed`; a declined or expired reversal cancels it (red_letter.py).
"""

import uuid
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.addresses.models import MailingAddress
from app.addresses.service import live_address
from app.bills.models import Bill
from app.cards.models import StoredValueCard
from app.certification.models import Certification
from app.core.auth import AuthContext
from app.core.errors import NotFound
from app.core.ids import try_parse_id
from app.core.retry import retry_conflict_once
from app.profiles.models import InvoiceProfile
from app.profiles.service import live_profile
from app.requests import create, red_letter
from app.requests.lifecycle import finish, load_for_move
from app.requests.models import InvoiceRequest, InvoiceRequestItem
from app.requests.reservations import Line
from app.requests.schemas import InvoiceRequestOut
from app.requests.states import Move
from app.sellers.terms import TaxTerms

Row = TypeVar("Row", InvoiceProfile, MailingAddress)


@retry_conflict_once
async def reissue(
    session: AsyncSession,
    auth: AuthContext,
    request_id: uuid.UUID,
    *,
    profile_id: str | None,
    address_id: str | None,
    reason: str,
    confirm_hours: int,
    sla_business_days: int,
) -> InvoiceRequestOut:
    """Start the reversal of an issued or delivered request (`issue_error`) and create its pending
    replacement, with the chosen (or the same) profile and address, which must be usable (404,
    409 `profile_not_usable`, 422 `address_incomplete`, as creation). Returns the replacement."""
    old = await load_for_move(session, auth, request_id, Move.reissue)
    account_id = old.account_id
    profile = await _live(
        session,
        InvoiceProfile,
        lambda wanted: live_profile(account_id, wanted),
        profile_id,
        old.profile_id,
        "invoice profile",
    )
    address = await _live(
        session,
        MailingAddress,
        lambda wanted: live_address(account_id, wanted),
        address_id,
        old.address_id,
        "mailing address",
    )
    certification = (
        await session.execute(select(Certification).where(Certification.account_id == old.account_id))
    ).scalar_one_or_none()
    create.check_usable(profile, certification, address)
    lines = await _lines(session, old)
    replacement = await create.insert_replacement(session, old, profile, address, lines, sla_business_days)
    moved = await red_letter.start_reversal(
        session,
        auth.role.value,
        old,
        reason=reason,
        reason_code="issue_error",
        buyer_usage=None,
        confirm_hours=confirm_hours,
        replaced_by=replacement.id,
    )
    await finish(session, auth, moved, "invoice_request.reversing")
    return replacement


async def _live(
    session: AsyncSession,
    model: type[Row],
    live: Callable[[uuid.UUID], ColumnElement[bool]],
    given: str | None,
    same: uuid.UUID,
    what: str,
) -> Row:
    """The account's live profile or address `given`, by default the replaced request's (`same`)."""
    wanted = same if given is None else try_parse_id(given)
    found = None
    if wanted is not None:
        found = (await session.execute(select(model).where(live(wanted)))).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No such {what}: {given or same}.")
    return found


async def _lines(session: AsyncSession, old: InvoiceRequest) -> list[Line]:
    """The replaced request's lines, as creation's `Line`s (with each item's period or number)."""
    item = InvoiceRequestItem
    rows = await session.execute(
        select(item.kind, item.bill_id, item.stored_value_card_id, item.label, item.amount, Bill.period)
        .add_columns(
            StoredValueCard.card_no, item.seller_id, item.tax_rate, item.tax_category_code, item.item_name
        )
        .outerjoin(Bill, Bill.id == item.bill_id)
        .outerjoin(StoredValueCard, StoredValueCard.id == item.stored_value_card_id)
        .where(item.request_id == old.id)
        .order_by(item.position)
    )
    lines = []
    for kind, bill_id, card_id, label, amount, period, card_no, *terms in rows:
        target = bill_id if kind == "bill" else card_id
        reference = period if kind == "bill" else card_no
        lines.append(Line(kind, target, label, amount, reference, TaxTerms(*terms)))
    return lines
