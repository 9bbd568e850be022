"""Issuing through the sandbox with two real `invoicing worker` processes on PostgreSQL: the worker
holding the issuing job is killed with SIGKILL after it submitted and before it recorded; the other
takes the job over, submits the same serial again, and the request ends `issued` with one invoice —
the platform issued it once."""

import asyncio
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from app.cli import migrate
from app.core.auth import Role
from app.core.database import Database
from app.core.settings import Settings
from app.main import create_app
from app.requests.issuing import ISSUE_JOB
from app.requests.models import Invoice, InvoiceRequest, InvoiceRequestEvent
from app.taxplatform.models import SandboxInvoice
from app.worker.models import Job
from tests.conftest import POSTGRES_URL
from tests.factories import Api, issue_staff_key
from tests.requests.helpers import create, move, ready_customer
from tests.server import WorkerProcess, running_worker

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not POSTGRES_URL, reason="several workers need PostgreSQL (INVOICING_TEST_POSTGRES_URL)"
    ),
]


async def _issuing_request(database_url: str) -> str:
    app = create_app(Settings(database_url=database_url, log_level="WARNING", tax_platform="sandbox"))
    try:
        billing = await issue_staff_key(app, Role.billing)
        finance = await issue_staff_key(app, Role.finance)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            api = Api(client, billing, finance)
            ready = await ready_customer(api, bills=2, invoice_type="vat_ordinary")
            request = await create(client, ready)
            assert (await move(client, api, request["id"], "start")).status_code == 200
            issued = await client.post(f"/v1/invoice-requests/{request['id']}/issue", headers=api.finance)
            assert issued.status_code == 202, issued.text
            return str(request["id"])
    finally:
        await app.state.database.dispose()


async def _holder(database: Database, request_id: str) -> str | None:
    """The lease token of the running issuing job, once its invoice reached the sandbox."""
    async with database.read_session() as session:
        submitted = await session.scalar(
            select(func.count()).where(SandboxInvoice.serial.like(f"{uuid.UUID(request_id).hex}%"))
        )
        if not submitted:
            return None
        return await session.scalar(
            select(Job.locked_by).where(Job.kind == ISSUE_JOB, Job.status == "running")
        )


async def _status(database: Database, request_id: str) -> str:
    async with database.read_session() as session:
        status = await session.scalar(
            select(InvoiceRequest.status).where(InvoiceRequest.id == uuid.UUID(request_id))
        )
        return str(status)


async def test_a_worker_killed_between_submit_and_record_issues_nothing_twice(
    fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    database_url = fresh_database_url("postgres")
    migrate(database_url)
    request_id = await _issuing_request(database_url)
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
            assert await _status(database, request_id) == "issuing"  # not recorded yet
            [survivor] = workers.values()
            while await _status(database, request_id) != "issued":
                assert time.monotonic() < deadline + 60, survivor.log()
                await asyncio.sleep(0.2)
            assert survivor.stop() == 0
        async with database.read_session() as session:
            sandbox = (
                await session.execute(
                    select(SandboxInvoice.serial, SandboxInvoice.number).where(
                        SandboxInvoice.serial.like(f"{uuid.UUID(request_id).hex}%")
                    )
                )
            ).all()
            invoices = (
                await session.scalars(
                    select(Invoice.number).where(Invoice.request_id == uuid.UUID(request_id))
                )
            ).all()
            steps = (
                await session.scalars(
                    select(InvoiceRequestEvent.status)
                    .where(InvoiceRequestEvent.request_id == uuid.UUID(request_id))
                    .order_by(InvoiceRequestEvent.id)
                )
            ).all()
        assert [serial for serial, _ in sandbox] == [f"{uuid.UUID(request_id).hex}B00001"]
        assert list(invoices) == [sandbox[0][1]]  # the one number the platform issued
        assert list(steps) == ["pending", "processing", "issuing", "issued"]
    finally:
        await database.dispose()
