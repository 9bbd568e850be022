"""The database goes down while a real `invoicing worker` is issuing through the sandbox, after the
submission and before the record, and comes back: the worker survives (its database errors are
retried), and the request ends `issued` once — one number per draft invoice, each serial issued once
by the platform, nothing half-written. A private PostgreSQL cluster, never the shared server."""

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cli import migrate
from app.core.database import Database
from app.requests.issuing import ISSUE_JOB
from app.worker.models import Job
from tests.pgcluster import missing_cluster_tools, private_cluster
from tests.requests.issuing_processes import (
    issuing_request,
    recorded,
    request_status,
    serial_prefix,
    submitted,
)
from tests.server import running_worker


@pytest.mark.slow
@pytest.mark.xdist_group("postgres-outage")  # one private cluster at a time, on one xdist worker
async def test_the_database_down_while_the_worker_issues_issues_nothing_twice(tmp_path: Path) -> None:
    reason = missing_cluster_tools()
    if reason:
        pytest.skip(reason)
    with private_cluster() as cluster:
        migrate(cluster.url)
        request_id = await issuing_request(cluster.url)
        env = {
            "INVOICING_TAX_PLATFORM": "sandbox",
            # Pending for 3 s after the submission: the worker submits, then polls.
            "INVOICING_TAX_SANDBOX_DELAY_SECONDS": "3",
            "INVOICING_WORKER_POLL_SECONDS": "0.1",
            "INVOICING_WORKER_LEASE_SECONDS": "2",
            "INVOICING_MAIL_DIR": str(tmp_path / "mail"),
        }
        database = Database(cluster.url)
        try:
            with running_worker(cluster.url, tmp_path, env) as worker:
                deadline = time.monotonic() + 60
                while not await submitted(database, request_id):
                    assert time.monotonic() < deadline, worker.log()
                    await asyncio.sleep(0.05)
                assert await request_status(database, request_id) == "issuing"  # not recorded yet
                cluster.stop_immediately()
                await asyncio.sleep(4)  # past the sandbox's delay and the lease
                assert worker.process.poll() is None, worker.log()  # it survived the outage
                cluster.start()
                while await request_status(database, request_id) != "issued":
                    assert time.monotonic() < deadline + 60, worker.log()
                    await asyncio.sleep(0.2)
                assert worker.stop() == 0, worker.log()
                log = worker.log()
            assert '"message": "database unavailable; waiting"' in log, log[-3000:]
            result = await recorded(database, request_id)
            async with database.read_session() as session:  # the cluster holds this one request
                jobs = (
                    await session.execute(select(Job.status, Job.last_error).where(Job.kind == ISSUE_JOB))
                ).all()
        finally:
            await database.dispose()
    assert [serial for serial, _ in result.sandbox] == [f"{serial_prefix(request_id)}B00001"]
    assert result.invoices == [result.sandbox[0][1]]  # the one number the platform issued
    assert result.steps == ["pending", "processing", "issuing", "issued"]
    assert [tuple(job) for job in jobs] == [("done", None)]  # settled once, not left running or failed
