"""`invoicing auto-invoice`: a real process, its last line, and two processes at once requesting once."""

import asyncio
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from app.autoinvoicing.models import AutoInvoicingRun
from app.core.settings import Settings
from tests.autoinvoicing.helpers import enabled_customer, requests_of
from tests.factories import Api, make_bill
from tests.server import ROOT, invoicing_command


def _start(database_url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "INVOICING_DATABASE_URL": database_url, "INVOICING_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [*invoicing_command(), "auto-invoice", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> list[str]:
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    return stdout.strip().splitlines()


async def test_command_runs_the_job_as_of_the_date_and_prints_the_counts_last(
    client: httpx.AsyncClient, api: Api, settings: Settings
) -> None:
    served = await enabled_customer(api)
    await make_bill(api, served.account_id, period="2026-11")
    blocked = await enabled_customer(api, cash_balance="-1.00")
    await make_bill(api, blocked.account_id, period="2026-11")

    assert _finish(_start(settings.database_url, "--date", "2026-12-07"))[-1] == "requested 0, skipped 0"
    assert _finish(_start(settings.database_url, "--date", "2026-12-08"))[-1] == "requested 1, skipped 1"
    assert _finish(_start(settings.database_url, "--date", "2026-12-08"))[-1] == "requested 0, skipped 0"
    assert len(await requests_of(client, served)) == 1
    assert await requests_of(client, blocked) == []


def test_command_refuses_a_malformed_date(tmp_path: Path) -> None:
    for value in ("2026-12-32", "20261208", "2026-1-8", "tomorrow"):
        process = _start(f"sqlite:///{tmp_path}/unused.db", "--date", value)
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 2
        assert "YYYY-MM-DD" in err


async def test_two_processes_at_once_request_once_per_account(
    client: httpx.AsyncClient, api: Api, settings: Settings
) -> None:
    accounts = [await enabled_customer(api) for _ in range(30)]
    for auto in accounts:
        await make_bill(api, auto.account_id, period="2026-11")
        await make_bill(api, auto.account_id, period="2026-10")
    processes = [_start(settings.database_url, "--date", "2026-12-08") for _ in range(2)]
    totals = [_finish(process)[-1] for process in processes]

    requested = [int(line.split(",")[0].removeprefix("requested ")) for line in totals]
    assert sum(requested) == 30, totals
    assert all(line.endswith("skipped 0") for line in totals)
    for auto in accounts:
        [request] = await requests_of(client, auto)
        assert request["amount"] == "200.00"


async def test_a_run_killed_midway_resumes_without_requesting_twice(
    app: FastAPI, client: httpx.AsyncClient, api: Api, settings: Settings
) -> None:
    accounts = [await enabled_customer(api) for _ in range(120)]
    for auto in accounts:
        await make_bill(api, auto.account_id, period="2026-11")
    ids = [uuid.UUID(auto.account_id) for auto in accounts]

    async def served() -> int:
        async with app.state.database.read_session() as session:
            count = await session.scalar(
                select(func.count()).where(
                    AutoInvoicingRun.account_id.in_(ids), AutoInvoicingRun.month == "2026-12"
                )
            )
            return int(count or 0)

    process = _start(settings.database_url, "--date", "2026-12-08")
    deadline = time.monotonic() + 120
    while await served() < 10:
        assert process.poll() is None and time.monotonic() < deadline, "the run ended before it was killed"
        await asyncio.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    before = await served()
    assert 10 <= before < 120  # killed midway

    last = _finish(_start(settings.database_url, "--date", "2026-12-08"))[-1]
    assert last == f"requested {120 - before}, skipped 0"
    for auto in accounts:
        assert len(await requests_of(client, auto)) == 1
