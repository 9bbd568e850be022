"""Getting invoices to the customer by email: the delivery job, and the paper/rejection notices.

Delivering an electronic request writes, in the same transaction, a job of kind
`invoice_request.email` (the `invoice_delivered` message with every PDF, OFD and XML file of its
invoices attached) and the request's `delivery` (`queued`). The worker sends it to the snapshot's
`email` and `cc_emails` (or a resend's address), then records `sent` in the transaction that
finishes the job, or the try's error; after the last try `failed` and an
`invoice_request.delivery_failed` event. Only the job named in `delivery.job_id` updates it, so a
resend takes over the request's delivery status from an earlier job still retrying.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import ledger
from app.core.auth import AuthContext, Role
from app.core.clock import utcnow
from app.core.money import format_money
from app.events import service as events
from app.mail.jobs import send_payload
from app.mail.message import Attachment
from app.mail.service import enqueue_mail, mail_payload
from app.requests.filetypes import FileFormat
from app.requests.models import Invoice, InvoiceFile, InvoiceRequest
from app.requests.queries import event_data, get_request
from app.requests.storage import READ_ATTEMPTS, STORAGES
from app.worker.queue import enqueue
from app.worker.registry import JobContext, registry

DELIVERY_JOB = "invoice_request.email"
# The service itself reads the request as finance would (every account), e.g. for events.
SYSTEM = AuthContext(key_id=uuid.UUID(int=0), role=Role.finance, account_id=None)


def recipients(address_snapshot: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(to, cc) for a request's address snapshot: its email, then its cc_emails."""
    email = address_snapshot.get("email")
    to = [email] if email else []
    cc = [address for address in address_snapshot.get("cc_emails") or [] if address not in to]
    return to, cc


def _context(request: InvoiceRequest) -> dict[str, Any]:
    """What the messages about a request say, captured when they are enqueued."""
    return {
        "request_id": str(request.id),
        "recipient": request.address_snapshot.get("recipient", ""),
        "invoice_type": request.invoice_type,
        "title": request.profile_snapshot.get("title", ""),
        "amount": format_money(request.amount),
        "address": request.address_snapshot.get("address"),
        "invoices": [
            {"number": invoice.number, "amount": format_money(invoice.amount)} for invoice in request.invoices
        ],
    }


async def queue_email_delivery(
    session: AsyncSession, request: InvoiceRequest, to: Sequence[str], cc: Sequence[str] = ()
) -> dict[str, Any]:
    """Enqueue the invoices' email and set the request's `delivery` to queued (caller's
    transaction); returns the new `delivery`."""
    payload = mail_payload("invoice_delivered", to, _context(request), cc)
    payload["request_id"] = str(request.id)
    job_id = await enqueue(session, DELIVERY_JOB, payload)
    delivery = {
        "channel": "email",
        "to": [*payload["to"], *payload["cc"]],
        "status": "queued",
        "attempts": 0,
        "last_error": None,
        "sent_at": None,
        "job_id": job_id,
    }
    await session.execute(
        update(InvoiceRequest)
        .where(InvoiceRequest.id == request.id)
        .values(delivery=delivery)
        .execution_options(synchronize_session=False)
    )
    return delivery


async def announce_paper_shipment(
    session: AsyncSession, request: InvoiceRequest, carrier: str | None, tracking_number: str | None
) -> None:
    to, cc = recipients(request.address_snapshot)
    if to:  # a paper address may have no email: nothing to announce to
        context = {**_context(request), "carrier": carrier, "tracking_number": tracking_number}
        await enqueue_mail(session, "paper_shipped", to, context, cc=cc)


async def announce_rejection(session: AsyncSession, request: InvoiceRequest, reason: str) -> None:
    to, cc = recipients(request.address_snapshot)
    if to:
        await enqueue_mail(session, "request_rejected", to, {**_context(request), "reason": reason}, cc=cc)


async def announce_red_letter_awaited(
    session: AsyncSession, request: InvoiceRequest, reason: str, expires_at: str
) -> None:
    """Ask the customer to confirm or decline a reversal by its deadline."""
    to, cc = recipients(request.address_snapshot)
    if to:
        context = {**_context(request), "reason": reason, "expires_at": expires_at}
        await enqueue_mail(session, "red_letter_confirmation", to, context, cc=cc)


