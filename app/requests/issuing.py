"""Issuing through the tax platform (SPEC §8): `issue` without numbers, the worker's job that submits
the draft's invoices (or a reversal's red-letter invoices) and records what the platform issued.

Finance's `POST …/{id}/issue` with an empty body moves a processing request to `issuing` and writes a
job of kind `invoice_request.tax_issue` in the same transaction. The job, claimed with a lease like
every job, submits each invoice under `serial_for(request, position, kind, round)` — the same serial
on every try, by whichever worker — polls the platform with growing pauses, then records numbers,
lines and files and moves the request in one transaction, conditional on the request still being
where the job left it; an electronic request is then delivered by email by the service. So a worker
killed anywhere, or a database that fails while recording, makes the job run again, and the platform
answers the same serials with the same invoices: nothing is issued twice, nothing is lost.

A refusal (`Refused`) puts the request back to `processing` with `issue_error` and an
`invoice_request.issue_failed` event, and counts a round: the next issuing uses new serials, except
for the invoices the platform already issued (`tax_issue.kept`), which are recorded, not re-submitted.
Transient failures (`TransientProviderError`, `MalformedAnswer`: an answer whose lines do not match
what was submitted is never recorded) are retried with the worker's growing pauses; after the last try
the request goes back the same way with `tax_platform_unavailable` or `malformed_answer`.
"""

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import ledger
from app.core import metrics
from app.core.auth import AuthContext
from app.core.clock import utcnow
from app.core.database import Database
from app.core.errors import Conflict
from app.core.money import parse_money
from app.core.retry import retry_conflict_once
from app.documents import DocumentLine, InvoiceDocument
from app.profiles.rules import is_electronic
from app.requests import delivery, files
from app.requests.delivery import SYSTEM
from app.requests.filetypes import FileFormat
from app.requests.lifecycle import (
    InvalidTransition,
    finish,
    insert_invoices,
    invoice_lines,
    invoice_row,
    load_for_move,
    load_locked,
    move_request,
    refuse_until_replaced_is_reversed,
)
from app.requests.models import Invoice, InvoiceRequest
from app.requests.queries import RED_INVOICES_NOTE, get_request
from app.requests.red_letter import RedLetterNotConfirmed, negate
from app.requests.schemas import InvoiceRequestOut
from app.requests.states import Confirmation, Move, Status, confirmation_allows
from app.taxplatform import (
    Issued,
    MalformedAnswer,
    Pending,
    Refused,
    TaxPlatformProvider,
    TransientProviderError,
    UnknownSerial,
    build_provider,
    serial_for,
)
from app.taxplatform.models import SubmissionOutcome
from app.worker.queue import enqueue
from app.worker.registry import JobContext, RunAgain, registry

ISSUE_JOB = "invoice_request.tax_issue"
Kind = Literal["blue", "red"]
# Polling one job's invoices: pauses growing from FIRST_POLL by POLL_GROWTH up to MAX_POLL seconds,
# for at most POLL_BUDGET seconds; then the job is queued again (RunAgain) instead of holding a worker.
FIRST_POLL, POLL_GROWTH, MAX_POLL, POLL_BUDGET = 0.2, 1.5, 5.0, 60.0
UNAVAILABLE = "tax_platform_unavailable"
MALFORMED = "malformed_answer"


class TaxPlatformNotConfigured(Conflict):
    code = "tax_platform_not_configured"
    detail = (
        "INVOICING_TAX_PLATFORM is manual: issue with the invoices' numbers "
        '({"invoices": [{"number", "amount"}]}), or configure a tax platform.'
    )


# --- the moves --------------------------------------------------------------------------------


@retry_conflict_once
async def submit(
    session: AsyncSession, auth: AuthContext, request_id: uuid.UUID, *, platform: str
) -> InvoiceRequestOut:
    """`processing` -> `issuing`, and the job that issues the draft's invoices through the platform."""
    request = await load_for_move(session, auth, request_id, Move.issue)
    if request.replaces_request_id is not None:
        await refuse_until_replaced_is_reversed(session, request.replaces_request_id)
    if platform == "manual":
        raise TaxPlatformNotConfigured()
    state = _state(request, red=False)
    moved = await move_request(
        session,
        auth.role.value,
        request,
        Status.issuing,
        note=f"Submitted to the tax platform ({platform})",
        values={"issue_error": None, "tax_issue": state},
        actor_name=auth.name,
    )
    await _enqueue(session, request.id, "blue", state["round"])
    return await finish(session, auth, moved, "invoice_request.issuing")


