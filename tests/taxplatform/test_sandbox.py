"""The sandbox tax platform, driven directly through the provider interface on a fresh SQLite and
PostgreSQL database: asynchronous issuing, 20-digit numbers from a per-seller sequence, files, one
issue per serial, refusals and transient faults, red letters, concurrent callers."""

import asyncio
import io
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
from defusedxml.ElementTree import fromstring
from sqlalchemy import select

from app.cli import migrate
from app.core.database import Database
from app.core.settings import Settings
from app.documents import DocumentLine, InvoiceDocument, Party, to_chinese_capitals
from app.taxplatform import (
    Accepted,
    Fault,
    FileFormat,
    Issued,
    Pending,
    Refused,
    SandboxProvider,
    SerialReused,
    TaxPlatformProvider,
    TransientProviderError,
    UnknownSerial,
    build_provider,
    serial_for,
)
from app.taxplatform.models import SandboxInvoice, SandboxSequence
from tests.conftest import BACKENDS

CODE = "3040201000000000000"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(scope="module", params=BACKENDS)
async def database(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]
) -> AsyncIterator[Database]:
    url = fresh_database_url(request.param)
    migrate(url)
    db = Database(url)
    yield db
    await db.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(database: Database, clock: Clock) -> SandboxProvider:
    return SandboxProvider(database, delay_seconds=5, clock=clock)


def new_seller() -> Party:
    """A seller of its own per test (the sequence and the faults are per seller)."""
    return Party(
        name="杭州示例云计算有限公司",
        taxpayer_id=f"9133{uuid.uuid4().hex[:14].upper()}",
        address="杭州市西湖区文三路 1 号",
        phone="0571-88880000",
    )


BUYER = Party(name="北京某某科技有限公司", taxpayer_id="91110108MA01ABCD1X")


def document(seller: Party, *amounts: int) -> InvoiceDocument:
    """Lines at 6 %, tax as SPEC §7 computes it (1,000.00 → 56.60)."""
    lines = []
    for amount in amounts or (100000,):
        tax = (amount * 6 * 2 + 106) // (106 * 2)  # round half up of amount × 0.06 / 1.06
        lines.append(DocumentLine("*信息技术服务*云服务费", CODE, "0.06", amount, amount - tax, tax))
    return InvoiceDocument(seller=seller, buyer=BUYER, lines=tuple(lines), invoice_type="digital_ordinary")


def red_of(blue: InvoiceDocument) -> InvoiceDocument:
    lines = tuple(
        replace(
            line,
            amount=-line.amount,
            amount_excluding_tax=-line.amount_excluding_tax,
            tax_amount=-line.tax_amount,
        )
        for line in blue.lines
    )
    return replace(blue, lines=lines)


def serial() -> str:
    return serial_for(uuid.uuid4(), 1)


async def issued(sandbox: SandboxProvider, clock: Clock, serial: str) -> Issued:
    clock.advance(5)
    result = await sandbox.query(serial)
    assert isinstance(result, Issued), result
    return result


async def rows(database: Database, seller: Party) -> list[SandboxInvoice]:
    async with database.read_session() as session:
        statement = select(SandboxInvoice).where(SandboxInvoice.seller_taxpayer_id == seller.taxpayer_id)
        return list((await session.execute(statement.order_by(SandboxInvoice.submitted_at))).scalars())


async def last_value(database: Database, seller: Party) -> int | None:
    async with database.read_session() as session:
        return await session.scalar(
            select(SandboxSequence.last_value).where(SandboxSequence.seller_taxpayer_id == seller.taxpayer_id)
        )


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


async def test_a_submission_is_pending_then_issued_with_its_files(
    sandbox: SandboxProvider, clock: Clock
) -> None:
    seller = new_seller()
    doc = document(seller, 100000, 50000)
    one = serial()
    assert await sandbox.submit(one, doc) == Accepted(one)
    assert await sandbox.query(one) == Pending(one)
    clock.advance(4.9)
    assert await sandbox.query(one) == Pending(one)

    result = await issued(sandbox, clock, one)
    assert result.serial == one
    assert len(result.number) == 20 and result.number.isdigit()
    # 26: the year in China; 33: Zhejiang (digits 3-4 of the USCC); 9: the sandbox's channel.
    assert result.number.startswith("26339") and result.number.endswith("0000000001")
    assert result.issued_at == clock.now
    assert result.lines == doc.lines
    assert result.amount == 150000 and result.tax_amount == 5660 + 2830
    assert set(result.files) == {FileFormat.pdf, FileFormat.xml}

    text = pdf_text(result.files[FileFormat.pdf])
    assert f"发票号码：{result.number}" in text
    assert seller.name in text and BUYER.name in text
    assert "预览" not in text
    assert to_chinese_capitals(150000) in text and "1500.00" in text
    xml = fromstring(result.files[FileFormat.xml])
    assert xml.findtext("Number") == result.number
    assert xml.findtext("Totals/Amount") == "1500.00"
    assert xml.findtext("Seller/TaxpayerId") == seller.taxpayer_id

    # Asked again, the same answer and the same files (rendered once, kept).
    assert await sandbox.query(one) == result


