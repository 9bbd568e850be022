"""Moving invoice requests through their lifecycle, and giving amounts back when one ends.

Which moves exist and who may make them is decided by `states.TRANSITIONS` alone. A move is a
conditional `UPDATE … WHERE id = :id AND status = :expected`: of two racing moves, the database
lets exactly one through and the other is told 409 `invalid_transition`. Every move locks the
request's account first, then the request (the one lock order, app/accounts/ledger.py), so two
moves never deadlock; a deadlock or serialization failure PostgreSQL reports anyway is retried once
(`retry_conflict_once`) rather than answered 503.
"""

import math
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.accounts import ledger
from app.core import metrics
from app.core.auth import AuthContext
from app.core.clock import utcnow
from app.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from app.core.money import format_money
from app.core.retry import retry_conflict_once
from app.events import service as events
from app.profiles.rules import is_electronic
from app.requests import delivery, reservations
from app.requests.filetypes import invoices_missing_pdf
from app.requests.models import Invoice, InvoiceFile, InvoiceRequest, InvoiceRequestEvent
from app.requests.queries import event_data, get_request, load_request, response_of
from app.requests.schemas import InvoiceIn, InvoiceRequestOut
from app.requests.scope import request_scope
from app.requests.states import RELEASING, TARGET, Move, Status, may_act, may_move, tracking_number_required

RESENDS_PER_DAY = 5


class InvalidTransition(Conflict):
    code = "invalid_transition"
    detail = "The invoice request cannot make this move from its current status."


class InvoiceFileMissing(Conflict):
    code = "invoice_file_missing"
    detail = "Electronic invoices are delivered by email with their PDF: upload a pdf for every invoice."


class ResendLimit(DomainError):
    code = "rate_limited"
    status = 429
    detail = f"A request's invoices can be resent at most {RESENDS_PER_DAY} times a day (UTC)."


class DuplicateInvoiceNumber(Conflict):
    code = "duplicate_invoice_number"
    detail = "An invoice with this number already exists."


@retry_conflict_once
async def cancel(session: AsyncSession, auth: AuthContext, request_id: uuid.UUID) -> InvoiceRequestOut:
    request = await _load_for_move(session, auth, request_id, Status.cancelled)
    moved = await _move(session, auth, request, Status.cancelled, note=None)
    return await _finish(session, auth, moved, Status.cancelled)


@retry_conflict_once
async def start(session: AsyncSession, auth: AuthContext, request_id: uuid.UUID) -> InvoiceRequestOut:
    request = await _load_for_move(session, auth, request_id, Status.processing)
    moved = await _move(session, auth, request, Status.processing, note=None)
    return await _finish(session, auth, moved, Status.processing)


@retry_conflict_once
async def issue(
    session: AsyncSession, auth: AuthContext, request_id: uuid.UUID, invoices: Sequence[InvoiceIn]
) -> InvoiceRequestOut:
    request = await _load_for_move(session, auth, request_id, Status.issued)
    total = sum(invoice.amount for invoice in invoices)
    if total != request.amount:
        raise ValidationFailed(
            "body.invoices",
            f"amounts sum to {format_money(total)}; "
            f"they must sum to the request's {format_money(request.amount)}",
        )
    await _refuse_taken_numbers(session, [invoice.number for invoice in invoices])
    numbers = ", ".join(invoice.number for invoice in invoices)
    moved = await _move(session, auth, request, Status.issued, note=f"Invoices {numbers}")
    await _insert_invoices(session, request.id, invoices)
    metrics.INVOICED_FEN.inc(request.amount)
    return await _finish(session, auth, moved, Status.issued)


@retry_conflict_once
async def deliver(
    session: AsyncSession,
    auth: AuthContext,
    request_id: uuid.UUID,
    carrier: str | None,
    tracking_number: str | None,
) -> InvoiceRequestOut:
    request = await _load_for_move(session, auth, request_id, Status.delivered)
    if tracking_number_required(request.invoice_type) and tracking_number is None:
        raise ValidationFailed("body.tracking_number", "is required to deliver paper invoices")
    electronic = is_electronic(request.invoice_type)
    if electronic:
        missing = await _invoices_missing_pdf(session, request)
        if missing:
            raise InvoiceFileMissing(f"Invoice {missing[0]} has no pdf file yet.", invoices=missing)
    to, cc = delivery.recipients(request.address_snapshot)
    parts = []
    if electronic:
        parts.append(f"Emailed to {', '.join([*to, *cc])}")
    if carrier is not None:
        parts.append(f"Carrier: {carrier}")
    if tracking_number is not None:
        parts.append(f"Tracking number: {tracking_number}")
    moved = await _move(
        session,
        auth,
        request,
        Status.delivered,
        note="; ".join(parts) or None,
        carrier=carrier,
        tracking_number=tracking_number,
    )
    if electronic:
        moved["delivery"] = await delivery.queue_email_delivery(session, request, to, cc)
    else:
        await delivery.announce_paper_shipment(session, request, carrier, tracking_number)
    return await _finish(session, auth, moved, Status.delivered)