@retry_conflict_once
async def submit_red(
    session: AsyncSession, auth: AuthContext, request_id: uuid.UUID, *, platform: str
) -> InvoiceRequestOut:
    """A reversal that may proceed: the job issues its red-letter invoices through the platform (the
    request stays `reversing`, `red_letter.issuing` true, until they are recorded)."""
    request = await load_for_move(session, auth, request_id, Move.record_red_invoices)
    letter = request.red_letter or {}
    confirmation = Confirmation(letter["confirmation"]) if letter else None
    if not confirmation_allows(Move.record_red_invoices, confirmation):
        raise RedLetterNotConfirmed(confirmation=confirmation.value if confirmation else None)
    if (request.tax_issue or {}).get("red"):
        raise InvalidTransition(
            "The red-letter invoices are being issued through the tax platform already.",
            current_status=request.status,
        )
    if platform == "manual":
        raise TaxPlatformNotConfigured()
    state = _state(request, red=True)
    moved = await _write(session, request, {"issue_error": None, "tax_issue": state})
    await _enqueue(session, request.id, "red", state["round"])
    await session.flush()
    return await get_request(session, auth, moved["id"])


def _state(request: InvoiceRequest, *, red: bool) -> dict[str, Any]:
    previous = request.tax_issue or {}
    if bool(previous.get("red")) != red and previous:
        # Blue serials kept from a refused round do not apply to red letters (and back).
        previous = {"round": previous.get("round", 0)}
    return {"round": int(previous.get("round", 0)), "kept": dict(previous.get("kept") or {}), "red": red}


async def _enqueue(session: AsyncSession, request_id: uuid.UUID, kind: Kind, round_: int) -> None:
    payload = {"request_id": str(request_id), "kind": kind, "round": round_}
    await enqueue(session, ISSUE_JOB, payload, dedupe_key=f"{ISSUE_JOB}:{request_id}:{kind}:{round_}")


async def _write(session: AsyncSession, request: InvoiceRequest, values: dict[str, Any]) -> dict[str, Any]:
    """Write `values` on the request, status unchanged (conditional on it), without a timeline step."""
    connection = await session.connection()
    row = (
        await connection.execute(
            update(InvoiceRequest)
            .where(InvoiceRequest.id == request.id, InvoiceRequest.status == request.status)
            .values({**values, "updated_at": utcnow()})
            .returning(*InvoiceRequest.__table__.c)
        )
    ).one_or_none()
    if row is None:
        raise InvalidTransition("The invoice request was moved by someone else meanwhile; read it again.")
    return dict(row._mapping)


# --- the job ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Planned:
    position: int  # 1-based, the invoice's place in the draft (or of its blue invoice)
    serial: str
    document: InvoiceDocument
    blue_number: str | None  # red letters: the blue invoice reversed


@registry.job(ISSUE_JOB)
async def _issue(ctx: JobContext) -> RunAgain | None:
    """Submit every invoice (the platform answers a serial it has with `Accepted`, issuing nothing new),
    then poll each until issued or refused; record the lot in one transaction."""
    request_id, kind, round_ = _job_of(ctx)
    provider = build_provider(ctx.settings, ctx.database)
    if provider is None:
        raise TransientProviderError(
            "INVOICING_TAX_PLATFORM is manual in this worker: no platform to submit to"
        )
    plan = await _plan(ctx.database, request_id, kind, round_)
    if plan is None:
        return None  # recorded, refused or moved by hand meanwhile: nothing left to do
    for planned in plan:
        answer = await _send(ctx.database, provider, planned)
        if isinstance(answer, Refused):
            await _record_refusal(ctx.database, request_id, kind, round_, plan, [], answer)
            return None
    issued: list[Issued] = []
    deadline = asyncio.get_running_loop().time() + POLL_BUDGET
    for planned in plan:
        outcome = await _poll(ctx.database, provider, planned, deadline)
        if outcome is None:
            return RunAgain(utcnow() + timedelta(seconds=MAX_POLL))
        if isinstance(outcome, Refused):
            await _record_refusal(ctx.database, request_id, kind, round_, plan, issued, outcome)
            return None
        issued.append(outcome)
    async with ctx.database.write_session() as session, session.begin():
        await _record(session, request_id, kind, round_, plan, issued, provider.name)
    return None