async def test_numbers_come_from_a_sequence_per_seller(
    sandbox: SandboxProvider, clock: Clock, database: Database
) -> None:
    first, second = new_seller(), new_seller()
    serials = {party.taxpayer_id: [serial() for _ in range(3)] for party in (first, second)}
    for party in (first, second):
        for one in serials[party.taxpayer_id]:
            assert isinstance(await sandbox.submit(one, document(party)), Accepted)
    clock.advance(5)
    prefixes = set()
    for party in (first, second):
        numbers = []
        for one in serials[party.taxpayer_id]:
            result = await sandbox.query(one)
            assert isinstance(result, Issued)
            numbers.append(result.number)
        assert [int(number[10:]) for number in numbers] == [1, 2, 3]
        assert await last_value(database, party) == 3
        prefixes |= {number[:10] for number in numbers}
    assert len(prefixes) == 2  # the same region, yet each seller's numbers are its own


async def test_the_same_serial_submitted_twice_is_issued_once(
    sandbox: SandboxProvider, clock: Clock, database: Database
) -> None:
    seller = new_seller()
    doc = document(seller)
    one = serial()
    assert await sandbox.submit(one, doc) == Accepted(one)
    assert await sandbox.submit(one, doc) == Accepted(one)
    first = await issued(sandbox, clock, one)
    assert await sandbox.submit(one, doc) == Accepted(one)  # after issuing too
    assert await sandbox.query(one) == first
    assert len(await rows(database, seller)) == 1
    assert await last_value(database, seller) == 1


async def test_a_serial_reused_for_another_document_is_a_caller_bug(sandbox: SandboxProvider) -> None:
    seller = new_seller()
    one = serial()
    await sandbox.submit(one, document(seller, 100000))
    with pytest.raises(SerialReused):
        await sandbox.submit(one, document(seller, 200000))


async def test_an_unknown_serial_is_reported_as_such(sandbox: SandboxProvider) -> None:
    one = serial()
    with pytest.raises(UnknownSerial) as raised:
        await sandbox.query(one)
    assert raised.value.serial == one


async def test_a_refusal_is_answered_by_the_query_and_uses_no_number(
    sandbox: SandboxProvider, clock: Clock, database: Database
) -> None:
    seller = new_seller()
    await sandbox.inject_fault(Fault("refuse", seller_taxpayer_id=seller.taxpayer_id))
    refused, later = serial(), serial()
    assert await sandbox.submit(refused, document(seller)) == Accepted(refused)
    clock.advance(5)
    answer = await sandbox.query(refused)
    assert isinstance(answer, Refused)
    assert (answer.serial, answer.code) == (refused, "quota_exhausted")
    assert "额度" in answer.message
    # Final: the same serial again is still refused, and issues nothing.
    assert await sandbox.submit(refused, document(seller)) == Accepted(refused)
    assert await sandbox.query(refused) == answer
    # The fault was shown once: the next submission is issued, with the seller's first number.
    await sandbox.submit(later, document(seller))
    assert int((await issued(sandbox, clock, later)).number[10:]) == 1


async def test_a_transient_failure_records_nothing_and_a_retry_issues(
    sandbox: SandboxProvider, clock: Clock, database: Database
) -> None:
    seller = new_seller()
    await sandbox.inject_fault(
        Fault("transient", times=2, operation="submit", seller_taxpayer_id=seller.taxpayer_id)
    )
    one = serial()
    for _ in range(2):
        with pytest.raises(TransientProviderError):
            await sandbox.submit(one, document(seller))
        with pytest.raises(UnknownSerial):
            await sandbox.query(one)
    assert await sandbox.submit(one, document(seller)) == Accepted(one)
    await issued(sandbox, clock, one)
    assert len(await rows(database, seller)) == 1


