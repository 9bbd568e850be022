"""Crash safety: a real `invoicing serve --workers 2` over PostgreSQL under concurrent load has a
worker killed with SIGKILL mid-load, twice; the supervisor replaces it, and afterwards every request a
client saw as 201 exists, no request is half-written, and every money and lifecycle invariant holds.

Clients may see a dropped connection for what was in flight on the killed worker; that request was
either committed whole (it then exists and is counted by the invariants) or not at all."""

import asyncio
import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from app.cli import migrate
from tests.conftest import POSTGRES_URL
from tests.factories import Api, bearer
from tests.reliability.invariants import check_invariants
from tests.reliability.world import record_figures
from tests.requests.helpers import Ready, ready_customer, selection
from tests.server import ROOT, invoicing_command, running_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not POSTGRES_URL, reason="crash safety runs many workers over PostgreSQL only"),
]

CUSTOMERS = 4
BILLS = 30
CLIENTS = 16
KILLS = 2
LOAD_SECONDS = 8.0


def _create_key(database_url: str, role: str) -> str:
    env = {**os.environ, "INVOICING_DATABASE_URL": database_url}
    result = subprocess.run(
        [*invoicing_command(), "create-key", "--role", role],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def _workers(supervisor: int) -> set[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    children: set[int] = set()
    for task in Path(f"/proc/{supervisor}/task").iterdir():
        text = (task / "children").read_text().split()
        children |= {int(pid) for pid in text}
    workers = set()
    for pid in children:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except FileNotFoundError:
            continue
        if b"resource_tracker" not in cmdline:
            workers.add(pid)
    return workers


async def _wait_for_workers(supervisor: int, count: int, exclude: set[int]) -> set[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = _workers(supervisor) - exclude
        if len(workers) >= count:
            return workers
        await asyncio.sleep(0.1)
    raise AssertionError(f"the supervisor did not bring back {count} workers: {_workers(supervisor)}")


async def _client(
    base_url: str,
    rng: random.Random,
    ready: Ready,
    finance: dict[str, str],
    stop: asyncio.Event,
    created: dict[str, str],
    outcomes: Counter[str],
) -> None:
    mine: list[str] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        while not stop.is_set():
            roll = rng.random()
            try:
                if roll < 0.6 or not mine:
                    body = selection(ready, bills=rng.sample(ready.bills, rng.randint(1, 2)), cards=[])
                    response = await http.post("/v1/invoice-requests", json=body, headers=ready.headers)
                    if response.status_code == 201:
                        created[response.json()["id"]] = response.json()["amount"]
                        mine.append(response.json()["id"])
                    label = "create"
                elif roll < 0.75:
                    path = f"/v1/invoice-requests/{rng.choice(mine)}/cancel"
                    response = await http.post(path, headers=ready.headers)
                    label = "cancel"
                else:
                    action = rng.choice(["start", "reject"])
                    body = {"reason": "crash test"} if action == "reject" else None
                    path = f"/v1/invoice-requests/{rng.choice(mine)}/{action}"
                    response = await http.post(path, json=body, headers=finance)
                    label = action
                assert response.status_code < 500, response.text
                outcomes[f"{label} {response.status_code}"] += 1
            except httpx.HTTPError as error:
                outcomes[f"connection lost ({type(error).__name__})"] += 1
                await asyncio.sleep(0.05)


async def test_killing_a_worker_mid_load_loses_no_acknowledged_write(
    fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    database_url = fresh_database_url("postgres")
    migrate(database_url)
    billing_key = _create_key(database_url, "billing")
    finance_key = _create_key(database_url, "finance")
    rng = random.Random(20261125)
    pools = {"INVOICING_DB_POOL_SIZE": "8", "INVOICING_DB_MAX_OVERFLOW": "4"}

    with running_server(database_url, tmp_path, workers=2, extra_env=pools) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            api = Api(http, billing_key, finance_key)
            customers = [await ready_customer(api, bills=BILLS, cash="10.00") for _ in range(CUSTOMERS)]
        supervisor = server.process.pid
        original = await _wait_for_workers(supervisor, 2, set())

        created: dict[str, str] = {}
        outcomes: Counter[str] = Counter()
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(
                _client(
                    server.base_url,
                    random.Random(rng.random()),
                    customers[n % CUSTOMERS],
                    bearer(finance_key),
                    stop,
                    created,
                    outcomes,
                )
            )
            for n in range(CLIENTS)
        ]
        killed: list[int] = []
        started = time.monotonic()
        try:
            for _ in range(KILLS):
                await asyncio.sleep(LOAD_SECONDS / (KILLS + 1))
                before = len(created)
                victim = rng.choice(sorted(_workers(supervisor)))
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                # The supervisor notices and starts a replacement; load carries on meanwhile.
                await _wait_for_workers(supervisor, 2, set(killed))
                assert len(created) >= before
            await asyncio.sleep(max(0.0, LOAD_SECONDS - (time.monotonic() - started)))
        finally:
            stop.set()
            await asyncio.gather(*tasks)

        survivors = _workers(supervisor)
        assert not survivors & set(killed) and len(survivors) == 2, (original, killed, survivors)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/readyz")).status_code == 200

    checked = check_invariants(database_url)
    missing = set(created) - checked.request_ids
    assert not missing, f"requests acknowledged with 201 but not in the database: {sorted(missing)[:5]}"
    assert outcomes["create 201"] > 0
    record_figures(
        "crash",
        workers=2,
        kills=len(killed),
        clients=CLIENTS,
        load_seconds=LOAD_SECONDS,
        acknowledged_creations=len(created),
        requests_in_database=checked.requests,
        outcomes=dict(sorted(outcomes.items())),
    )
