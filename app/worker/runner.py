"""The worker loop: schedule periodic runs, take one due job at a time, run it, record the outcome.

One job at a time per process; run more processes for more throughput (on PostgreSQL). A job runs
outside any transaction; its outcome (done, retry later, failed) is written in one transaction
together with the job kind's hook. While a job runs, its lease is extended every third of
`INVOICING_WORKER_LEASE_SECONDS`, so only a dead worker's job is ever taken over. SIGTERM (or
SIGINT) stops the loop after the job in hand; SIGKILL loses nothing: the lease expires and another
worker (or this one, restarted) runs the job again.
"""

import asyncio
import contextlib
import logging
import os
import signal
import socket
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError

from app.core.clock import utcnow
from app.core.database import Database
from app.core.settings import Settings
from app.worker import queue
from app.worker.queue import ClaimedJob, LeaseLost
from app.worker.registry import JobContext, JobKind, Registry, RunAgain

logger = logging.getLogger("invoicing.worker")


def describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class Worker:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        registry: Registry,
        services: Mapping[str, Any] | None = None,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.registry = registry
        self.services = dict(services or {})
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._scheduled: dict[str, datetime] = {}

    # --- periodic tasks ---------------------------------------------------------------------

    async def schedule_periodic(self) -> None:
        """Write this slot's job for every periodic task whose slot changed since we last looked.

        Every worker does this; the job's dedupe key (`name@slot`) lets exactly one row in."""
        now = utcnow()
        for task in self.registry.periodic_tasks.values():
            slot = task.slot_of(now)
            if slot is None or self._scheduled.get(task.name) == slot:
                continue
            async with self.database.write_session() as session, session.begin():
                await queue.enqueue(
                    session,
                    task.kind,
                    {"slot": slot.isoformat()},
                    dedupe_key=f"{task.name}@{slot.isoformat()}",
                )
            self._scheduled[task.name] = slot

    # --- jobs -------------------------------------------------------------------------------

    async def run_next(self) -> bool:
        """Claim and run one due job; False when none is due."""
        async with self.database.write_session() as session, session.begin():
            job = await queue.claim(session, self.worker_id, self.settings.worker_lease_seconds)
        if job is None:
            return False
        await self._run(job)
        return True

    async def _run(self, job: ClaimedJob) -> None:
        kind = self.registry.kinds.get(job.kind)
        context = JobContext(job=job, database=self.database, settings=self.settings, services=self.services)
        log = {"job_id": job.id, "kind": job.kind, "attempt": job.attempts}
        heartbeat = asyncio.create_task(self._heartbeat(job))
        error: str | None = None
        again: RunAgain | None = None
        try:
            if kind is None:
                error = f"no code for job kind {job.kind} in this worker"
            else:
                again = await kind.run(context)
        except Exception as exc:
            error = describe(exc)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        try:
            if again is not None and error is None:
                async with self.database.write_session() as session, session.begin():
                    await queue.reschedule(session, job, again.at)
                return
            await self._settle(kind, context, error)
        except LeaseLost:
            logger.warning("job lease lost; another worker took it over", extra=log)
            return
        if error is None:
            logger.info("job done", extra=log)
        else:
            logger.warning("job failed", extra={**log, "error": error, "final": self.is_last_try(kind, job)})

    async def _settle(self, kind: JobKind | None, context: JobContext, error: str | None) -> None:
        job = context.job
        # The hook runs before the job's row is updated: a hook that locks an account must do so
        # before anything gives the transaction an id (app/accounts/ledger.py). The job's update
        # still refuses a lost lease, which rolls the hook's writes back with it.
        async with self.database.write_session() as session, session.begin():
            if error is None:
                if kind is not None and kind.success_hook is not None:
                    await kind.success_hook(session, context)
                await queue.complete(session, job)
                return
            final = self.is_last_try(kind, job)
            if kind is not None and kind.failure_hook is not None:
                await kind.failure_hook(session, context, error, final)
            if final:
                await queue.give_up(session, job, error)
            else:
                await queue.retry_later(session, job, error, self.pause_before_retry(job.attempts))

    def is_last_try(self, kind: JobKind | None, job: ClaimedJob) -> bool:
        tries = kind.max_attempts if kind is not None and kind.max_attempts else None
        return job.attempts >= (tries or len(self.settings.retry_pauses) + 1)

    def pause_before_retry(self, attempts: int) -> float:
        """Growing pauses: the n-th entry of INVOICING_WORKER_RETRY_SECONDS after the n-th try."""
        pauses = self.settings.retry_pauses
        return pauses[min(attempts, len(pauses)) - 1]

    async def _heartbeat(self, job: ClaimedJob) -> None:
        interval = self.settings.worker_lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            try:
                async with self.database.write_session() as session, session.begin():
                    await queue.extend_lease(session, job, self.settings.worker_lease_seconds)
            except LeaseLost:
                return
            except (OperationalError, DBAPIError) as exc:
                logger.warning("could not extend the job's lease", extra={"error": describe(exc)})

    # --- the loop ---------------------------------------------------------------------------

    async def step(self) -> bool:
        """Schedule what is due, then run one job; False when there was nothing to run."""
        await self.schedule_periodic()
        return await self.run_next()

    async def drain(self) -> int:
        """Run due jobs until none is left; returns how many ran (for tests and one-off runs)."""
        count = 0
        while await self.step():
            count += 1
        return count

    async def run(self, stop: asyncio.Event, parent_pid: int | None = None) -> None:
        logger.info("worker started", extra={"worker_id": self.worker_id})
        while not stop.is_set():
            if parent_pid is not None and os.getppid() != parent_pid:
                logger.info("the process that started this worker is gone; stopping")
                break
            try:
                ran = await self.step()
            except (OperationalError, DBAPIError) as exc:
                logger.warning("database unavailable; waiting", extra={"error": describe(exc)})
                ran = False
            except Exception:
                logger.exception("worker step failed; waiting")
                ran = False
            if not ran:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.worker_poll_seconds)
        logger.info("worker stopped", extra={"worker_id": self.worker_id})


async def run_worker(
    settings: Settings,
    registry: Registry,
    services: Mapping[str, Any],
    *,
    drain: bool = False,
    parent_pid: int | None = None,
) -> int:
    """The `invoicing worker` process: runs until SIGTERM/SIGINT (after the job in hand)."""
    database = Database(
        settings.database_url,
        pool_size=2,
        max_overflow=2,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        strict_lock_order=settings.strict_lock_order,
    )
    worker = Worker(database, settings, registry, services)
    try:
        if drain:
            count = await worker.drain()
            print(f"ran {count} jobs")
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await worker.run(stop, parent_pid=parent_pid)
        return 0
    finally:
        await database.dispose()
