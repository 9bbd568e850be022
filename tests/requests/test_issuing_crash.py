"""Issuing through the sandbox with two real `invoicing worker` processes on PostgreSQL: the worker
holding the issuing job is killed with SIGKILL after it submitted and before it recorded; the other
takes the job over, submits the same serial again, and the request ends `issued` with one invoice —
the platform issued it once."""

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cli import migrate
from app.core.database import Database
from app.requests.issuing import ISSUE_JOB
from app.worker.models import Job
from tests.conftest import POSTGRES_URL
from tests.requests.issuing_processes import (
    issuing_request,
    recorded,
    request_status,
    serial_prefix,
    submitted,
)
from tests.server import WorkerProcess, running_worker

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not POSTGRES_URL, reason="several workers need PostgreSQL (INVOICING_TEST_POSTGRES_URL)"
    ),
]


async def _holder(database: Database, request_id: str) -> str | None:
    """The lease token of the running issuing job, once its invoice reached the sandbox."""
    if not await submitted(database, request_id):
        return None
    async with database.read_session() as session:
        return await session.scalar(
            select(Job.locked_by).where(Job.kind == ISSUE_JOB, Job.status == "running")
        )


async def test_a_worker_killed_between_submit_and_record_issues_nothing_twice(
    fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    database_url = fresh_database_url("postgres")
    migrate(database_url)
    request_id = await issuing_request(database_url)
    env = {
        "INVOICING_TAX_PLATFORM": "sandbox",
        # Pending for 4 s after the submission: the window between submit and record.
        "INVOICING_TAX_SANDBOX_DELAY_SECONDS": "4",
        "INVOICING_WORKER_POLL_SECONDS": "0.1",
        "INVOICING_WORKER_LEASE_SECONDS": "2",
        "INVOICING_MAIL_DIR": str(tmp_path / "mail"),
    }
    database = Database(database_url)
    try:
        with (
            running_worker(database_url, tmp_path, env, name="a") as a,
            running_worker(database_url, tmp_path, env, name="b") as b,
        ):
            workers: dict[int, WorkerProcess] = {a.process.pid: a, b.process.pid: b}
            deadline = time.monotonic() + 60
            holder = None
            while holder is None:
                assert time.monotonic() < deadline, a.log() + b.log()
                holder = await _holder(database, request_id)
                await asyncio.sleep(0.05)
            pid = int(holder.split("/")[0].split(":")[1])
            killed = workers.pop(pid)
            assert killed.stop(signal.SIGKILL) == -signal.SIGKILL
            assert await request_status(database, request_id) == "issuing"  # not recorded yet
            [survivor] = workers.values()
            while await request_status(database, request_id) != "issued":
                assert time.monotonic() < deadline + 60, survivor.log()
                await asyncio.sleep(0.2)
            assert survivor.stop() == 0
        result = await recorded(database, request_id)
        assert [serial for serial, _ in result.sandbox] == [f"{serial_prefix(request_id)}B00001"]
        assert result.invoices == [result.sandbox[0][1]]  # the one number the platform issued
        assert result.steps == ["pending", "processing", "issuing", "issued"]
    finally:
        await database.dispose()