async def test_a_lost_answer_is_retried_with_the_same_serial_and_issued_once(
    sandbox: SandboxProvider, clock: Clock, database: Database
) -> None:
    """The platform took the submission but its answer was lost: the caller cannot tell, retries with
    the same serial, and one invoice is issued."""
    seller = new_seller()
    await sandbox.inject_fault(
        Fault("lost_answer", operation="submit", seller_taxpayer_id=seller.taxpayer_id)
    )
    one = serial()
    with pytest.raises(TransientProviderError):
        await sandbox.submit(one, document(seller))
    assert await sandbox.submit(one, document(seller)) == Accepted(one)
    result = await issued(sandbox, clock, one)
    assert int(result.number[10:]) == 1
    assert len(await rows(database, seller)) == 1
    assert await last_value(database, seller) == 1


async def test_a_query_can_fail_transiently_and_answer_on_the_next_try(
    sandbox: SandboxProvider, clock: Clock
) -> None:
    seller = new_seller()
    one = serial()
    await sandbox.submit(one, document(seller))
    await sandbox.inject_fault(Fault("transient", operation="query", seller_taxpayer_id=seller.taxpayer_id))
    clock.advance(5)
    with pytest.raises(TransientProviderError):
        await sandbox.query(one)
    assert isinstance(await sandbox.query(one), Issued)


async def test_faults_can_be_cleared(sandbox: SandboxProvider, clock: Clock) -> None:
    seller = new_seller()
    await sandbox.inject_fault(Fault("transient", times=5, seller_taxpayer_id=seller.taxpayer_id))
    await sandbox.clear_faults(seller.taxpayer_id)
    one = serial()
    assert await sandbox.submit(one, document(seller)) == Accepted(one)
    with pytest.raises(ValueError, match="at least once"):
        await sandbox.inject_fault(Fault("transient", times=0))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda doc: replace(doc, lines=()), "invalid_document"),
        (
            lambda doc: replace(doc, lines=(replace(doc.lines[0], tax_category_code="304020100000000000"),)),
            "invalid_document",
        ),
        (lambda doc: replace(doc, seller=replace(doc.seller, taxpayer_id=None)), "invalid_document"),
        (lambda doc: replace(doc, number="26339000000000000001"), "invalid_document"),
        (lambda doc: red_of(doc), "invalid_document"),
        (
            lambda doc: replace(
                doc, lines=(DocumentLine("*信息技术服务*云服务费", CODE, "0.06", 100000, 90000, 10000),)
            ),
            "tax_mismatch",
        ),
    ],
    ids=["no_lines", "18_digit_code", "no_seller_id", "numbered", "negative_total", "wrong_tax"],
)
async def test_an_invalid_document_is_refused_at_once_and_nothing_is_kept(
    sandbox: SandboxProvider,
    database: Database,
    change: Callable[[InvoiceDocument], InvoiceDocument],
    code: str,
) -> None:
    seller = new_seller()
    one = serial()
    answer = await sandbox.submit(one, change(document(seller)))
    assert isinstance(answer, Refused) and (answer.serial, answer.code) == (one, code)
    with pytest.raises(UnknownSerial):
        await sandbox.query(one)


async def test_a_red_letter_reverses_an_issued_invoice_once(
    sandbox: SandboxProvider, clock: Clock, database: Database
) -> None:
    seller = new_seller()
    blue_doc = document(seller, 100000, 20000)
    blue_serial = serial_for(uuid.uuid4(), 1)
    await sandbox.submit(blue_serial, blue_doc)
    blue = await issued(sandbox, clock, blue_serial)

    red_serial = serial_for(uuid.uuid4(), 1, "red")
    assert await sandbox.red_letter(red_serial, blue.number, red_of(blue_doc)) == Accepted(red_serial)
    assert await sandbox.red_letter(red_serial, blue.number, red_of(blue_doc)) == Accepted(red_serial)
    red = await issued(sandbox, clock, red_serial)
    assert red.blue_number == blue.number
    assert red.number != blue.number and int(red.number[10:]) == 2  # the seller's one sequence
    assert red.amount == -blue.amount and red.tax_amount == -blue.tax_amount
    text = pdf_text(red.files[FileFormat.pdf])
    assert f"对应蓝字发票号码：{blue.number}" in text
    assert to_chinese_capitals(-120000) in text and to_chinese_capitals(-120000).startswith("负")
    assert fromstring(red.files[FileFormat.xml]).findtext("BlueNumber") == blue.number

    again = await sandbox.red_letter(serial_for(uuid.uuid4(), 1, "red"), blue.number, red_of(blue_doc))
    assert isinstance(again, Refused) and again.code == "blue_invoice_already_reversed"


