"""The worker's queue: jobs written in a transaction, leases, retries with growing pauses, periodic
tasks deduplicated in the database, housekeeping; on SQLite and PostgreSQL (fresh databases)."""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from app import jobs
from app.cli import migrate
from app.core.clock import utcnow
from app.core.database import Database
from app.core.idempotency_models import IdempotencyKey
from app.core.settings import Settings
from app.mail.service import enqueue_mail
from app.mail.transport import DirectoryMailer, SmtpMailer, parse_smtp_url
from app.worker import queue
from app.worker.models import Job
from app.worker.registry import JobContext, Registry, RunAgain
from app.worker.runner import Worker
from tests.conftest import BACKENDS
from tests.worker.smtp import smtp_server


@pytest.fixture(scope="module", params=BACKENDS)
async def database(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]
) -> AsyncIterator[Database]:
    url = fresh_database_url(request.param)
    migrate(url)
    db = Database(url)
    yield db
    await db.dispose()


def settings_for(database: Database, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database.url,
        "worker_retry_seconds": "0,0",
        "worker_lease_seconds": 30,
    }
    values.update(overrides)
    return Settings(**values)


async def jobs_by_kind(database: Database, kind: str) -> list[Job]:
    async with database.read_session() as session:
        return list((await session.execute(select(Job).where(Job.kind == kind).order_by(Job.id))).scalars())


async def test_a_job_is_written_only_with_its_transaction(database: Database) -> None:
    registry = Registry()
    ran: list[dict[str, Any]] = []

    @registry.job("test.record")
    async def record(ctx: JobContext) -> None:
        ran.append(ctx.payload)

    async with database.write_session() as session, session.begin():
        await queue.enqueue(session, "test.record", {"n": 1})
    async with database.write_session() as session:
        await queue.enqueue(session, "test.record", {"n": 2})
        await session.rollback()  # the change failed: its job never existed
    worker = Worker(database, settings_for(database), registry)
    assert await worker.drain() == 1
    assert ran == [{"n": 1}]
    [job] = await jobs_by_kind(database, "test.record")
    assert (job.status, job.attempts, job.locked_by, job.finished_at is not None) == ("done", 1, None, True)


async def test_failures_are_retried_with_growing_pauses_then_given_up(database: Database) -> None:
    registry = Registry()
    outcomes: list[tuple[str, bool]] = []

    @registry.job("test.flaky")
    async def flaky(ctx: JobContext) -> None:
        raise RuntimeError(f"try {ctx.job.attempts} failed")

    @flaky.on_failure
    async def _failed(session: Any, ctx: JobContext, error: str, final: bool) -> None:
        outcomes.append((error, final))

    async with database.write_session() as session, session.begin():
        await queue.enqueue(session, "test.flaky", {})
    worker = Worker(database, settings_for(database, worker_retry_seconds="0,60"), registry)
    assert [worker.pause_before_retry(n) for n in (1, 2, 3)] == [0.0, 60.0, 60.0]
    assert await worker.drain() == 2  # the first try, then the retry due at once; the third waits 60 s
    [job] = await jobs_by_kind(database, "test.flaky")
    assert (job.status, job.attempts, job.last_error) == ("queued", 2, "RuntimeError: try 2 failed")
    assert job.run_after > utcnow() + timedelta(seconds=50)
    assert outcomes == [("RuntimeError: try 1 failed", False), ("RuntimeError: try 2 failed", False)]

    async with database.write_session() as session, session.begin():  # time passes
        job_row = await session.get(Job, job.id)
        assert job_row is not None
        job_row.run_after = utcnow()
    assert await worker.drain() == 1
    [job] = await jobs_by_kind(database, "test.flaky")
    assert (job.status, job.attempts) == ("failed", 3)
    assert outcomes[-1] == ("RuntimeError: try 3 failed", True)


async def test_a_job_that_asks_to_run_again_is_queued_again_with_its_tries_reset(database: Database) -> None:
    registry = Registry()
    runs: list[int] = []

    @registry.job("test.forever", max_attempts=1)
    async def forever(ctx: JobContext) -> RunAgain | None:
        runs.append(ctx.job.attempts)
        return RunAgain(utcnow() + timedelta(hours=1)) if len(runs) == 1 else None

    async with database.write_session() as session, session.begin():
        await queue.enqueue(session, "test.forever", {}, dedupe_key="test.forever:1")
    worker = Worker(database, settings_for(database), registry)
    assert await worker.drain() == 1
    [job] = await jobs_by_kind(database, "test.forever")
    assert (job.status, job.attempts, job.locked_by) == ("queued", 0, None)
    assert job.run_after > utcnow() + timedelta(minutes=50)
    async with database.write_session() as session, session.begin():
        await queue.wake(session, "test.forever:1")  # brought forward to now
    assert await worker.drain() == 1
    [job] = await jobs_by_kind(database, "test.forever")
    assert (job.status, job.attempts) == ("done", 1)
    assert runs == [1, 1]


