"""A database outage is 503 `database_unavailable` with Retry-After, never a 500, and the service
recovers by itself with every acknowledged write kept.

PostgreSQL: a private cluster (initdb/pg_ctl on a free port, run as the OS user `postgres`) under a
real `invoicing serve --workers 2`, stopped with an immediate shutdown under a load of creations
and started again. SQLite has no server to stop; what it can be is locked out (another process
holding the write lock past the busy timeout), which takes the same path.
"""

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.cli import migrate
from app.core.auth import Role
from app.core.settings import Settings
from app.main import create_app
from tests.factories import bearer, issue_staff_key
from tests.pgcluster import missing_cluster_tools, private_cluster
from tests.reliability.world import record_figures
from tests.server import running_server


@dataclass
class Load:
    """Creations from several clients until told to stop; every answer kept."""

    http: httpx.AsyncClient
    headers: dict[str, str]
    acknowledged: dict[str, str] = field(default_factory=dict)  # external_id -> account id
    unavailable: list[httpx.Response] = field(default_factory=list)
    other: list[httpx.Response] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def client(self, number: int) -> None:
        while not self.stop.is_set():
            external_id = f"outage-{number}-{uuid.uuid4().hex}"
            headers = self.headers | {"Idempotency-Key": external_id}
            try:
                response = await self.http.post(
                    "/v1/accounts", json={"name": "Outage Ltd.", "external_id": external_id}, headers=headers
                )
            except httpx.HTTPError as error:  # the server itself must stay up
                self.errors.append(repr(error))
                await asyncio.sleep(0.05)
                continue
            if response.status_code == 201:
                self.acknowledged[external_id] = response.json()["id"]
            elif response.status_code == 503:
                self.unavailable.append(response)
                await asyncio.sleep(0.02)
            else:
                self.other.append(response)

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        for _ in range(1200):  # a minute at most: a hang fails, it does not time the service
            if condition():
                return
            await asyncio.sleep(0.05)
        pytest.fail(what)


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "database_unavailable", response.text
    assert int(response.headers["retry-after"]) >= 1


@pytest.mark.slow
@pytest.mark.xdist_group("postgres-outage")  # one private cluster at a time, on one xdist worker
@pytest.mark.parametrize("pre_ping", [True, False], ids=["pre-ping", "no-pre-ping"])
async def test_postgres_outage_is_503_and_loses_nothing_acknowledged(tmp_path: Path, pre_ping: bool) -> None:
    reason = missing_cluster_tools()
    if reason:
        pytest.skip(reason)
    with private_cluster() as cluster:
        migrate(cluster.url)
        app = create_app(Settings(database_url=cluster.url))
        key = bearer(await issue_staff_key(app, Role.billing))
        await app.state.database.dispose()
        env = {"INVOICING_DB_PRE_PING": "true" if pre_ping else "false"}
        with running_server(cluster.url, tmp_path, workers=2, extra_env=env) as server:
            limits = httpx.Limits(max_connections=8)
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30, limits=limits) as http:
                load = Load(http, key)
                clients = [asyncio.create_task(load.client(n)) for n in range(6)]
                try:
                    await load.until(lambda: len(load.acknowledged) >= 30, "no creation before the outage")
                    cluster.stop_immediately()
                    await load.until(lambda: len(load.unavailable) >= 30, "no 503 while the database is down")
                    ready = await http.get("/readyz")
                    assert ready.status_code == 503
                    before_restart = len(load.acknowledged)
                    restarted = time.monotonic()
                    cluster.start()
                    await load.until(lambda: len(load.acknowledged) > before_restart, "no recovery")
                    first_after_restart = time.monotonic() - restarted
                    await load.until(
                        lambda: len(load.acknowledged) >= before_restart + 30, "no recovery after the restart"
                    )
                finally:
                    load.stop.set()
                    await asyncio.gather(*clients)
                assert (await http.get("/readyz")).status_code == 200
                assert load.errors == []
                assert [(r.status_code, r.text[:200]) for r in load.other] == []
                for response in load.unavailable:
                    _assert_unavailable(response)
                # Every acknowledged creation is there.
                for external_id, account_id in load.acknowledged.items():
                    found = await http.get(f"/v1/accounts/{account_id}", headers=key)
                    assert found.status_code == 200, (external_id, found.text)
                    assert found.json()["external_id"] == external_id
        record_figures(
            "postgres_outage",
            acknowledged=len(load.acknowledged),
            unavailable=len(load.unavailable),
            first_2xx_after_start_s=round(first_after_restart, 2),  # pg_ctl start -w included
        )
        log = server.log()
        assert "Traceback" not in log and "exc_info" not in log, log[-3000:]
        warnings = log.count('"message": "database unavailable"')
        assert 1 <= warnings <= len(load.unavailable) + 1, (warnings, len(load.unavailable), log[-3000:])


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_sqlite_locked_past_the_busy_timeout_is_503_then_recovers(
    backend: str, fresh_database_url: object
) -> None:
    # SQLite has no server to stop, and an open file stays readable after it is renamed or its
    # permissions change; the way it becomes unavailable to a writer is another process holding
    # the write lock past the busy timeout.
    url = fresh_database_url(backend)  # type: ignore[operator]
    migrate(url)
    app = create_app(Settings(database_url=url, sqlite_busy_timeout_ms=100, log_level="WARNING"))
    key = bearer(await issue_staff_key(app, Role.billing))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        holder = sqlite3.connect(make_url(url).database or "", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            for _ in range(3):
                response = await http.post("/v1/accounts", json={"name": "Locked out"}, headers=key)
                assert response.status_code == 503, response.text
                _assert_unavailable(response)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        recovered = await http.post("/v1/accounts", json={"name": "Back"}, headers=key)
        assert recovered.status_code == 201, recovered.text
    await app.state.database.dispose()
