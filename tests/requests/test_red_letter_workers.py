"""Two real `invoicing worker` processes on PostgreSQL over a batch of red-letter reversals whose
deadline passed: every reversal expires exactly once (one `invoice_request.reversal_expired` event,
one `system` step back on its timeline), even with each expiry job written twice."""

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, insert, select, update

from app.cli import migrate
from app.core.auth import Role
from app.core.clock import utcnow
from app.core.database import Database
from app.core.settings import Settings
from app.events.models import Event
from app.main import create_app
from app.requests.models import InvoiceRequest, InvoiceRequestEvent
from app.requests.red_letter import EXPIRY_JOB
from app.worker.models import Job
from tests.conftest import POSTGRES_URL
from tests.factories import Api, issue_staff_key
from tests.requests.helpers import create, issue_whole, move, ready_customer
from tests.server import running_worker

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not POSTGRES_URL, reason="several workers need PostgreSQL (INVOICING_TEST_POSTGRES_URL)"
    ),
]

BATCH = 12


async def _reversals(database_url: str) -> tuple[str, list[str]]:
    """BATCH special-invoice requests reversed, awaiting the buyer; (account id, request ids)."""
    app = create_app(Settings(database_url=database_url, log_level="WARNING"))
    try:
        billing = await issue_staff_key(app, Role.billing)
        finance = await issue_staff_key(app, Role.finance)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            api = Api(client, billing, finance)
            ready = await ready_customer(api, bills=BATCH, invoice_type="vat_special")
            ids = []
            for index, bill in enumerate(ready.bills):
                request = await create(client, ready, bills=[bill], cards=[])
                request = await issue_whole(client, api, request, f"EXP-{index:03d}-{uuid.uuid4().hex[:8]}")
                response = await move(client, api, request["id"], "reverse", {"reason": "Wrong header"})
                assert response.json()["red_letter"]["confirmation"] == "awaiting_buyer"
                ids.append(request["id"])
            return ready.customer.account_id, ids
    finally:
        await app.state.database.dispose()


async def _make_all_due_twice(database_url: str, ids: list[str]) -> None:
    """Every deadline in the past, and every expiry job written a second time."""
    past = utcnow() - timedelta(seconds=5)
    database = Database(database_url)
    try:
        async with database.write_session() as session, session.begin():
            for request_id in ids:
                row = (
                    await session.execute(
                        select(InvoiceRequest).where(InvoiceRequest.id == uuid.UUID(request_id))
                    )
                ).scalar_one()
                letter = {**row.red_letter, "expires_at": past.isoformat()}
                await session.execute(
                    update(InvoiceRequest).where(InvoiceRequest.id == row.id).values(red_letter=letter)
                )
            jobs = (await session.execute(select(Job).where(Job.kind == EXPIRY_JOB))).scalars().all()
            for job in jobs:
                job.run_after = past
                await session.execute(
                    insert(Job).values(
                        kind=job.kind,
                        payload=dict(job.payload),
                        status="queued",
                        attempts=0,
                        run_after=past,
                        created_at=past,
                        updated_at=past,
                    )
                )
    finally:
        await database.dispose()


async def _open(database_url: str) -> int:
    database = Database(database_url)
    try:
        async with database.read_session() as session:
            statement = select(func.count()).where(
                Job.kind == EXPIRY_JOB, Job.status.in_(("queued", "running"))
            )
            return int((await session.execute(statement)).scalar_one())
    finally:
        await database.dispose()


async def test_two_workers_expire_each_reversal_once(
    fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    database_url = fresh_database_url("postgres")
    migrate(database_url)
    account_id, ids = await _reversals(database_url)
    await _make_all_due_twice(database_url, ids)
    env = {
        "INVOICING_WORKER_POLL_SECONDS": "0.1",
        "INVOICING_WORKER_LEASE_SECONDS": "3",
        "INVOICING_MAIL_DIR": str(tmp_path / "mail"),
    }
    with (
        running_worker(database_url, tmp_path, env, name="a") as a,
        running_worker(database_url, tmp_path, env, name="b") as b,
    ):
        deadline = time.monotonic() + 90
        while await _open(database_url) > 0:
            assert time.monotonic() < deadline, "the expiry jobs were not all run"
            await asyncio.sleep(0.2)
        assert a.stop() == 0 and b.stop() == 0
    ran = a.log().count(f'"kind": "{EXPIRY_JOB}"'), b.log().count(f'"kind": "{EXPIRY_JOB}"')
    database = Database(database_url)
    try:
        async with database.read_session() as session:
            events = (
                (
                    await session.execute(
                        select(Event.data).where(
                            Event.account_id == uuid.UUID(account_id),
                            Event.type == "invoice_request.reversal_expired",
                        )
                    )
                )
                .scalars()
                .all()
            )
            steps = (
                (
                    await session.execute(
                        select(InvoiceRequestEvent.request_id).where(
                            InvoiceRequestEvent.actor_role == "system", InvoiceRequestEvent.status == "issued"
                        )
                    )
                )
                .scalars()
                .all()
            )
            statuses = (
                (
                    await session.execute(
                        select(InvoiceRequest.status).where(
                            InvoiceRequest.id.in_([uuid.UUID(i) for i in ids])
                        )
                    )
                )
                .scalars()
                .all()
            )
    finally:
        await database.dispose()
    assert sorted(event["id"] for event in events) == sorted(ids), "one reversal_expired event per request"
    assert sorted(str(step) for step in steps) == sorted(ids), "one system step back per request"
    assert set(statuses) == {"issued"}
    assert all(event["red_letter"]["confirmation"] == "expired" for event in events)
    print(f"expiry jobs run by a, b: {ran}")
