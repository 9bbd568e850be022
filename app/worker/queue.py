"""Writing jobs, and the lease protocol that several workers share.

A job is written with `enqueue` in the caller's transaction, so it exists exactly when the change
that needs it is committed. A worker takes one with `claim`: a conditional UPDATE of the oldest due
row (on PostgreSQL the row is first picked `FOR UPDATE SKIP LOCKED`, so concurrent workers pick
different rows and never wait on each other; SQLite runs one writer at a time). The claim sets a
lease (`locked_by` = a token unique to this claim, `locked_until`); a running job whose lease has
expired is due again, so a worker killed with SIGKILL loses no job. Finishing, retrying or failing
a job is conditional on the claim's token: a worker that lost its lease cannot overwrite the
outcome of the worker that took the job over.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.worker.models import Job

MAX_ERROR_LENGTH = 2000


class LeaseLost(Exception):
    """The job's lease expired and another worker took it over; this worker's outcome is dropped."""


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int  # this try's number, from 1
    token: str  # the lease: identifies this claim
    created_at: datetime


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: Mapping[str, Any],
    *,
    run_after: datetime | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Write a job in the caller's transaction; returns its id.

    With `dedupe_key`, a second job with the same key is not written (returns None): the key names
    the work once, e.g. a periodic task's run for one slot.
    """
    now = utcnow()
    values = {
        "kind": kind,
        "payload": dict(payload),
        "status": "queued",
        "dedupe_key": dedupe_key,
        "attempts": 0,
        "run_after": run_after or now,
        "created_at": now,
        "updated_at": now,
    }
    connection = await session.connection()
    if dedupe_key is None:
        result = await connection.execute(insert(Job).values(values).returning(Job.id))
        return int(result.scalar_one())
    dialect = connection.dialect.name
    builder = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = builder(Job).values(values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = await connection.execute(statement.returning(Job.id))
    job_id = result.scalar_one_or_none()
    return None if job_id is None else int(job_id)


def _due(now: datetime) -> Any:
    return or_(
        and_(Job.status == "queued", Job.run_after <= now),
        and_(Job.status == "running", Job.locked_until < now),
    )


async def claim(session: AsyncSession, worker_id: str, lease_seconds: float) -> ClaimedJob | None:
    """Take the oldest due job (queued and due, or running with an expired lease), or None."""
    now = utcnow()
    pick = (
        select(Job.id)
        .where(_due(now))
        .order_by(Job.run_after, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite renders no locking clause
    )
    job_id = (await session.execute(pick)).scalar_one_or_none()
    if job_id is None:
        return None
    token = f"{worker_id}/{uuid.uuid4().hex[:12]}"
    result = await session.execute(
        update(Job)
        .where(Job.id == job_id, _due(now))
        .values(
            status="running",
            locked_by=token,
            locked_until=now + timedelta(seconds=lease_seconds),
            attempts=Job.attempts + 1,
            updated_at=now,
        )
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.created_at)
        .execution_options(synchronize_session=False)
    )
    row = result.one_or_none()
    if row is None:
        return None
    return ClaimedJob(
        id=row.id,
        kind=row.kind,
        payload=dict(row.payload),
        attempts=row.attempts,
        token=token,
        created_at=row.created_at,
    )


async def _settle(session: AsyncSession, job: ClaimedJob, **values: Any) -> None:
    result = await session.execute(
        update(Job)
        .where(Job.id == job.id, Job.status == "running", Job.locked_by == job.token)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(f"job {job.id} was taken over by another worker")


async def complete(session: AsyncSession, job: ClaimedJob) -> None:
    await _settle(
        session, job, status="done", finished_at=utcnow(), locked_by=None, locked_until=None, last_error=None
    )


async def reschedule(session: AsyncSession, job: ClaimedJob, run_after: datetime) -> None:
    """The job asked to run again (`RunAgain`): a new run of the same row, so its age (the queue's
    oldest-job gauge) and its tries start again."""
    now = utcnow()
    await _settle(
        session,
        job,
        status="queued",
        run_after=run_after,
        attempts=0,
        created_at=now,
        locked_by=None,
        locked_until=None,
        last_error=None,
    )


async def wake(session: AsyncSession, dedupe_key: str) -> None:
    """Bring a queued job (named by its dedupe key) forward to now; nothing if it is running or gone."""
    now = utcnow()
    await session.execute(
        update(Job)
        .where(Job.dedupe_key == dedupe_key, Job.status == "queued", Job.run_after > now)
        .values(run_after=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def retry_later(session: AsyncSession, job: ClaimedJob, error: str, pause_seconds: float) -> None:
    await _settle(
        session,
        job,
        status="queued",
        run_after=utcnow() + timedelta(seconds=pause_seconds),
        locked_by=None,
        locked_until=None,
        last_error=error[:MAX_ERROR_LENGTH],
    )


async def give_up(session: AsyncSession, job: ClaimedJob, error: str) -> None:
    await _settle(
        session,
        job,
        status="failed",
        finished_at=utcnow(),
        locked_by=None,
        locked_until=None,
        last_error=error[:MAX_ERROR_LENGTH],
    )


async def extend_lease(session: AsyncSession, job: ClaimedJob, lease_seconds: float) -> None:
    await _settle(session, job, locked_until=utcnow() + timedelta(seconds=lease_seconds))


@dataclass(frozen=True, slots=True)
class QueueStats:
    queued: int
    running: int
    failed: int
    oldest_age_seconds: float  # of the oldest job not yet finished (0 when none)


async def stats(session: AsyncSession) -> QueueStats:
    rows = (
        await session.execute(
            select(Job.status, func.count(), func.min(Job.created_at))
            .where(Job.status.in_(("queued", "running", "failed")))
            .group_by(Job.status)
        )
    ).all()
    counts = {row[0]: int(row[1]) for row in rows}
    pending = [row[2] for row in rows if row[0] in ("queued", "running") and row[2] is not None]
    oldest = min(pending) if pending else None
    if oldest is not None and oldest.tzinfo is None:  # min() over a SQLite text column
        oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=utcnow().tzinfo)
    age = max(0.0, (utcnow() - oldest).total_seconds()) if oldest is not None else 0.0
    return QueueStats(
        queued=counts.get("queued", 0),
        running=counts.get("running", 0),
        failed=counts.get("failed", 0),
        oldest_age_seconds=age,
    )
