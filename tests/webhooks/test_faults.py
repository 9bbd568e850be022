"""Faults, with real `invoicing worker` processes and a real receiver on loopback: the receiver
answering 500, hanging past the timeout, down for a while, and the worker holding the endpoint
SIGKILLed mid-delivery. Every event arrives, first arrivals in feed order, every delivery verified
by `standardwebhooks`, and a repeat carries the same `webhook-id` and body. SQLite: one worker
(restarted after the kill); PostgreSQL: two workers."""

import asyncio
import signal
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.cli import migrate
from app.core.auth import Role
from app.core.database import Database
from app.core.settings import Settings
from app.events import service as events
from app.main import create_app
from app.worker.models import Job
from tests.conftest import BACKENDS
from tests.factories import Api, issue_staff_key
from tests.server import running_worker
from tests.webhooks.receiver import Answer, receiving

pytestmark = pytest.mark.slow

ENV = {
    "INVOICING_WORKER_POLL_SECONDS": "0.1",
    "INVOICING_WORKER_LEASE_SECONDS": "2",
    "INVOICING_WEBHOOK_POLL_SECONDS": "0.1",
    "INVOICING_WEBHOOK_RETRY_SECONDS": "0.2,0.5",
    "INVOICING_WEBHOOK_TIMEOUT_SECONDS": "3",
}


async def _wait(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _holder_pid(url: str) -> int:
    """The pid of the worker holding the endpoint's job lease (its worker id is host:pid:…)."""
    database = Database(url)
    try:
        async with database.read_session() as session:
            locked_by = (
                await session.execute(
                    select(Job.locked_by).where(Job.kind == "webhook.deliver", Job.status == "running")
                )
            ).scalar_one()
    finally:
        await database.dispose()
    return int(str(locked_by).split(":")[1])


@pytest.mark.parametrize("kind", BACKENDS)
async def test_every_event_arrives_in_order_through_errors_hangs_outages_and_a_killed_worker(
    kind: str, fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    url = fresh_database_url(kind)
    migrate(url)
    app = create_app(Settings(database_url=url, log_level="WARNING", webhook_allowed_http_hosts="127.0.0.1"))
    ids: dict[int, str] = {}  # position in the feed -> event id, once written

    def script(index: int, webhook_id: str) -> Answer:
        position = next((p for p, i in ids.items() if i == webhook_id), -1)
        if index == 0 and position == 1:
            return Answer(status=500, body=b"boom")
        if index == 0 and position == 3:
            return Answer(hang_seconds=4)  # past the 3 s timeout
        if index == 0 and position == 7:
            return Answer(hang_seconds=30)  # the worker is killed while it waits
        return Answer(status=204, body=b"")

    try:
        with receiving(script) as receiver, ExitStack() as workers:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                api = Api(
                    client, await issue_staff_key(app, Role.billing), await issue_staff_key(app, Role.finance)
                )
                account = uuid.UUID(await api.account())
                response = await client.post(
                    "/v1/webhook-endpoints",
                    json={"url": receiver.url, "event_types": ["*"]},
                    headers=api.billing,
                )
                assert response.status_code == 201, response.text
                endpoint = response.json()
                count = 2 if kind == "postgres" else 1
                started = [
                    workers.enter_context(running_worker(url, tmp_path, ENV, name=f"worker-{n}"))
                    for n in range(count)
                ]

                async def write(first: int, how_many: int) -> None:
                    async with app.state.database.write_session() as session, session.begin():
                        await events.record_many(
                            session,
                            account,
                            [("certification.updated", {"n": n}) for n in range(first, first + how_many)],
                        )
                    # On PostgreSQL the feed holds an event back while any older transaction of the
                    # cluster is open (app/events/service.py): read it until it shows them all.
                    deadline = time.monotonic() + 60
                    while not all(n in ids for n in range(first, first + how_many)):
                        assert time.monotonic() < deadline, "the feed never showed the events written"
                        feed = await _feed(client, api)
                        ids.update({int(e["data"]["n"]): e["id"] for e in feed})
                        await asyncio.sleep(0.05)

                await write(0, 10)
                await _wait(lambda: ids[7] in receiver.ids(), "the event the worker dies on")
                pid = await _holder_pid(url)
                victim = next(w for w in started if w.process.pid == pid)
                assert victim.stop(signal.SIGKILL) == -signal.SIGKILL
                if kind == "sqlite":  # one worker per SQLite file: start another
                    started.append(
                        workers.enter_context(running_worker(url, tmp_path, ENV, name="worker-again"))
                    )
                await _wait(lambda: ids[9] in receiver.ids(), "the first batch")
                receiver.stop()  # down for a while
                await write(10, 5)
                await asyncio.sleep(3)
                receiver.start()
                await _wait(lambda: all(ids[n] in receiver.ids() for n in range(15)), "every event")

                assert receiver.first_arrivals() == [ids[n] for n in range(15)]
                for position in (1, 3, 7):
                    repeats = [r for r in receiver.received if r.webhook_id == ids[position]]
                    assert len(repeats) >= 2, position
                    assert len({r.body for r in repeats}) == 1  # the same event, the same body
                for got in receiver.received:
                    assert got.verify(endpoint["secret"])["id"] == got.webhook_id
                deliveries = await client.get(
                    f"/v1/webhook-endpoints/{endpoint['id']}/deliveries",
                    params={"limit": 100},
                    headers=api.billing,
                )
                outcomes = {d["outcome"] for d in deliveries.json()["data"]}
                assert {"delivered", "http_error", "timeout", "connection_error"} <= outcomes
            for worker in started:
                if worker is not victim:
                    assert worker.stop(signal.SIGTERM) == 0
                    assert endpoint["secret"] not in worker.log()
                    assert endpoint["secret"].removeprefix("whsec_") not in worker.log()
    finally:
        await app.state.database.dispose()


async def _feed(client: httpx.AsyncClient, api: Api) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": 100} | ({"after": after} if after else {})
        body = (await client.get("/v1/events", params=params, headers=api.finance)).json()
        seen.extend(body["data"])
        after = body["next_cursor"]
        if not body["has_more"]:
            return seen
