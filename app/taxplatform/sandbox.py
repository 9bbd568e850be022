"""The built-in sandbox tax platform: answers like a real one (asynchronously, by serial), issues
20-digit numbers from a per-seller sequence in the database, renders the PDF and XML, and can be
told to refuse or to fail (SandboxFault), so every path of issuing can be exercised."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, cast

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.database import Database
from app.documents import (
    InvoiceDocument,
    document_from_dict,
    document_to_dict,
    fingerprint,
    render_invoice,
    render_invoice_xml,
)
from app.documents.codec import line_from_dict
from app.documents.formatting import CHINA_TIME
from app.taxplatform.models import SandboxFault, SandboxInvoice, SandboxSequence
from app.taxplatform.provider import (
    Accepted,
    BuyerUsage,
    FileFormat,
    Issued,
    Pending,
    QueryResult,
    Refused,
    SerialReused,
    TransientProviderError,
    UnknownSerial,
)
from app.taxplatform.sandbox_checks import check_blue, check_red

FaultKind = Literal["refuse", "transient", "lost_answer", "malformed"]
Operation = Literal["submit", "query", "red_letter"]
# The fifth digit of a digital invoice number names the channel that issued it; 9 marks the sandbox.
SANDBOX_CHANNEL = "9"
SELLER_CODE_DIGITS = 5
_CODE_RACE_TRIES = 5
SEQUENCE_DIGITS = 10


@dataclass(frozen=True, slots=True)
class Fault:
    """What the sandbox should do on its next `times` calls (see SandboxFault)."""

    kind: FaultKind
    times: int = 1
    operation: Operation | None = None
    seller_taxpayer_id: str | None = None
    code: str = "quota_exhausted"
    message: str = "开票额度不足 (the seller's invoicing quota is exhausted)"


def sandbox_number(seller_taxpayer_id: str, seller_code: int, sequence: int, issued_at: datetime) -> str:
    """A 20-digit number laid out like a digital invoice's — the year (2 digits), the region (digits
    3–4 of the USCC, its registration authority's province; 00 otherwise), the issuing channel (1),
    then 15 digits of sequence, here the seller's code in the sandbox (5) and the seller's own
    sequence (10), so that two sellers' numbers never meet."""
    region = seller_taxpayer_id[2:4] if seller_taxpayer_id[2:4].isdigit() else "00"
    year = issued_at.astimezone(CHINA_TIME).year % 100
    if seller_code >= 10**SELLER_CODE_DIGITS or sequence >= 10**SEQUENCE_DIGITS:
        raise ValueError(f"the sandbox's numbers for {seller_taxpayer_id} are exhausted")
    return f"{year:02d}{region}{SANDBOX_CHANNEL}{seller_code:05d}{sequence:010d}"


