"""Moving invoice requests through their lifecycle, and giving amounts back when one ends.

Which moves exist and who may make them is decided by `states.MOVES` alone. A move is a
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
from typing import Any

from sqlalchemy import bindparam, case, func, insert, or_, select, update
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
from app.core.totals import TaxedAmounts, TaxedLineFields
from app.events import service as events
from app.profiles.rules import DIGITAL_NUMBER_DIGITS, DIGITAL_TYPES, is_electronic
from app.requests import delivery, draft, reservations
from app.requests.filetypes import invoices_missing_pdf
from app.requests.models import (
    Invoice,
    InvoiceFile,
    InvoiceLine,
    InvoiceRequest,
    InvoiceRequestEvent,
    InvoiceRequestItem,
)
from app.requests.queries import draft_lines, event_data, get_request, load_request, response_of
from app.requests.schemas import InvoiceIn, InvoiceRequestOut
from app.requests.scope import request_scope
from app.requests.states import (
    ACTIVE,
    MOVES,
    RELEASING,
    Move,
    Status,
    may_make,
    tracking_number_required,
)

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


class InvoiceLimitExceeded(DomainError):
    code = "invoice_limit_exceeded"
    status = 422
    detail = "An invoice exceeds the seller's max_invoice_amount."


class ReplacedRequestNotReversed(Conflict):
    code = "replaced_request_not_reversed"
    detail = (
        "This request replaces one whose invoices still stand: it can be issued once the replaced "
        "request is reversed (its red-letter invoices recorded)."
    )


class DuplicateInvoiceNumber(Conflict):
    code = "duplicate_invoice_number"
    detail = "An invoice with this number already exists."


@retry_conflict_once
async def cancel(session: AsyncSession, auth: AuthContext, request_id: uuid.UUID) -> InvoiceRequestOut:
    request = await load_for_move(session, auth, request_id, Move.cancel)
    moved = await move_request(
        session, auth.role.value, request, Status.cancelled, note=None, actor_name=auth.name
    )
    return await finish(session, auth, moved, "invoice_request.cancelled")


@retry_conflict_once
async def start(session: AsyncSession, auth: AuthContext, request_id: uuid.UUID) -> InvoiceRequestOut:
    request = await load_for_move(session, auth, request_id, Move.start)
    moved = await move_request(
        session, auth.role.value, request, Status.processing, note=None, actor_name=auth.name
    )
    return await finish(session, auth, moved, "invoice_request.processing")


@retry_conflict_once
async def issue(
    session: AsyncSession, auth: AuthContext, request_id: uuid.UUID, invoices: Sequence[InvoiceIn]
) -> InvoiceRequestOut:
    request = await load_for_move(session, auth, request_id, Move.issue)
    if request.replaces_request_id is not None:
        await refuse_until_replaced_is_reversed(session, request.replaces_request_id)
    total = sum(invoice.amount for invoice in invoices)
    if total != request.amount:
        raise ValidationFailed(
            "body.invoices",
            f"amounts sum to {format_money(total)}; "
            f"they must sum to the request's {format_money(request.amount)}",
        )
    _check_numbers(request.invoice_type, invoices)
    _check_limit(request.seller_snapshot, invoices)
    await refuse_taken_numbers(session, [invoice.number for invoice in invoices])
    # The draft's lines, cut at the given amounts: what each invoice carries from now on.
    lines = draft.group(draft_lines([_line_of(item) for item in request.items]))
    issued = draft.cut(lines, [invoice.amount for invoice in invoices])
    numbers = ", ".join(invoice.number for invoice in invoices)
    moved = await move_request(
        session, auth.role.value, request, Status.issued, note=f"Invoices {numbers}", actor_name=auth.name
    )
    now = utcnow()
    rows = [
        invoice_row(
            request.id,
            position,
            invoice.number,
            cut,
            issued_at=invoice.issued_at or now,
            file_url=invoice.file_url,
        )
        for position, (invoice, cut) in enumerate(zip(invoices, issued, strict=True))
    ]
    await insert_invoices(session, rows, [cut.lines for cut in issued])
    metrics.INVOICED_FEN.inc(request.amount)
    return await finish(session, auth, moved, "invoice_request.issued")


async def refuse_until_replaced_is_reversed(session: AsyncSession, replaced_id: uuid.UUID) -> None:
    # Same account, whose lock the move holds: the status read is current.
    replaced = (
        await session.execute(select(InvoiceRequest.status).where(InvoiceRequest.id == replaced_id))
    ).scalar_one()
    if replaced != Status.reversed.value:
        raise ReplacedRequestNotReversed(
            f"The replaced request {replaced_id} is {replaced}, not reversed.",
            replaces_request_id=str(replaced_id),
        )


@retry_conflict_once
async def deliver(
    session: AsyncSession,
    auth: AuthContext,
    request_id: uuid.UUID,
    carrier: str | None,
    tracking_number: str | None,
) -> InvoiceRequestOut:
    request = await load_for_move(session, auth, request_id, Move.deliver)
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
    moved = await move_request(
        session,
        auth.role.value,
        request,
        Status.delivered,
        note="; ".join(parts) or None,
        actor_name=auth.name,
        values={"carrier": carrier, "tracking_number": tracking_number},
    )
    if electronic:
        moved["delivery"] = await delivery.queue_email_delivery(session, request, to, cc)
    else:
        await delivery.announce_paper_shipment(session, request, carrier, tracking_number)
    return await finish(session, auth, moved, "invoice_request.delivered")


async def resend(
    session: AsyncSession, auth: AuthContext, request_id: uuid.UUID, email: str | None
) -> InvoiceRequestOut:
    """Email a delivered electronic request's invoices again (to `email`, or the snapshot's)."""
    request = await load_request(session, auth, request_id)
    if not may_make(Move.resend, Status(request.status), auth.role, request.invoice_type):
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
async def reject(
    session: AsyncSession, auth: AuthContext, request_id: uuid.UUID, reason: str
) -> InvoiceRequestOut:
    """End a pending or processing request for a reason, giving its items' amounts back."""
    request = await load_for_move(session, auth, request_id, Move.reject)
    moved = await move_request(
        session, auth.role.value, request, Status.rejected, note=reason, actor_name=auth.name
    )
    await delivery.announce_rejection(session, request, reason)
    return await finish(session, auth, moved, "invoice_request.rejected")


