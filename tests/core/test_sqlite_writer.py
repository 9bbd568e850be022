"""SQLite: a writer waiting for another process's write lock does not stall the server's reads.

The lock is held by this test process (a second process, as the worker will be) with
`BEGIN IMMEDIATE`; the server's POST waits for it in aiosqlite's thread (up to the busy timeout)
while the event loop goes on answering GETs.
"""

import asyncio
import sqlite3
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.cli import migrate
from app.core.auth import Role
from app.core.settings import Settings
from app.main import create_app
from tests.factories import bearer, issue_staff_key
from tests.server import running_server


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_writer_blocked_by_another_process_does_not_stall_reads(
    backend: str, fresh_database_url: object, tmp_path: Path
) -> None:
    url = fresh_database_url(backend)  # type: ignore[operator]
    migrate(url)
    app = create_app(Settings(database_url=url))
    key = bearer(await issue_staff_key(app, Role.billing))
    await app.state.database.dispose()
    # The busy timeout outlasts every client timeout below: the POST waits as long as the lock is held.
    env = {"INVOICING_SQLITE_BUSY_TIMEOUT_MS": "120000"}
    with running_server(url, tmp_path, extra_env=env) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            created = await http.post("/v1/accounts", json={"name": "Before"}, headers=key)
            assert created.status_code == 201
            account = created.json()["id"]

            holder = sqlite3.connect(make_url(url).database or "", isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            write = asyncio.create_task(http.post("/v1/accounts", json={"name": "Waits"}, headers=key))
            try:
                await asyncio.sleep(1)  # let the POST reach SQLite and start waiting for the lock
                assert not write.done()
                reads = await asyncio.gather(
                    *(http.get(f"/v1/accounts/{account}", headers=key) for _ in range(5)),
                    http.get("/readyz"),
                )
                assert [r.status_code for r in reads] == [200] * 6
                assert not write.done(), "the POST should still be waiting for the lock"
            finally:
                holder.execute("ROLLBACK")
                holder.close()
                waited = await write
            assert waited.status_code == 201, waited.text
