"""Red-letter reversal (红冲, SPEC §7): starting one, the buyer's answer or its expiry, and the
red-letter invoices that complete it.

`reverse` (finance) or a re-issue (the customer, app/requests/reissue.py) moves an issued or
delivered request to `reversing` with its `red_letter`. When the buyer has used the blue invoices
(`buyer_usage` not `none`) it must agree: the customer confirms or declines, and a job in the
database, due at `expires_at` and claimed with a lease like every job, returns the request to where
it was if nobody answered. Every change here is a move (app/requests/lifecycle.py): the account is
locked first and the status UPDATE is conditional, so of a decline, a confirmation and the expiry
racing, exactly one wins, and the expiry writes its `invoice_request.reversal_expired` event at most
once, in the transaction that finishes the job. Finance then records one red-letter invoice per blue
one (`negate`), and the request is `reversed`: its amounts are released by the release rules.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import ledger
from app.core.auth import AuthContext
from app.core.clock import utcnow
from app.core.errors import Conflict, ValidationFailed
from app.core.retry import retry_conflict_once
from app.profiles.rules import is_special
from app.requests import delivery
from app.requests.delivery import SYSTEM
from app.requests.draft import TaxedLine
from app.requests.lifecycle import (
    InvalidTransition,
    finish,
    insert_invoices,
    invoice_lines,
    load_for_move,
    load_locked,
    move_request,
    refuse_taken_numbers,
)
from app.requests.models import Invoice, InvoiceRequest
from app.requests.queries import CONFIRMED_NOTE, RED_INVOICES_NOTE
from app.requests.schemas import BuyerUsage, InvoiceRequestOut, ReasonCode, RedInvoiceIn
from app.requests.states import ACTIVE, Confirmation, Move, Status, confirmation_allows
from app.worker.queue import enqueue
from app.worker.registry import JobContext, registry

EXPIRY_JOB = "invoice_request.red_letter_expiry"


class RedLetterNotConfirmed(Conflict):
    code = "red_letter_not_confirmed"
    detail = (
        "The buyer has not confirmed the red-letter reversal yet: red-letter invoices can be recorded "
        "once it does (or when no confirmation is needed)."
    )


def default_buyer_usage(invoice_type: str) -> BuyerUsage:
    """Without a word from the tax platform or finance: a special invoice is taken to be deducted."""
    return "deducted" if is_special(invoice_type) else "none"


def negate(
    blue: Invoice, lines: Sequence[TaxedLine], *, number: str, issued_at: datetime, position: int
) -> tuple[Invoice, list[TaxedLine]]:
    """The red-letter invoice of `blue` and its lines: the same invoice with every amount negated,
    its three totals and each line's. The one place that mirrors a blue invoice."""
    red = Invoice(
        id=uuid.uuid4(),
        request_id=blue.request_id,
        position=position,
        number=number,
        amount=-blue.amount,
        amount_excluding_tax=-blue.amount_excluding_tax,
        tax_amount=-blue.tax_amount,
        issued_at=issued_at,
        file_url=None,
        created_at=utcnow(),
        blue_invoice_id=blue.id,
    )
    negated = [
        TaxedLine(
            item_name=line.item_name,
            tax_category_code=line.tax_category_code,
            tax_rate=line.tax_rate,
            amount=-line.amount,
            amount_excluding_tax=-line.amount_excluding_tax,
            tax_amount=-line.tax_amount,
        )
        for line in lines
    ]
    return red, negated


async def start_reversal(
    session: AsyncSession,
    actor_role: str,
    request: InvoiceRequest,
    *,
    reason: str,
    reason_code: ReasonCode,
    buyer_usage: BuyerUsage | None,
    confirm_hours: int,
    replaced_by: uuid.UUID | None = None,
    actor_name: str | None = None,
) -> dict[str, Any]:
    """Move an issued or delivered request (loaded with its invoices, its account locked) to
    `reversing` with its red letter; returns the row the move wrote. When the buyer must agree, the
    customer is mailed and the expiry job is written (both in the caller's transaction)."""
    usage = buyer_usage or default_buyer_usage(request.invoice_type)
    now = utcnow()
    awaiting = usage != "none"
    expires_at = now + timedelta(hours=confirm_hours) if awaiting else None
    letter = {
        "reason_code": reason_code,
        "reason": reason,
        "buyer_usage": usage,
        "confirmation": (Confirmation.awaiting_buyer if awaiting else Confirmation.not_required).value,
        "form_no": None,
        "requested_at": now.isoformat(),
        "expires_at": expires_at.isoformat() if expires_at else None,
        "returns_to": request.status,
    }
    values: dict[str, object] = {"red_letter": letter}
    if replaced_by is not None:
        values["replaced_by_request_id"] = replaced_by
    moved = await move_request(
        session, actor_role, request, Status.reversing, note=reason, values=values, actor_name=actor_name
    )
    if expires_at is not None:
        payload = {"request_id": str(request.id), "requested_at": letter["requested_at"]}
        await enqueue(session, EXPIRY_JOB, payload, run_after=expires_at)
        await delivery.announce_red_letter_awaited(session, request, reason, _shown(expires_at))
    return moved