# What each move reads of the request beyond its row: the items when it gives their amounts back
# (or copies them), the invoices when a message lists them or red-letter invoices mirror them.
# Never its events: the response is read after the move.
_ITEMS, _INVOICES = selectinload(InvoiceRequest.items), selectinload(InvoiceRequest.invoices)
_LOADS = {
    Move.cancel: (_ITEMS,),
    Move.start: (),
    Move.issue: (_ITEMS,),  # the draft's lines, cut at the invoices' amounts
    Move.deliver: (_INVOICES,),
    Move.reject: (_ITEMS, _INVOICES),
    Move.reverse: (_INVOICES,),
    Move.reissue: (_ITEMS, _INVOICES),
    Move.confirm_red_letter: (),
    Move.decline_red_letter: (_ITEMS, _INVOICES),
    Move.record_red_invoices: (_ITEMS, _INVOICES),
}
_ACCOUNT_OF = select(InvoiceRequest.account_id).where(InvoiceRequest.id == bindparam("request_id"))


async def lock_account_of(session: AsyncSession, auth: AuthContext, request_id: uuid.UUID) -> uuid.UUID:
    """Lock the request's account (a customer's: its own) and return its id; 404 for no such request."""
    account_id = request_scope(auth).account_id  # a customer: only its own account's requests
    if account_id is None:
        found = (await session.execute(_ACCOUNT_OF, {"request_id": request_id})).scalar_one_or_none()
        if found is None:
            raise NotFound("No such invoice request.")
        account_id = found
    await ledger.lock_account(session, account_id)
    return account_id