@_issue.on_failure
async def _gave_up(session: AsyncSession, ctx: JobContext, error: str, final: bool) -> None:
    """After the last try, the request shows why and goes back to finance (blue: `processing`)."""
    if not final:
        return
    request_id, kind, round_ = _job_of(ctx)
    code = MALFORMED if error.startswith(MalformedAnswer.__name__) else UNAVAILABLE
    await _refused_in(session, request_id, kind, round_, {}, code, error)


def _job_of(ctx: JobContext) -> tuple[uuid.UUID, Kind, int]:
    kind: Kind = "red" if ctx.payload["kind"] == "red" else "blue"
    return uuid.UUID(ctx.payload["request_id"]), kind, int(ctx.payload["round"])


async def _plan(database: Database, request_id: uuid.UUID, kind: Kind, round_: int) -> list[Planned] | None:
    """The invoices to submit and their serials, or None when the request no longer waits for this job."""
    from app.documents import draft_documents  # fpdf2 on first use (app/requests/preview.py)

    async with database.read_session() as session:
        out = (await get_request(session, SYSTEM, request_id)).model_dump(mode="json")
        if not _waiting(out.get("status"), out.get("red_letter"), kind):
            return None
        row = await session.get(InvoiceRequest, request_id)
        state = (row.tax_issue if row is not None else None) or {}
        if int(state.get("round", -1)) != round_:
            return None
        kept: dict[str, str] = state.get("kept") or {}
        drafts = draft_documents(
            seller=out["seller"],
            profile=out["profile"],
            draft=out["draft"],
            invoice_type=out["invoice_type"],
            remark=out["remark"],
        )
        if kind == "blue":
            return [
                Planned(
                    position,
                    kept.get(str(position)) or serial_for(request_id, position, "blue", round_),
                    doc,
                    None,
                )
                for position, doc in enumerate(drafts, start=1)
            ]
        template = drafts[0]
        plan = []
        for position, blue in enumerate(out["invoices"], start=1):
            lines = tuple(
                DocumentLine(
                    item_name=line["item_name"],
                    tax_category_code=line["tax_category_code"],
                    tax_rate=line["tax_rate"],
                    amount=-parse_money(line["amount"]),
                    amount_excluding_tax=-parse_money(line["amount_excluding_tax"]),
                    tax_amount=-parse_money(line["tax_amount"]),
                )
                for line in blue["lines"]
            )
            document = replace(template, lines=lines, blue_number=blue["number"])
            serial = kept.get(str(position)) or serial_for(request_id, position, "red", round_)
            plan.append(Planned(position, serial, document, blue["number"]))
        return plan


def _waiting(status: str | None, letter: dict[str, Any] | None, kind: Kind) -> bool:
    if kind == "blue":
        return status == Status.issuing.value
    return status == Status.reversing.value and bool(letter and letter.get("issuing"))


async def _send(database: Database, provider: TaxPlatformProvider, planned: Planned) -> object:
    try:
        if planned.blue_number is None:
            answer: object = await provider.submit(planned.serial, planned.document)
        else:
            answer = await provider.red_letter(planned.serial, planned.blue_number, planned.document)
    except TransientProviderError as exc:
        await count(database, provider.name, MALFORMED if isinstance(exc, MalformedAnswer) else "transient")
        raise
    await count(database, provider.name, "refused" if isinstance(answer, Refused) else "accepted")
    return answer