async def announce_reversal(
    session: AsyncSession,
    request: InvoiceRequest,
    red_invoices: Sequence[dict[str, str]],
    replacement_id: uuid.UUID | None,
) -> None:
    """Tell the customer its invoices were reversed, with the red-letter numbers (and that the
    replacing request, if one is active, is issued next)."""
    to, cc = recipients(request.address_snapshot)
    if to:
        context = {
            **_context(request),
            "red_invoices": list(red_invoices),
            "replaced_by_request_id": str(replacement_id) if replacement_id else None,
        }
        await enqueue_mail(session, "reversal_completed", to, context, cc=cc)


# --- the job ---------------------------------------------------------------------------------


async def _attachments(ctx: JobContext) -> list[Attachment]:
    """Every file of the request's invoices, by invoice then pdf, ofd, xml: the files as they are
    when the job runs. A file replaced while they are read (its bytes gone under the listed key)
    makes the job read them all again, so a mail never mixes an old file with new ones."""
    for _attempt in range(READ_ATTEMPTS):
        attachments = await _read_attachments(ctx)
        if attachments is not None:
            return attachments
    raise RuntimeError("the invoice files kept changing while the mail was assembled; the job retries")


async def _read_attachments(ctx: JobContext) -> list[Attachment] | None:
    request_id = uuid.UUID(ctx.payload["request_id"])
    order = {file_format.value: position for position, file_format in enumerate(FileFormat)}
    async with ctx.database.read_session() as session:
        rows = (
            await session.execute(
                select(
                    Invoice.number,
                    Invoice.position,
                    InvoiceFile.format,
                    InvoiceFile.content_type,
                    InvoiceFile.storage,
                    InvoiceFile.storage_key,
                )
                .join(Invoice, Invoice.id == InvoiceFile.invoice_id)
                .where(Invoice.request_id == request_id)
            )
        ).all()
        attachments = []
        for row in sorted(rows, key=lambda row: (row.position, order[row.format])):
            data = await STORAGES[row.storage].load(session, row.storage_key)
            if data is None:
                return None  # replaced since the listing: read them all again
            attachments.append(Attachment(f"{row.number}.{row.format}", row.content_type, data))
    return attachments


@registry.job(DELIVERY_JOB)
async def send_invoices(ctx: JobContext) -> None:
    await send_payload(ctx, await _attachments(ctx))


async def _own_delivery(
    session: AsyncSession, ctx: JobContext
) -> tuple[InvoiceRequest, dict[str, Any]] | None:
    """The request and its delivery, locked, if this job is still the one it follows."""
    request = (
        await session.execute(
            select(InvoiceRequest)
            .where(InvoiceRequest.id == uuid.UUID(ctx.payload["request_id"]))
            .with_for_update()
        )
    ).scalar_one_or_none()
    if request is None or not request.delivery or request.delivery.get("job_id") != ctx.job.id:
        return None
    return request, dict(request.delivery)


async def _record(session: AsyncSession, request: InvoiceRequest, delivery: dict[str, Any]) -> None:
    await session.execute(
        update(InvoiceRequest)
        .where(InvoiceRequest.id == request.id)
        .values(delivery=delivery, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


@send_invoices.on_success
async def _sent(session: AsyncSession, ctx: JobContext) -> None:
    owned = await _own_delivery(session, ctx)
    if owned is None:
        return
    request, delivery = owned
    delivery.update(status="sent", attempts=ctx.job.attempts, last_error=None, sent_at=utcnow().isoformat())
    await _record(session, request, delivery)


_ACCOUNT_OF = select(InvoiceRequest.account_id).where(InvoiceRequest.id == bindparam("request_id"))


@send_invoices.on_failure
async def _failed(session: AsyncSession, ctx: JobContext, error: str, final: bool) -> None:
    if final:
        # The last try writes an event: the account's lock comes first (then the request), as in
        # every change of the account (app/accounts/ledger.py).
        request_id = uuid.UUID(ctx.payload["request_id"])
        account_id = (await session.execute(_ACCOUNT_OF, {"request_id": request_id})).scalar_one_or_none()
        if account_id is not None:
            await ledger.lock_account(session, account_id)
    owned = await _own_delivery(session, ctx)
    if owned is None:
        return
    request, delivery = owned
    delivery.update(attempts=ctx.job.attempts, last_error=error[:500])
    if final:
        delivery["status"] = "failed"
    await _record(session, request, delivery)
    if final:
        await session.flush()
        out = await get_request(session, SYSTEM, request.id)
        await events.record(session, "invoice_request.delivery_failed", request.account_id, event_data(out))
