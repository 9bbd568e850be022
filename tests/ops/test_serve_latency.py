"""`invoicing serve --workers N` answers a keep-alive client without Nagle's delayed-ACK stall."""

import statistics
import time
from pathlib import Path

import httpx
import pytest

from tests.server import running_server


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("workers", [1, 2])
def test_small_responses_do_not_wait_for_delayed_acks(
    database_url: str, tmp_path: Path, workers: int
) -> None:
    # A response leaves as two writes (head, then body); without TCP_NODELAY the second waits for
    # the client's delayed ACK, about 40 ms on Linux, on every request of a kept-alive connection.
    with (
        running_server(database_url, tmp_path, workers=workers) as server,
        httpx.Client(base_url=server.base_url, timeout=10) as http,
    ):
        timings = []
        for _ in range(30):
            started = time.perf_counter()
            assert http.get("/healthz").status_code == 200
            timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.02, timings