async def resend(
    session: AsyncSession, auth: AuthContext, request_id: uuid.UUID, email: str | None
) -> InvoiceRequestOut:
    """Email a delivered electronic request's invoices again (to `email`, or the snapshot's)."""
    request = await load_request(session, auth, request_id)
    if not may_act(Move.resend, Status(request.status), auth.role, request.invoice_type):
        raise InvalidTransition(
            "Only a delivered electronic invoice request can be resent.", current_status=request.status
        )
    await _count_resend(session, request.id)
    to, cc = ([email], []) if email is not None else delivery.recipients(request.address_snapshot)
    await delivery.queue_email_delivery(session, request, to, cc)
    await session.flush()
    return await get_request(session, auth, request.id)


async def _count_resend(session: AsyncSession, request_id: uuid.UUID) -> None:
    """At most RESENDS_PER_DAY per UTC day, decided by one conditional UPDATE (no race lets a 6th by)."""
    now = utcnow()
    today = now.date().isoformat()
    same_day = InvoiceRequest.resend_day == today
    result = await session.execute(
        update(InvoiceRequest)
        .where(
            InvoiceRequest.id == request_id,
            or_(
                InvoiceRequest.resend_day.is_(None),
                InvoiceRequest.resend_day != today,
                func.coalesce(InvoiceRequest.resend_count, 0) < RESENDS_PER_DAY,
            ),
        )
        .values(
            resend_day=today,
            resend_count=case((same_day, func.coalesce(InvoiceRequest.resend_count, 0) + 1), else_=1),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        tomorrow = datetime.combine(now.date() + timedelta(days=1), time(0), UTC)
        retry_after = max(1, math.ceil((tomorrow - now).total_seconds()))
        raise ResendLimit(headers={"Retry-After": str(retry_after)})


async def _invoices_missing_pdf(session: AsyncSession, request: InvoiceRequest) -> list[str]:
    rows = (
        await session.execute(
            select(Invoice.number, InvoiceFile.format)
            .outerjoin(InvoiceFile, InvoiceFile.invoice_id == Invoice.id)
            .where(Invoice.request_id == request.id)
            .order_by(Invoice.position)
        )
    ).all()
    invoices: dict[str, list[dict[str, str]]] = {}
    for number, file_format in rows:
        invoices.setdefault(number, [])
        if file_format is not None:
            invoices[number].append({"format": file_format})
    shaped = [{"number": number, "files": files} for number, files in invoices.items()]
    return invoices_missing_pdf(request.invoice_type, shaped)


@retry_conflict_once
async def end(
    session: AsyncSession,
    auth: AuthContext,
    request_id: uuid.UUID,
    move: Literal[Move.reject, Move.reverse],
    reason: str,
) -> InvoiceRequestOut:
    """Reject or reverse: end the request for a reason, giving its items' amounts back."""
    target = TARGET[move]
    request = await _load_for_move(session, auth, request_id, target)
    moved = await _move(session, auth, request, target, note=reason)
    if target is Status.rejected:
        await delivery.announce_rejection(session, request, reason)
    return await _finish(session, auth, moved, target)


# What each move reads of the request beyond its row: the items when it gives their amounts back,
# the invoices when a message lists them. Never its events: the response is read after the move.
_ITEMS, _INVOICES = selectinload(InvoiceRequest.items), selectinload(InvoiceRequest.invoices)
_LOADS = {
    Status.processing: (),
    Status.issued: (),
    Status.delivered: (_INVOICES,),
    Status.cancelled: (_ITEMS,),
    Status.rejected: (_ITEMS, _INVOICES),
    Status.reversed: (_ITEMS,),
}
_ACCOUNT_OF = select(InvoiceRequest.account_id).where(InvoiceRequest.id == bindparam("request_id"))


async def _load_for_move(
    session: AsyncSession, auth: AuthContext, request_id: uuid.UUID, target: Status
) -> InvoiceRequest:
    """The request, read once its account is locked: the one lock order of every move (the account,
    then the request, then its items; app/accounts/ledger.py), taken before anything gives the
    transaction an id. Moves of an account's requests are serialized, so the status read here is
    current; the conditional UPDATE in `_move` still checks it."""
    account_id = request_scope(auth).account_id  # a customer: only its own account's requests
    if account_id is None:
        found = (await session.execute(_ACCOUNT_OF, {"request_id": request_id})).scalar_one_or_none()
        if found is None:
            raise NotFound("No such invoice request.")
        account_id = found
    await ledger.lock_account(session, account_id)
    request = (
        await session.execute(
            select(InvoiceRequest)
            .options(*_LOADS[target])
            .where(InvoiceRequest.id == request_id, InvoiceRequest.account_id == account_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if request is None:
        raise NotFound("No such invoice request.")
    current = Status(request.status)
    if not may_move(current, target, auth.role):
        raise InvalidTransition(
            f"A {current.value} invoice request cannot be moved to {target.value}.",
            current_status=current.value,
        )
    return request


async def _move(
    session: AsyncSession,
    auth: AuthContext,
    request: InvoiceRequest,
    target: Status,
    *,
    note: str | None,
    carrier: str | None = None,
    tracking_number: str | None = None,
) -> dict[str, Any]:
    """Make the move; returns the request's row as the UPDATE wrote it (the response is built from
    it, not read again)."""
    now = utcnow()
    values: dict[str, object] = {"status": target.value, "updated_at": now}
    if target is Status.delivered:
        values.update(carrier=carrier, tracking_number=tracking_number)
    connection = await session.connection()
    moved = (
        await connection.execute(
            update(InvoiceRequest)
            .where(InvoiceRequest.id == request.id, InvoiceRequest.status == request.status)
            .values(values)
            .returning(*InvoiceRequest.__table__.c)
        )
    ).one_or_none()
    if moved is None:
        raise InvalidTransition("The invoice request was moved by someone else meanwhile; read it again.")
    session.add(
        InvoiceRequestEvent(
            request_id=request.id,
            status=target.value,
            actor_role=auth.role.value,
            actor_name=auth.name,
            note=note,
            at=now,
        )
    )
    if target in RELEASING:
        await reservations.release(session, request.account_id, request.items)
    return dict(moved._mapping)


async def _refuse_taken_numbers(session: AsyncSession, numbers: list[str]) -> None:
    """Every number given twice, else every number already taken: named in `numbers`, and each
    offending invoice of the body in `errors` (so a form shows it next to its field). Numbers are
    unique whatever their case (INV-1 is inv-1), as the unique index on lower(number)."""
    folded = [number.lower() for number in numbers]
    repeated = sorted({number for number in numbers if folded.count(number.lower()) > 1})
    if repeated:
        raise _duplicates(numbers, repeated, ("is given more than once", "are given more than once"))
    taken = sorted(
        (
            await session.execute(select(Invoice.number).where(func.lower(Invoice.number).in_(folded)))
        ).scalars()
    )
    if taken:
        raise _duplicates(numbers, taken, ("already exists", "already exist"))


def _duplicates(numbers: list[str], duplicated: list[str], why: tuple[str, str]) -> DuplicateInvoiceNumber:
    one, many = why
    if len(duplicated) == 1:
        detail = f"Invoice number {duplicated[0]} {one}."
    else:
        detail = f"Invoice numbers {', '.join(duplicated)} {many}."
    folded = {number.lower() for number in duplicated}
    errors = [
        {"field": f"body.invoices.{index}.number", "message": f"{number} {one}"}
        for index, number in enumerate(numbers)
        if number.lower() in folded
    ]
    return DuplicateInvoiceNumber(detail, numbers=duplicated, errors=errors)


async def _insert_invoices(
    session: AsyncSession, request_id: uuid.UUID, invoices: Sequence[InvoiceIn]
) -> None:
    now = utcnow()
    session.add_all(
        Invoice(
            id=uuid.uuid4(),
            request_id=request_id,
            position=position,
            number=invoice.number,
            amount=invoice.amount,
            issued_at=invoice.issued_at or now,
            file_url=invoice.file_url,
            created_at=now,
        )
        for position, invoice in enumerate(invoices)
    )
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        # Another request was issued with one of these numbers at the same moment.
        raise DuplicateInvoiceNumber() from None


async def _finish(
    session: AsyncSession, auth: AuthContext, moved: dict[str, Any], target: Status
) -> InvoiceRequestOut:
    """The response, from the row the move wrote and the request's children (read once, after the
    move's own writes), and the move's event."""
    await session.flush()
    out = await response_of(session, moved, auth.role)
    await events.record(
        session,
        f"invoice_request.{target.value}",
        moved["account_id"],
        event_data(out),
        actor=(auth.role.value, auth.name),
    )
    return out