async def _poll(
    database: Database, provider: TaxPlatformProvider, planned: Planned, deadline: float
) -> Issued | Refused | None:
    """Query until issued or refused (None: still pending at the deadline)."""
    pause = FIRST_POLL
    loop = asyncio.get_running_loop()
    while True:
        try:
            answer = await provider.query(planned.serial)
        except UnknownSerial:
            # The submission never arrived (lost on the way): sending it again is safe.
            sent = await _send(database, provider, planned)
            if isinstance(sent, Refused):
                return sent
            answer = Pending(planned.serial)
        except TransientProviderError as exc:
            await count(
                database, provider.name, MALFORMED if isinstance(exc, MalformedAnswer) else "transient"
            )
            raise
        if isinstance(answer, Issued):
            try:
                check_issued(answer, planned.document)
            except MalformedAnswer:
                await count(database, provider.name, MALFORMED)
                raise
            await count(database, provider.name, "issued")
            return answer
        if isinstance(answer, Refused):
            await count(database, provider.name, "refused")
            return answer
        if loop.time() + pause > deadline:
            return None
        await asyncio.sleep(pause)
        pause = min(MAX_POLL, pause * POLL_GROWTH)


def check_issued(issued: Issued, submitted: InvoiceDocument) -> None:
    """What the platform says it issued must be what was submitted: a number, a PDF, and lines with the
    same three sums (a plug-in's mapping error or a garbled answer is never recorded)."""
    problems = []
    if not issued.number or not issued.number.strip():
        problems.append("no invoice number")
    if not issued.lines:
        problems.append("no lines")
    if FileFormat.pdf.value not in {str(name) for name in issued.files}:
        problems.append("no pdf file")
    for name in ("amount", "amount_excluding_tax", "tax_amount"):
        if getattr(issued, name) != getattr(submitted, name):
            problems.append(f"{name} {getattr(issued, name)} fen, submitted {getattr(submitted, name)}")
    for line in issued.lines:
        if line.amount != line.amount_excluding_tax + line.tax_amount:
            problems.append(f"line {line.item_name!r} does not add up")
    if problems:
        raise MalformedAnswer(f"the platform's answer for {issued.serial}: {'; '.join(problems)}")


async def _record_refusal(
    database: Database,
    request_id: uuid.UUID,
    kind: Kind,
    round_: int,
    plan: Sequence[Planned],
    issued: Sequence[Issued],
    refusal: Refused,
) -> None:
    # The invoices issued before the refusal keep their serials for the next round.
    kept = {str(planned.position): planned.serial for planned, _ in zip(plan, issued, strict=False)}
    async with database.write_session() as session, session.begin():
        await _refused_in(session, request_id, kind, round_, kept, refusal.code, refusal.message)


async def _refused_in(
    session: AsyncSession,
    request_id: uuid.UUID,
    kind: Kind,
    round_: int,
    kept: dict[str, str],
    code: str,
    message: str,
) -> None:
    request = await _locked_request(session, request_id, kind, round_)
    if request is None:
        return
    error = {"code": code, "message": message[:2000]}
    state = {"round": round_ + 1, "kept": kept, "red": False}
    if kind == "blue":
        moved = await move_request(
            session,
            "system",
            request,
            Status.processing,
            note=f"The tax platform did not issue: {code}",
            values={"issue_error": error, "tax_issue": state},
        )
    else:
        moved = await _write(session, request, {"issue_error": error, "tax_issue": state})
    await finish(session, SYSTEM, moved, "invoice_request.issue_failed")


async def _locked_request(
    session: AsyncSession, request_id: uuid.UUID, kind: Kind, round_: int
) -> InvoiceRequest | None:
    """The request, its account locked first (the one lock order), if it still waits for this job."""
    account_id = await session.get(InvoiceRequest, request_id, populate_existing=True)
    if account_id is None:
        return None
    await ledger.lock_account(session, account_id.account_id)
    move = Move.issue if kind == "blue" else Move.record_red_invoices
    request = await load_locked(session, account_id.account_id, request_id, move)
    if request is None:
        return None
    state = request.tax_issue or {}
    letter = dict(request.red_letter or {})
    if state.get("red"):
        letter["issuing"] = True
    if not _waiting(request.status, letter, kind) or int(state.get("round", -1)) != round_:
        return None
    return request


