"""SIGTERM lets in-flight requests finish before the server exits."""

import asyncio
import os
import signal
import sqlite3
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.server import running_server


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_in_flight_request_finishes_after_sigterm(
    backend: str, database_url: str, tmp_path: Path, billing_key: str
) -> None:
    path = make_url(database_url).database
    assert path
    with running_server(database_url, tmp_path, workers=1) as server:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # the server's write now waits for this lock
        try:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
                in_flight = asyncio.create_task(
                    http.post(
                        "/v1/accounts",
                        json={"name": "Shutdown Ltd."},
                        headers={"Authorization": f"Bearer {billing_key}"},
                    )
                )
                await asyncio.sleep(0.5)
                assert not in_flight.done()
                os.killpg(server.process.pid, signal.SIGTERM)
                await asyncio.sleep(0.5)
                assert server.process.poll() is None, "the server must wait for the request"
                blocker.execute("ROLLBACK")
                response = await in_flight
        finally:
            blocker.close()
        assert response.status_code == 201, response.text
        # uvicorn drains, then re-raises SIGTERM so supervisors see why it stopped.
        assert server.process.wait(timeout=20) in (0, -signal.SIGTERM)