async def test_an_expired_lease_lets_another_worker_take_the_job(database: Database) -> None:
    registry = Registry()
    runs: list[str] = []

    @registry.job("test.leased")
    async def leased(ctx: JobContext) -> None:
        runs.append(ctx.job.token)

    async with database.write_session() as session, session.begin():
        await queue.enqueue(session, "test.leased", {})
    # Worker A claims the job, then dies (SIGKILL: it never settles it).
    async with database.write_session() as session, session.begin():
        dead = await queue.claim(session, "worker-a", lease_seconds=0.2)
    assert dead is not None
    async with database.write_session() as session, session.begin():
        assert await queue.claim(session, "worker-b", lease_seconds=30) is None  # leased: not due
    await asyncio.sleep(0.3)
    worker_b = Worker(database, settings_for(database), registry, worker_id="worker-b")
    assert await worker_b.drain() == 1
    [job] = await jobs_by_kind(database, "test.leased")
    assert (job.status, job.attempts) == ("done", 2)
    # A comes back to life: its outcome is refused, B's stands.
    async with database.write_session() as session:
        with pytest.raises(queue.LeaseLost):
            await queue.complete(session, dead)
        await session.rollback()


async def test_periodic_tasks_run_once_per_slot_across_workers(database: Database) -> None:
    registry = Registry()
    slots: list[str] = []

    @registry.periodic("test.tick", every=timedelta(days=1))
    async def tick(ctx: JobContext) -> None:
        slots.append(ctx.slot.isoformat())

    workers = [Worker(database, settings_for(database), registry) for _ in range(3)]
    await asyncio.gather(*(worker.schedule_periodic() for worker in workers))
    await asyncio.gather(*(worker.schedule_periodic() for worker in workers))
    assert sum([await worker.drain() for worker in workers]) == 1
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    assert slots == [today.isoformat()]
    assert len(await jobs_by_kind(database, "periodic:test.tick")) == 1


async def test_housekeeping_deletes_expired_idempotency_keys_and_old_jobs(database: Database) -> None:
    from app.accounts import service as accounts
    from app.core.auth import Role

    now = utcnow()
    async with database.write_session() as session, session.begin():
        key_id = (await accounts.issue_key(session, Role.finance, None)).record.id
    async with database.write_session() as session, session.begin():
        for name, expires in (("old", now - timedelta(seconds=1)), ("live", now + timedelta(hours=1))):
            await session.execute(
                insert(IdempotencyKey).values(
                    api_key_id=key_id,
                    key=name,
                    fingerprint="0" * 64,
                    status="completed",
                    locked_at=now,
                    created_at=now,
                    expires_at=expires,
                )
            )
        old_job = await queue.enqueue(session, "test.old", {})
        await session.execute(
            Job.__table__.update()
            .where(Job.id == old_job)
            .values(status="done", finished_at=now - timedelta(days=30))
        )
    registry = jobs.load_registry()
    worker = Worker(database, settings_for(database), registry)
    # The housekeeping job of this hour may already exist: run it again for this test.
    async with database.write_session() as session, session.begin():
        await queue.enqueue(session, "periodic:housekeeping", {"slot": now.isoformat()})
    await worker.drain()
    async with database.read_session() as session:
        keys = set((await session.execute(select(IdempotencyKey.key))).scalars())
        remaining = (await session.execute(select(func.count()).where(Job.id == old_job))).scalar()
    assert "old" not in keys and "live" in keys
    assert remaining == 0


async def test_a_mail_is_written_as_eml_without_smtp(database: Database, tmp_path: Path) -> None:
    settings = settings_for(database, mail_dir=str(tmp_path / "mail"))
    async with database.write_session() as session, session.begin():
        await enqueue_mail(
            session,
            "request_rejected",
            ["li.lei@acme.example"],
            {
                "request_id": "0b7e1e0c-8a4e-4c1e-9a53-2f1d7c3b9a10",
                "recipient": "Li Lei",
                "amount": "10.00",
                "reason": "Title <b>mismatch</b>",
            },
            cc=["boss@acme.example"],
        )
    mailer = DirectoryMailer(settings.mail_dir)
    worker = Worker(database, settings, _jobs_only(), {"mailer": mailer})
    assert await worker.drain() == 1
    [path] = list((tmp_path / "mail").glob("*.eml"))
    text = path.read_text()
    assert "To: li.lei@acme.example" in text and "Cc: boss@acme.example" in text
    assert "Message-ID: <" in text


def _jobs_only() -> Registry:
    """The service's job kinds without its periodic tasks (tests drive those themselves)."""
    registry = Registry()
    registry.kinds.update(jobs.load_registry().kinds)
    return registry


async def test_a_mail_reaches_a_real_smtp_server_once(database: Database) -> None:
    with smtp_server() as (recorder, url):
        settings = settings_for(database, smtp_url=url, mail_from="Invoices <billing@cloud.example>")
        async with database.write_session() as session, session.begin():
            await enqueue_mail(
                session,
                "request_rejected",
                ["han.meimei@acme.example"],
                {
                    "request_id": "5d1f6a3e-2b7c-4e8f-9a10-3c4d5e6f7a8b",
                    "recipient": "Han Meimei",
                    "amount": "99.00",
                    "reason": "驳回原因",
                },
            )
        mailer = SmtpMailer(parse_smtp_url(url), timeout=10)
        worker = Worker(database, settings, _jobs_only(), {"mailer": mailer})
        assert await worker.drain() == 1
        assert await worker.drain() == 0
        [received] = recorder.to("han.meimei@acme.example")
    message = received.message
    assert received.mail_from == "billing@cloud.example"
    assert message["Message-ID"].endswith("@cloud.example>")
    assert "驳回原因" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Rejected" in message["Subject"] or "rejected" in message["Subject"]
    assert message.get_body(("html",)) is not None