async def test_a_red_letter_must_mirror_an_issued_blue_invoice_of_its_seller(
    sandbox: SandboxProvider, clock: Clock
) -> None:
    seller = new_seller()
    blue_doc = document(seller, 100000)
    blue_serial = serial()
    await sandbox.submit(blue_serial, blue_doc)
    blue = await issued(sandbox, clock, blue_serial)

    def red_serial() -> str:
        return serial_for(uuid.uuid4(), 1, "red")

    unknown = await sandbox.red_letter(red_serial(), "26339999999999999999", red_of(blue_doc))
    assert isinstance(unknown, Refused) and unknown.code == "blue_invoice_not_found"
    other_seller = red_of(replace(blue_doc, seller=new_seller()))
    foreign = await sandbox.red_letter(red_serial(), blue.number, other_seller)
    assert isinstance(foreign, Refused) and foreign.code == "blue_invoice_not_found"
    partial = await sandbox.red_letter(red_serial(), blue.number, red_of(document(seller, 50000)))
    assert isinstance(partial, Refused) and partial.code == "red_letter_mismatch"
    # A red letter refused later (quota) does not use up the blue invoice: another may reverse it.
    await sandbox.inject_fault(Fault("refuse", operation="red_letter", seller_taxpayer_id=seller.taxpayer_id))
    refused = red_serial()
    await sandbox.red_letter(refused, blue.number, red_of(blue_doc))
    assert isinstance(await sandbox.query(refused), Refused)
    retried = red_serial()
    assert await sandbox.red_letter(retried, blue.number, red_of(blue_doc)) == Accepted(retried)
    assert (await issued(sandbox, clock, retried)).blue_number == blue.number


async def test_the_buyer_s_use_of_a_blue_invoice_is_reported(sandbox: SandboxProvider, clock: Clock) -> None:
    seller = new_seller()
    one = serial()
    await sandbox.submit(one, document(seller))
    blue = await issued(sandbox, clock, one)
    assert await sandbox.buyer_usage(seller.taxpayer_id or "", blue.number) == "none"
    await sandbox.set_buyer_usage(blue.number, "deducted")
    assert await sandbox.buyer_usage(seller.taxpayer_id or "", blue.number) == "deducted"
    with pytest.raises(LookupError):
        await sandbox.buyer_usage(new_seller().taxpayer_id or "", blue.number)
    with pytest.raises(LookupError):
        await sandbox.set_buyer_usage("26339999999999999999", "booked")


async def test_concurrent_callers_issue_each_serial_once_with_distinct_numbers(
    database: Database, clock: Clock
) -> None:
    """Two "workers" (two engines, as two processes would have) submit and poll the same serials of
    two new sellers at once: every serial is issued once, the sellers get distinct codes, and each
    seller's numbers are 1..n without a gap."""
    other = Database(database.url)
    try:
        first = SandboxProvider(database, delay_seconds=0, clock=clock)
        second = SandboxProvider(other, delay_seconds=0, clock=clock)
        sellers = [new_seller(), new_seller()]
        work = [(serial(), document(seller)) for _ in range(3) for seller in sellers]
        submitted = await asyncio.gather(
            *(provider.submit(one, doc) for one, doc in work for provider in (first, second))
        )
        assert all(isinstance(answer, Accepted) for answer in submitted)
        answers = await asyncio.gather(
            *(provider.query(one) for one, _ in work for provider in (first, second))
        )
        by_serial: dict[str, set[str]] = {}
        for answer in answers:
            assert isinstance(answer, Issued)
            by_serial.setdefault(answer.serial, set()).add(answer.number)
        assert all(len(numbers) == 1 for numbers in by_serial.values())
        for seller in sellers:
            numbers = sorted(
                next(iter(by_serial[one]))
                for one, doc in work
                if doc.seller.taxpayer_id == seller.taxpayer_id
            )
            assert [int(number[10:]) for number in numbers] == [1, 2, 3]
            assert len({number[:10] for number in numbers}) == 1
            assert len(await rows(database, seller)) == 3
        assert len({next(iter(numbers))[:10] for numbers in by_serial.values()}) == 2
    finally:
        await other.dispose()


async def test_the_setting_chooses_the_provider(database: Database) -> None:
    assert build_provider(Settings(database_url=database.url), database) is None
    provider = build_provider(Settings(database_url=database.url, tax_platform="sandbox"), database)
    assert isinstance(provider, SandboxProvider)
    assert isinstance(provider, TaxPlatformProvider)
    assert provider.name == "sandbox"