def _shown(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


@retry_conflict_once
async def reverse(
    session: AsyncSession,
    auth: AuthContext,
    request_id: uuid.UUID,
    *,
    reason: str,
    reason_code: ReasonCode,
    buyer_usage: BuyerUsage | None,
    confirm_hours: int,
) -> InvoiceRequestOut:
    request = await load_for_move(session, auth, request_id, Move.reverse)
    moved = await start_reversal(
        session,
        auth.role.value,
        request,
        reason=reason,
        reason_code=reason_code,
        buyer_usage=buyer_usage,
        confirm_hours=confirm_hours,
        actor_name=auth.name,
    )
    return await finish(session, auth, moved, "invoice_request.reversing")


def _refuse_unless_awaited(move: Move, request: InvoiceRequest) -> dict[str, Any]:
    letter = dict(request.red_letter or {})
    confirmation = Confirmation(letter["confirmation"]) if letter else None
    if not confirmation_allows(move, confirmation):
        shown = confirmation.value if confirmation else "none"
        raise InvalidTransition(
            f"No answer of the buyer is awaited (confirmation is {shown}).",
            current_status=request.status,
        )
    return letter


@retry_conflict_once
async def confirm(
    session: AsyncSession, auth: AuthContext, request_id: uuid.UUID, form_no: str | None
) -> InvoiceRequestOut:
    """The buyer agrees (the customer answers for it): finance may record the red-letter invoices."""
    request = await load_for_move(session, auth, request_id, Move.confirm_red_letter)
    letter = _refuse_unless_awaited(Move.confirm_red_letter, request)
    letter.update(confirmation=Confirmation.confirmed.value, form_no=form_no)
    note = CONFIRMED_NOTE + (f"; red-letter confirmation form {form_no}" if form_no else "")
    moved = await move_request(
        session,
        auth.role.value,
        request,
        Status.reversing,
        note=note,
        values={"red_letter": letter},
        actor_name=auth.name,
    )
    return await finish(session, auth, moved, None)


@retry_conflict_once
async def decline(
    session: AsyncSession, auth: AuthContext, request_id: uuid.UUID, reason: str | None
) -> InvoiceRequestOut:
    """The buyer refuses: the request returns to where it was and its invoices stand."""
    request = await load_for_move(session, auth, request_id, Move.decline_red_letter)
    letter = _refuse_unless_awaited(Move.decline_red_letter, request)
    moved = await _return(session, auth.role.value, request, letter, Confirmation.declined, note=reason)
    return await finish(session, auth, moved, "invoice_request.reversal_declined")


async def _return(
    session: AsyncSession,
    actor_role: str,
    request: InvoiceRequest,
    letter: dict[str, Any],
    confirmation: Confirmation,
    *,
    note: str | None,
) -> dict[str, Any]:
    """Back to `issued` or `delivered`; a replacing request still active is cancelled by the
    service, the amounts staying with this request (they never left it: app/requests/lifecycle.py)."""
    letter["confirmation"] = confirmation.value
    target = Status(letter["returns_to"])
    moved = await move_request(session, actor_role, request, target, note=note, values={"red_letter": letter})
    replacement_id = request.replaced_by_request_id
    if replacement_id is not None:
        replacement = await load_locked(session, request.account_id, replacement_id, Move.cancel)
        if replacement is not None and Status(replacement.status) in ACTIVE:
            cancelled = await move_request(
                session,
                "system",
                replacement,
                Status.cancelled,
                note=f"The reversal of request {request.id} was {confirmation.value}",
            )
            await finish(session, SYSTEM, cancelled, "invoice_request.cancelled")
    return moved


@retry_conflict_once
async def record_red_invoices(
    session: AsyncSession, auth: AuthContext, request_id: uuid.UUID, invoices: Sequence[RedInvoiceIn]
) -> InvoiceRequestOut:
    """One red-letter invoice per blue one, each its blue invoice negated; then `reversed`."""
    request = await load_for_move(session, auth, request_id, Move.record_red_invoices)
    letter = request.red_letter or {}
    confirmation = Confirmation(letter["confirmation"]) if letter else None
    if not confirmation_allows(Move.record_red_invoices, confirmation):
        raise RedLetterNotConfirmed(confirmation=confirmation.value if confirmation else None)
    blues = _match_blues(request.invoices, invoices)
    await refuse_taken_numbers(session, [invoice.number for invoice in invoices])
    now = utcnow()
    blue_lines = await invoice_lines(session, blues)
    mirrored = [
        negate(
            blue,
            blue_lines[blue.id],
            number=invoice.number,
            issued_at=invoice.issued_at or now,
            position=position,
        )
        for position, (invoice, blue) in enumerate(zip(invoices, blues, strict=True))
    ]
    reds = [red for red, _ in mirrored]
    numbers = ", ".join(red.number for red in reds)
    moved = await move_request(
        session,
        auth.role.value,
        request,
        Status.reversed,
        note=RED_INVOICES_NOTE + numbers,
        actor_name=auth.name,
    )
    await insert_invoices(session, reds, [lines for _, lines in mirrored])
    replacement = await _active_replacement(session, request)
    shown = [
        {"number": red.number, "blue_number": blue.number} for red, blue in zip(reds, blues, strict=True)
    ]
    await delivery.announce_reversal(session, request, shown, replacement)
    return await finish(session, auth, moved, "invoice_request.reversed")


def _match_blues(blues: Sequence[Invoice], reds: Sequence[RedInvoiceIn]) -> list[Invoice]:
    """The blue invoice each red one names: every blue exactly once (422 naming the field else)."""
    by_number = {blue.number.lower(): blue for blue in blues}
    matched: list[Invoice] = []
    seen: set[str] = set()
    for index, red in enumerate(reds):
        key = red.blue_number.lower()
        field = f"body.invoices.{index}.blue_number"
        if key not in by_number:
            raise ValidationFailed(field, f"{red.blue_number} is not an issued invoice of this request")
        if key in seen:
            raise ValidationFailed(field, f"{red.blue_number} is reversed by another entry already")
        seen.add(key)
        matched.append(by_number[key])
    missing = [blue.number for blue in blues if blue.number.lower() not in seen]
    if missing:
        raise ValidationFailed(
            "body.invoices",
            f"every issued invoice needs its red-letter invoice; missing: {', '.join(missing)}",
        )
    return matched


async def _active_replacement(session: AsyncSession, request: InvoiceRequest) -> uuid.UUID | None:
    if request.replaced_by_request_id is None:
        return None
    status = (
        await session.execute(
            select(InvoiceRequest.status).where(InvoiceRequest.id == request.replaced_by_request_id)
        )
    ).scalar_one()
    return request.replaced_by_request_id if Status(status) in ACTIVE else None


# --- the expiry job --------------------------------------------------------------------------


@registry.job(EXPIRY_JOB, max_attempts=10)
async def _expiry_due(ctx: JobContext) -> None:
    """Nothing to do outside a transaction: the expiry is written by the hook below, in the
    transaction that finishes the job (a worker that lost its lease rolls it back)."""


@_expiry_due.on_success
async def _expire(session: AsyncSession, ctx: JobContext) -> None:
    request_id = uuid.UUID(ctx.payload["request_id"])
    account_id = (
        await session.execute(select(InvoiceRequest.account_id).where(InvoiceRequest.id == request_id))
    ).scalar_one_or_none()
    if account_id is None:
        return
    # The account's lock first, as in every move (app/accounts/ledger.py).
    await ledger.lock_account(session, account_id)
    request = await load_locked(session, account_id, request_id, Move.decline_red_letter)
    if request is None or request.status != Status.reversing.value or not request.red_letter:
        return  # answered, recorded, or a later reversal: this job's deadline is gone
    letter = dict(request.red_letter)
    if (
        letter.get("requested_at") != ctx.payload["requested_at"]
        or letter.get("confirmation") != Confirmation.awaiting_buyer.value
        or datetime.fromisoformat(letter["expires_at"]) > utcnow()
    ):
        return
    note = f"No answer by {_shown(datetime.fromisoformat(letter['expires_at']))} UTC"
    moved = await _return(session, "system", request, letter, Confirmation.expired, note=note)
    await finish(session, SYSTEM, moved, "invoice_request.reversal_expired")
