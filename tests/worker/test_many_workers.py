"""Two real `invoicing worker` processes on PostgreSQL over a batch of invoice deliveries made
through the HTTP API, sending to a real SMTP server: every message is sent once; with one worker
killed (SIGKILL) mid-batch, every message is still sent (the job it held, again after its lease,
with the same Message-ID); SIGTERM lets a worker finish the message in hand."""

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from app.cli import migrate
from app.core.auth import Role
from app.core.database import Database
from app.core.settings import Settings
from app.main import create_app
from app.worker.models import Job
from tests.conftest import POSTGRES_URL
from tests.factories import Api, issue_staff_key, make_address
from tests.requests.helpers import create, issue_whole, move, ready_customer, upload
from tests.server import WorkerProcess, running_worker
from tests.worker.smtp import Recorder, smtp_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not POSTGRES_URL, reason="several workers need PostgreSQL (INVOICING_TEST_POSTGRES_URL)"
    ),
]

BATCH = 30


async def _deliveries(database_url: str, count: int) -> list[str]:
    """`count` electronic requests delivered through the API (each queues one email); their emails."""
    app = create_app(Settings(database_url=database_url, log_level="WARNING"))
    try:
        billing = await issue_staff_key(app, Role.billing)
        finance = await issue_staff_key(app, Role.finance)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            api = Api(client, billing, finance)
            ready = await ready_customer(api, bills=count, invoice_type="electronic_ordinary")
            emails = []
            for index, bill in enumerate(ready.bills):
                email = f"batch-{index}@acme.example"
                ready.address = await make_address(api, ready.customer, email=email, address=None)
                request = await create(client, ready, bills=[bill], cards=[])
                request = await issue_whole(
                    client, api, request, f"BATCH-{index:04d}-{ready.customer.account_id[:8]}"
                )
                assert (await upload(client, api, request)).status_code == 200
                assert (await move(client, api, request["id"], "deliver")).status_code == 200
                emails.append(email)
            return emails
    finally:
        await app.state.database.dispose()


async def _open_jobs(database_url: str, kind: str = "invoice_request.email") -> int:
    database = Database(database_url)
    try:
        async with database.read_session() as session:
            statement = select(func.count()).where(Job.kind == kind, Job.status.in_(("queued", "running")))
            return int((await session.execute(statement)).scalar_one())
    finally:
        await database.dispose()


async def _no_open_jobs(database_url: str) -> bool:
    return await _open_jobs(database_url) == 0


async def _eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def _wait(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def _env(url: str) -> dict[str, str]:
    return {
        "INVOICING_SMTP_URL": url,
        "INVOICING_WORKER_POLL_SECONDS": "0.1",
        "INVOICING_WORKER_LEASE_SECONDS": "3",
        "INVOICING_WORKER_RETRY_SECONDS": "0.2,0.5",
        "INVOICING_MAIL_FROM": "billing@cloud.example",
    }


def _per_recipient(recorder: Recorder) -> Counter[str]:
    return Counter(rcpt for item in recorder.received for rcpt in item.rcpt_tos)


def _started(worker: WorkerProcess) -> bool:
    return '"message": "worker started"' in worker.log()


def _done_by(log: str) -> int:
    return log.count('"message": "job done"')


async def test_two_workers_send_each_message_once(
    fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    database_url = fresh_database_url("postgres")
    migrate(database_url)
    with smtp_server() as (recorder, url):
        recorder.delay = 0.05
        with (
            running_worker(database_url, tmp_path, _env(url), name="a") as a,
            running_worker(database_url, tmp_path, _env(url), name="b") as b,
        ):
            await _wait(lambda: _started(a) and _started(b), "both workers")
            emails = await _deliveries(database_url, BATCH)
            await _wait(lambda: len(recorder.received) >= BATCH, "every message")
            await asyncio.sleep(0.5)  # time for a duplicate to show, if there were one
            assert a.stop() == 0 and b.stop() == 0
        counts = _per_recipient(recorder)
    assert {email: counts[email] for email in emails} == dict.fromkeys(emails, 1)
    assert len(recorder.received) == BATCH
    assert _done_by(a.log()) > 0 and _done_by(b.log()) > 0, "both workers took jobs"
    assert _done_by(a.log()) + _done_by(b.log()) >= BATCH
    assert await _open_jobs(database_url) == 0


async def test_a_worker_killed_mid_batch_loses_no_message(
    fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    database_url = fresh_database_url("postgres")
    migrate(database_url)
    emails = await _deliveries(database_url, BATCH)  # a backlog: the victim is killed mid-send
    with smtp_server() as (recorder, url):
        recorder.delay = 0.1
        with (
            running_worker(database_url, tmp_path, _env(url), name="victim") as victim,
            running_worker(database_url, tmp_path, _env(url), name="survivor") as survivor,
        ):
            await _wait(lambda: _done_by(victim.log()) >= 2, "the victim at work")
            assert victim.stop(signal.SIGKILL) == -signal.SIGKILL
            await _wait(lambda: set(_per_recipient(recorder)) >= set(emails), "every message", seconds=90)
            # The victim's job in hand is taken over once its lease expires, and finished.
            await _eventually(lambda: _no_open_jobs(database_url), "the victim's job taken over")
            assert survivor.stop() == 0
        counts = _per_recipient(recorder)
        by_recipient: dict[str, set[str]] = {}
        for item in recorder.received:
            for rcpt in item.rcpt_tos:
                by_recipient.setdefault(rcpt, set()).add(str(item.message["Message-ID"]))
    assert all(counts[email] >= 1 for email in emails), "every message was sent"
    repeats = [email for email in emails if counts[email] > 1]
    assert len(repeats) <= 1, f"only the message in hand may be sent again: {repeats}"
    assert all(len(by_recipient[email]) == 1 for email in emails), "a repeat keeps its Message-ID"
    assert await _open_jobs(database_url) == 0


async def test_sigterm_finishes_the_message_in_hand(
    fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    database_url = fresh_database_url("postgres")
    migrate(database_url)
    emails = await _deliveries(database_url, 2)
    with smtp_server() as (recorder, url):
        recorder.delay = 1.5
        with running_worker(database_url, tmp_path, _env(url), name="graceful") as worker:
            await _wait(lambda: len(recorder.offered) >= 1, "a send to begin")
            in_hand = recorder.offered[0].rcpt_tos[0]
            worker.process.send_signal(signal.SIGTERM)
            assert worker.process.wait(timeout=30) == 0
        received = [rcpt for item in recorder.received for rcpt in item.rcpt_tos]
    assert in_hand in received, "the message in hand was finished"
    assert len(received) == 1, "no new job was taken after SIGTERM"
    assert await _open_jobs(database_url) == 1  # the other one waits for the next worker
    assert set(received) < set(emails)