async def load_locked(
    session: AsyncSession, account_id: uuid.UUID, request_id: uuid.UUID, move: Move
) -> InvoiceRequest | None:
    """The request of `account_id` (whose lock the caller holds) with what `move` reads."""
    return (
        await session.execute(
            select(InvoiceRequest)
            .options(*_LOADS[move])
            .where(InvoiceRequest.id == request_id, InvoiceRequest.account_id == account_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def load_for_move(
    session: AsyncSession, auth: AuthContext, request_id: uuid.UUID, move: Move
) -> InvoiceRequest:
    """The request, read once its account is locked: the one lock order of every move (the account,
    then the request, then its items; app/accounts/ledger.py), taken before anything gives the
    transaction an id. Moves of an account's requests are serialized, so the status read here is
    current; the conditional UPDATE in `move_request` still checks it."""
    account_id = await lock_account_of(session, auth, request_id)
    request = await load_locked(session, account_id, request_id, move)
    if request is None:
        raise NotFound("No such invoice request.")
    current = Status(request.status)
    if not may_make(move, current, auth.role, request.invoice_type):
        step = MOVES[move]
        where = step.target.value if step.target is not None else "the status it was in"
        raise InvalidTransition(
            f"A {current.value} invoice request cannot be moved to {where} ({move.value}).",
            current_status=current.value,
        )
    return request


async def move_request(
    session: AsyncSession,
    actor_role: str,
    request: InvoiceRequest,
    target: Status,
    *,
    note: str | None,
    values: dict[str, object] | None = None,
    actor_name: str | None = None,
) -> dict[str, Any]:
    """Make the move (and write `values` with it), signed by `actor_role` and the operator's name
    (`actor_name`, a named staff key's); returns the request's row as the UPDATE wrote
    it (the response is built from it, not read again)."""
    now = utcnow()
    written: dict[str, object] = {**(values or {}), "status": target.value, "updated_at": now}
    connection = await session.connection()
    moved = (
        await connection.execute(
            update(InvoiceRequest)
            .where(InvoiceRequest.id == request.id, InvoiceRequest.status == request.status)
            .values(written)
            .returning(*InvoiceRequest.__table__.c)
        )
    ).one_or_none()
    if moved is None:
        raise InvalidTransition("The invoice request was moved by someone else meanwhile; read it again.")
    session.add(
        InvoiceRequestEvent(
            request_id=request.id,
            status=target.value,
            actor_role=actor_role,
            actor_name=actor_name,
            note=note,
            at=now,
        )
    )
    if target in RELEASING and not await _held_by_partner(session, request):
        await reservations.release(session, request.account_id, request.items)
    return dict(moved._mapping)


async def _held_by_partner(session: AsyncSession, request: InvoiceRequest) -> bool:
    """A re-issue hands the amounts over without moving them: while the replaced request is being
    reversed its replacement holds the same lines, and only one of the two counts (the replacement
    while it is active). So a request that ends while its partner (the one it replaces, or the one
    replacing it) is still active leaves the amounts to it; nothing is given back."""
    partners = [p for p in (request.replaces_request_id, request.replaced_by_request_id) if p is not None]
    if not partners:
        return False
    active = await session.execute(
        select(InvoiceRequest.id).where(
            InvoiceRequest.id.in_(partners),
            InvoiceRequest.status.in_(sorted(status.value for status in ACTIVE)),
        )
    )
    return active.first() is not None


async def refuse_taken_numbers(session: AsyncSession, numbers: list[str]) -> None:
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


def _line_of(item: InvoiceRequestItem) -> dict[str, Any]:
    return {
        "item_name": item.item_name,
        "tax_category_code": item.tax_category_code,
        "tax_rate": item.tax_rate,
        "amount": item.amount,
    }


def _check_numbers(invoice_type: str, invoices: Sequence[InvoiceIn]) -> None:
    """Digital invoices (数电票) are numbered with 20 digits."""
    if invoice_type not in DIGITAL_TYPES:
        return
    for index, invoice in enumerate(invoices):
        if not (
            len(invoice.number) == DIGITAL_NUMBER_DIGITS
            and invoice.number.isascii()
            and invoice.number.isdigit()
        ):
            raise ValidationFailed(
                f"body.invoices.{index}.number",
                f"a {invoice_type} invoice number is {DIGITAL_NUMBER_DIGITS} digits",
            )


def _check_limit(seller: dict[str, Any], invoices: Sequence[InvoiceIn]) -> None:
    limit = seller.get("max_invoice_amount")
    if limit is None:
        return
    over = [index for index, invoice in enumerate(invoices) if invoice.amount > limit]
    if over:
        raise InvoiceLimitExceeded(
            f"An invoice of {seller['name']} may carry at most {format_money(limit)}.",
            max_invoice_amount=format_money(limit),
            errors=[
                {"field": f"body.invoices.{index}.amount", "message": f"exceeds {format_money(limit)}"}
                for index in over
            ],
        )


def invoice_row(
    request_id: uuid.UUID,
    position: int,
    number: str,
    totals: TaxedAmounts,
    *,
    issued_at: datetime,
    file_url: str | None = None,
) -> Invoice:
    """A blue invoice of a request, its totals those of its lines (the draft's cut, or as the tax
    platform issued them); inserted by `insert_invoices`."""
    return Invoice(
        id=uuid.uuid4(),
        request_id=request_id,
        position=position,
        number=number,
        amount=totals.amount,
        amount_excluding_tax=totals.amount_excluding_tax,
        tax_amount=totals.tax_amount,
        issued_at=issued_at,
        file_url=file_url,
        created_at=utcnow(),
    )


async def insert_invoices(
    session: AsyncSession, invoices: Sequence[Invoice], lines: Sequence[Sequence[TaxedLineFields]]
) -> None:
    """Insert issued (or red-letter) invoices, each with its lines; a number taken meanwhile is 409."""
    session.add_all(invoices)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        # Another request was issued with one of these numbers at the same moment.
        raise DuplicateInvoiceNumber() from None
    rows = [
        {
            "id": uuid.uuid4(),
            "invoice_id": row.id,
            "position": position,
            "item_name": line.item_name,
            "tax_category_code": line.tax_category_code,
            "tax_rate": line.tax_rate,
            "amount": line.amount,
            "amount_excluding_tax": line.amount_excluding_tax,
            "tax_amount": line.tax_amount,
        }
        for row, of_row in zip(invoices, lines, strict=True)
        for position, line in enumerate(of_row)
    ]
    await (await session.connection()).execute(insert(InvoiceLine), rows)  # one executemany


async def finish(
    session: AsyncSession, auth: AuthContext, moved: dict[str, Any], event_type: str | None
) -> InvoiceRequestOut:
    """The response, from the row the move wrote and the request's children (read once, after the
    move's own writes), and the move's event (none for a move the feed does not list)."""
    await session.flush()
    out = await response_of(session, moved, auth.role)
    if event_type is not None:
        actor = ("system" if auth is delivery.SYSTEM else auth.role.value, auth.name)
        await events.record(session, event_type, moved["account_id"], event_data(out), actor=actor)
    return out


_LINES_OF = (
    select(InvoiceLine)
    .where(InvoiceLine.invoice_id.in_(bindparam("invoice_ids", expanding=True)))
    .order_by(InvoiceLine.invoice_id, InvoiceLine.position)
)


async def invoice_lines(
    session: AsyncSession, invoices: Sequence[Invoice]
) -> dict[uuid.UUID, list[draft.TaxedLine]]:
    """The lines of the given invoices as they were issued, in order, by invoice id (one statement)."""
    found: dict[uuid.UUID, list[draft.TaxedLine]] = {invoice.id: [] for invoice in invoices}
    if not invoices:
        return found
    connection = await session.connection()
    for row in await connection.execute(_LINES_OF, {"invoice_ids": list(found)}):
        found[row.invoice_id].append(
            draft.TaxedLine(
                item_name=row.item_name,
                tax_category_code=row.tax_category_code,
                tax_rate=row.tax_rate,
                amount=row.amount,
                amount_excluding_tax=row.amount_excluding_tax,
                tax_amount=row.tax_amount,
            )
        )
    return found
