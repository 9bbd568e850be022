"""What each job kind does, and the periodic tasks: the worker's two extension points.

A job kind (run for every job of that kind that `queue.enqueue` wrote):

    from app.worker.registry import JobContext, registry

    @registry.job("thing.notify")  # tries: INVOICING_WORKER_RETRY_SECONDS pauses + 1, or max_attempts=
    async def notify(ctx: JobContext) -> None:
        ...  # the work, outside any transaction; raise to have it retried with growing pauses

    @notify.on_success
    async def _sent(session: AsyncSession, ctx: JobContext) -> None:
        ...  # runs in the transaction that marks the job done

    @notify.on_failure
    async def _failed(session: AsyncSession, ctx: JobContext, error: str, final: bool) -> None:
        ...  # runs in the transaction that re-queues the job (final=False) or gives it up (final=True)

A job that is never finished (one per webhook endpoint) returns `RunAgain(at)`: it is queued again
for `at`, with its tries counted from zero, instead of being marked done.

A periodic task (one job per slot across every worker, deduplicated in the database):

    @registry.periodic("idempotency_keys.purge", every=timedelta(hours=1))
    async def purge(ctx: JobContext) -> None: ...

    @registry.daily("auto_invoicing.run", at=time(1, 0))  # once a day, from 01:00 UTC
    async def run_auto_invoicing(ctx: JobContext) -> None:
        today = ctx.slot.date()  # the day this run is for
        async with ctx.database.write_session() as session, session.begin():
            ...

Put the module in `app/jobs.py` (JOB_MODULES) so every worker imports it.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import Database
from app.core.settings import Settings
from app.worker.queue import ClaimedJob

PERIODIC_PREFIX = "periodic:"


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a job's code gets: the job, the database, the settings, and shared services."""

    job: ClaimedJob
    database: Database
    settings: Settings
    services: dict[str, Any] = field(default_factory=dict)  # e.g. "mailer"

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    @property
    def slot(self) -> datetime:
        """A periodic run's slot: the start of the hour/day/interval it runs for."""
        return datetime.fromisoformat(self.job.payload["slot"])


@dataclass(frozen=True, slots=True)
class RunAgain:
    """What a job's code returns to be queued again for `at` (not a failure: tries start again)."""

    at: datetime


Run = Callable[[JobContext], Awaitable[RunAgain | None]]
OnSuccess = Callable[[AsyncSession, JobContext], Awaitable[None]]
OnFailure = Callable[[AsyncSession, JobContext, str, bool], Awaitable[None]]


@dataclass(slots=True)
class JobKind:
    name: str
    run: Run
    max_attempts: int | None = None  # None: as many as INVOICING_WORKER_RETRY_SECONDS allows
    success_hook: OnSuccess | None = None
    failure_hook: OnFailure | None = None

    def on_success(self, hook: OnSuccess) -> OnSuccess:
        self.success_hook = hook
        return hook

    def on_failure(self, hook: OnFailure) -> OnFailure:
        self.failure_hook = hook
        return hook


@dataclass(frozen=True, slots=True)
class Periodic:
    """A task run once per slot; `slot_of(now)` is the start of the slot `now` falls in, or None
    when no slot has begun (a daily task before its time of day)."""

    name: str
    kind: str
    slot_of: Callable[[datetime], datetime | None]


class Registry:
    def __init__(self) -> None:
        self.kinds: dict[str, JobKind] = {}
        self.periodic_tasks: dict[str, Periodic] = {}

    def job(self, name: str, *, max_attempts: int | None = None) -> Callable[[Run], JobKind]:
        def register(run: Run) -> JobKind:
            if name in self.kinds:
                raise ValueError(f"job kind {name} is registered twice")
            kind = JobKind(name=name, run=run, max_attempts=max_attempts)
            self.kinds[name] = kind
            return kind

        return register

    def periodic(self, name: str, *, every: timedelta, max_attempts: int = 3) -> Callable[[Run], JobKind]:
        """Run once every `every` (slots aligned to the Unix epoch, UTC)."""
        step = every.total_seconds()
        if step <= 0:
            raise ValueError("every must be positive")

        def slot_of(now: datetime) -> datetime:
            start = (now.timestamp() // step) * step
            return datetime.fromtimestamp(start, UTC)

        return self._schedule(name, slot_of, max_attempts)

    def daily(self, name: str, *, at: time = time(0, 0), max_attempts: int = 3) -> Callable[[Run], JobKind]:
        """Run once a day, as soon as a worker sees the UTC time of day `at` has passed."""

        def slot_of(now: datetime) -> datetime | None:
            start = datetime.combine(now.astimezone(UTC).date(), at, UTC)
            return start if now >= start else None

        return self._schedule(name, slot_of, max_attempts)

    def _schedule(
        self, name: str, slot_of: Callable[[datetime], datetime | None], max_attempts: int
    ) -> Callable[[Run], JobKind]:
        kind_name = PERIODIC_PREFIX + name
        register = self.job(kind_name, max_attempts=max_attempts)

        def decorate(run: Run) -> JobKind:
            kind = register(run)
            self.periodic_tasks[name] = Periodic(name=name, kind=kind_name, slot_of=slot_of)
            return kind

        return decorate


# The one registry every worker reads; job modules (app/jobs.py) add to it when imported.
registry = Registry()