class SandboxProvider:
    """The sandbox, on the service's own database (its own transactions, as a remote platform's
    state is independent of the caller's). `delay_seconds`: how long after a submission a query
    first answers issued; `clock`: the time it reads (tests move it)."""

    name = "sandbox"

    def __init__(
        self,
        database: Database,
        *,
        delay_seconds: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
        font_path: Path | None = None,
    ) -> None:
        self._database = database
        self._delay = timedelta(seconds=delay_seconds)
        self._clock = clock
        self._font_path = font_path

    # --- the provider interface --------------------------------------------------------------

    async def submit(self, serial: str, document: InvoiceDocument) -> Accepted | Refused:
        seller = document.seller.taxpayer_id or ""
        await self._transient_fault("submit", seller)
        return await self._record(serial, document, kind="blue", seller=seller, problem=check_blue(document))

    async def red_letter(
        self, serial: str, blue_number: str, document: InvoiceDocument
    ) -> Accepted | Refused:
        seller = document.seller.taxpayer_id or ""
        await self._transient_fault("red_letter", seller)
        document = replace(document, blue_number=blue_number)
        return await self._record(serial, document, kind="red", seller=seller, problem=None)

    async def query(self, serial: str) -> QueryResult:
        async with self._database.read_session() as session:
            row = await session.get(SandboxInvoice, serial)
            if row is None:
                raise UnknownSerial(serial)
            seller = row.seller_taxpayer_id
        await self._transient_fault("query", seller)
        for attempt in range(_CODE_RACE_TRIES):
            try:
                result, document = await self._query_once(serial)
                break
            except IntegrityError:
                # Another seller's first invoice took the same new seller code in the meantime:
                # the next try takes the one after it.
                if attempt == _CODE_RACE_TRIES - 1:
                    raise TransientProviderError("sandbox: busy allocating seller codes") from None
        if document is not None and isinstance(result, Issued):
            # Rendered outside the transaction (a second of CPU); deterministic, so a second
            # renderer racing this one writes the same bytes.
            pdf = await asyncio.to_thread(render_invoice, document, font_path=self._font_path)
            xml = render_invoice_xml(document)
            async with self._database.write_session() as session, session.begin():
                await session.execute(
                    update(SandboxInvoice)
                    .where(SandboxInvoice.serial == serial, SandboxInvoice.pdf.is_(None))
                    .values(pdf=pdf, xml=xml)
                )
            result = replace(result, files={FileFormat.pdf: pdf, FileFormat.xml: xml})
        if isinstance(result, Issued) and await self._take_fault(("malformed",), "query", seller) is not None:
            # A garbled answer: the first line's tax one fen off, so the sums no longer match.
            first, *rest = result.lines
            garbled = replace(first, tax_amount=first.tax_amount + 1, amount=first.amount + 1)
            result = replace(result, lines=(garbled, *rest))
        return result

    async def _query_once(self, serial: str) -> tuple[QueryResult, InvoiceDocument | None]:
        """The answer, issuing first if it is due; and the document when its files are still to render."""
        async with self._database.write_session() as session, session.begin():
            row = await _locked(session, serial)
            if row is None:
                raise UnknownSerial(serial)
            if row.status == "pending" and self._clock() >= row.ready_at:
                await self._issue(session, row)
            needs_files = row.status == "issued" and (row.pdf is None or row.xml is None)
            return _answer(row), document_from_dict(row.document) if needs_files else None

    async def buyer_usage(self, seller_taxpayer_id: str, number: str) -> BuyerUsage:
        await self._transient_fault("query", seller_taxpayer_id)
        async with self._database.read_session() as session:
            usage = await session.scalar(
                select(SandboxInvoice.buyer_usage).where(
                    SandboxInvoice.number == number,
                    SandboxInvoice.kind == "blue",
                    SandboxInvoice.seller_taxpayer_id == seller_taxpayer_id,
                )
            )
        if usage is None:
            raise LookupError(f"the sandbox issued no blue invoice {number} for {seller_taxpayer_id}")
        return cast(BuyerUsage, usage)

    # --- the sandbox's controls --------------------------------------------------------------

    async def set_buyer_usage(self, number: str, usage: BuyerUsage) -> None:
        """Act as the buyer: deduct (用途确认) or book (入账确认) an issued blue invoice."""
        async with self._database.write_session() as session, session.begin():
            changed = await session.execute(
                update(SandboxInvoice)
                .where(SandboxInvoice.number == number, SandboxInvoice.kind == "blue")
                .values(buyer_usage=usage)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                raise LookupError(f"the sandbox issued no blue invoice {number}")

    async def inject_fault(self, fault: Fault) -> None:
        """Make the next `fault.times` matching calls refuse or fail (see SandboxFault)."""
        if fault.times < 1:
            raise ValueError("a fault happens at least once")
        async with self._database.write_session() as session, session.begin():
            session.add(
                SandboxFault(
                    kind=fault.kind,
                    operation=fault.operation,
                    seller_taxpayer_id=fault.seller_taxpayer_id,
                    remaining=fault.times,
                    code=fault.code,
                    message=fault.message,
                    created_at=utcnow(),
                )
            )

    async def clear_faults(self, seller_taxpayer_id: str | None = None) -> None:
        """Forget the faults not yet shown (those of one seller, or all)."""
        async with self._database.write_session() as session, session.begin():
            statement = delete(SandboxFault)
            if seller_taxpayer_id is not None:
                statement = statement.where(SandboxFault.seller_taxpayer_id == seller_taxpayer_id)
            await session.execute(statement)

    # --- inside ------------------------------------------------------------------------------

    async def _transient_fault(self, operation: Operation, seller: str) -> None:
        """Raise if a `transient` fault is due for this call."""
        if await self._take_fault(("transient",), operation, seller) is not None:
            raise TransientProviderError(f"sandbox: {operation} timed out (injected fault)")

    async def _take_fault(
        self, kinds: tuple[FaultKind, ...], operation: Operation, seller: str | None
    ) -> SandboxFault | None:
        # A read first: calls without a fault armed (nearly all) take no write transaction.
        async with self._database.read_session() as session:
            armed = await session.scalar(
                select(SandboxFault.id).where(_applies(kinds, operation, seller)).limit(1)
            )
        if armed is None:
            return None
        async with self._database.write_session() as session, session.begin():
            return await _take_fault_in(session, kinds, operation, seller)

    async def _record(
        self,
        serial: str,
        document: InvoiceDocument,
        *,
        kind: Literal["blue", "red"],
        seller: str,
        problem: tuple[str, str] | None,
    ) -> Accepted | Refused:
        try:
            return await self._record_once(serial, document, kind=kind, seller=seller, problem=problem)
        except IntegrityError:
            # A concurrent submission of the same serial (primary key) or of another red letter for
            # the same blue invoice (`reverses`) committed first: the second look sees it.
            return await self._record_once(serial, document, kind=kind, seller=seller, problem=problem)

    async def _record_once(
        self,
        serial: str,
        document: InvoiceDocument,
        *,
        kind: Literal["blue", "red"],
        seller: str,
        problem: tuple[str, str] | None,
    ) -> Accepted | Refused:
        operation: Operation = "submit" if kind == "blue" else "red_letter"
        print_ = fingerprint(document)
        async with self._database.write_session() as session, session.begin():
            existing = await _locked(session, serial)
            if existing is not None:
                # The same serial again: nothing new is issued; the outcome is the first one's.
                if existing.fingerprint != print_ or existing.kind != kind:
                    raise SerialReused(serial)
                return Accepted(serial)
            if problem is None and kind == "red":
                problem = await check_red(session, document)
            if problem is not None:
                return Refused(serial, *problem)  # refused at once: nothing kept
            now = self._clock()
            row = SandboxInvoice(
                serial=serial,
                kind=kind,
                seller_taxpayer_id=seller,
                document=document_to_dict(document),
                fingerprint=print_,
                status="pending",
                buyer_usage="none",
                blue_number=document.blue_number if kind == "red" else None,
                reverses=document.blue_number if kind == "red" else None,
                submitted_at=now,
                ready_at=now + self._delay,
            )
            fault = await _take_fault_in(session, ("refuse", "lost_answer"), operation, seller)
            if fault is not None and fault.kind == "refuse":
                # Refused later, when queried, as a platform refuses once it tries to issue.
                row.status, row.refusal_code = "refused", fault.code or "refused"
                row.refusal_message = fault.message or "refused by the sandbox"
                row.reverses = None
            session.add(row)
        if fault is not None and fault.kind == "lost_answer":
            raise TransientProviderError(f"sandbox: the answer to {operation} {serial} was lost (injected)")
        return Accepted(serial)

    async def _issue(self, session: AsyncSession, row: SandboxInvoice) -> None:
        issued_at = self._clock()
        code, sequence = await _next_in_sequence(session, self._database.dialect, row.seller_taxpayer_id)
        number = sandbox_number(row.seller_taxpayer_id, code, sequence, issued_at)
        document = replace(document_from_dict(row.document), number=number, issued_at=issued_at)
        row.status, row.number, row.issued_at = "issued", number, issued_at
        row.document = document_to_dict(document)
        await session.flush()


async def _locked(session: AsyncSession, serial: str) -> SandboxInvoice | None:
    statement = select(SandboxInvoice).where(SandboxInvoice.serial == serial).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


def _applies(kinds: tuple[FaultKind, ...], operation: Operation, seller: str | None) -> ColumnElement[bool]:
    return and_(
        SandboxFault.kind.in_(kinds),
        SandboxFault.remaining > 0,
        or_(SandboxFault.operation.is_(None), SandboxFault.operation == operation),
        or_(SandboxFault.seller_taxpayer_id.is_(None), SandboxFault.seller_taxpayer_id == seller),
    )


async def _take_fault_in(
    session: AsyncSession, kinds: tuple[FaultKind, ...], operation: Operation, seller: str | None
) -> SandboxFault | None:
    """Take one showing of the oldest fault of these kinds that applies to the call."""
    candidates = (
        select(SandboxFault)
        .where(_applies(kinds, operation, seller))
        .order_by(SandboxFault.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    fault = (await session.execute(candidates)).scalar_one_or_none()
    if fault is None:
        return None
    taken = await session.execute(
        update(SandboxFault)
        .where(SandboxFault.id == fault.id, SandboxFault.remaining > 0)
        .values(remaining=SandboxFault.remaining - 1)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return fault


async def _next_in_sequence(session: AsyncSession, dialect: str, seller_taxpayer_id: str) -> tuple[int, int]:
    """(the seller's code, its next number) in one statement: an upsert decided by the database. A
    seller seen for the first time takes the next code; two first-timers racing for one code make
    the second fail on the unique code, and its caller tries again."""
    next_code = select(func.coalesce(func.max(SandboxSequence.seller_code), 0) + 1).scalar_subquery()
    values = {"seller_taxpayer_id": seller_taxpayer_id, "seller_code": next_code, "last_value": 1}
    key = [SandboxSequence.seller_taxpayer_id]
    bump = {"last_value": SandboxSequence.last_value + 1}
    upsert: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        upsert = postgresql.insert(SandboxSequence).values(values)
        upsert = upsert.on_conflict_do_update(index_elements=key, set_=bump)
    else:
        upsert = sqlite.insert(SandboxSequence).values(values)
        upsert = upsert.on_conflict_do_update(index_elements=key, set_=bump)
    returned = upsert.returning(SandboxSequence.seller_code, SandboxSequence.last_value)
    code, value = (await session.execute(returned)).one()
    return int(code), int(value)


def _answer(row: SandboxInvoice) -> QueryResult:
    if row.status == "pending":
        return Pending(row.serial)
    if row.status == "refused":
        return Refused(row.serial, row.refusal_code or "refused", row.refusal_message or "")
    assert row.number is not None and row.issued_at is not None
    files: dict[FileFormat, bytes] = {}
    if row.pdf is not None and row.xml is not None:
        files = {FileFormat.pdf: row.pdf, FileFormat.xml: row.xml}
    return Issued(
        serial=row.serial,
        number=row.number,
        issued_at=row.issued_at,
        lines=tuple(line_from_dict(line) for line in row.document["lines"]),
        files=files,
        blue_number=row.blue_number,
    )