async def _record(
    session: AsyncSession,
    request_id: uuid.UUID,
    kind: Kind,
    round_: int,
    plan: Sequence[Planned],
    issued: Sequence[Issued],
    provider: str,
) -> None:
    """Numbers, lines and files, and the move, in the caller's transaction (all or nothing)."""
    request = await _locked_request(session, request_id, kind, round_)
    if request is None:
        return  # another worker recorded it (or finance moved it): the platform's invoices are these
    numbers = ", ".join(invoice.number for invoice in issued)
    done = {"round": round_, "kept": {}, "red": False}
    if kind == "blue":
        rows = _blue_rows(request, issued)
        await insert_invoices(session, rows, [answer.lines for answer in issued])
        await _store_files(session, rows, issued)
        moved = await move_request(
            session,
            "system",
            request,
            Status.issued,
            note=f"Issued through the tax platform ({provider}): invoices {numbers}",
            values={"issue_error": None, "tax_issue": done},
        )
        metrics.INVOICED_FEN.inc(request.amount)
        await finish(session, SYSTEM, moved, "invoice_request.issued")
        if is_electronic(request.invoice_type):
            await _deliver(session, request)
        return
    blues = list(request.invoices)
    blue_lines = await invoice_lines(session, blues)
    mirrored = [
        negate(blue, blue_lines[blue.id], number=answer.number, issued_at=answer.issued_at, position=position)
        for position, (blue, answer) in enumerate(zip(blues, issued, strict=True))
    ]
    reds = [red for red, _ in mirrored]
    await insert_invoices(session, reds, [red_lines for _, red_lines in mirrored])
    await _store_files(session, reds, issued)
    moved = await move_request(
        session,
        "system",
        request,
        Status.reversed,
        note=RED_INVOICES_NOTE + numbers,
        values={"issue_error": None, "tax_issue": done},
    )
    shown = [
        {"number": red.number, "blue_number": blue.number} for red, blue in zip(reds, blues, strict=True)
    ]
    await delivery.announce_reversal(session, request, shown, None)
    await finish(session, SYSTEM, moved, "invoice_request.reversed")


def _blue_rows(request: InvoiceRequest, issued: Sequence[Issued]) -> list[Invoice]:
    return [
        invoice_row(request.id, position, answer.number, answer, issued_at=answer.issued_at)
        for position, answer in enumerate(issued)
    ]


async def _store_files(session: AsyncSession, rows: Sequence[Invoice], issued: Sequence[Issued]) -> None:
    for row, answer in zip(rows, issued, strict=True):
        for name, body in answer.files.items():
            await files.store(session, row.id, FileFormat(str(name)), body)


async def _deliver(session: AsyncSession, request: InvoiceRequest) -> None:
    """An electronic request issued by the platform goes to the customer by email by itself."""
    issued = await load_locked(session, request.account_id, request.id, Move.deliver)
    assert issued is not None
    to, cc = delivery.recipients(issued.address_snapshot)
    moved = await move_request(
        session, "system", issued, Status.delivered, note=f"Emailed to {', '.join([*to, *cc])}"
    )
    moved["delivery"] = await delivery.queue_email_delivery(session, issued, to, cc)
    await finish(session, SYSTEM, moved, "invoice_request.delivered")


# --- counting ----------------------------------------------------------------------------------


async def count(database: Database, provider: str, outcome: str) -> None:
    """One more `outcome` of a call to `provider` (`/metrics`: invoicing_tax_submissions_total)."""
    values = {"provider": provider, "outcome": outcome, "count": 1}
    key = [SubmissionOutcome.provider, SubmissionOutcome.outcome]
    bump = {"count": SubmissionOutcome.count + 1}
    async with database.write_session() as session, session.begin():
        if database.dialect == "postgresql":
            pg = postgresql.insert(SubmissionOutcome).values(values)
            await session.execute(pg.on_conflict_do_update(index_elements=key, set_=bump))
        else:
            lite = sqlite.insert(SubmissionOutcome).values(values)
            await session.execute(lite.on_conflict_do_update(index_elements=key, set_=bump))
