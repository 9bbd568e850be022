"""With the worker: a skipped month's email reaches a real SMTP server, and the worker's daily task
runs the job. Each test has a database of its own, so the worker meets only this test's jobs."""

import os
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.cli import migrate
from app.core.auth import Role
from app.core.settings import Settings
from app.main import create_app
from tests.autoinvoicing.helpers import enabled_customer, events_of, requests_of, run_job
from tests.factories import Api, issue_staff_key, make_bill
from tests.sellers.helpers import make_seller
from tests.server import ROOT, invoicing_command
from tests.worker.smtp import smtp_server

pytestmark = pytest.mark.slow


@dataclass
class Isolated:
    app: FastAPI
    client: httpx.AsyncClient
    api: Api
    url: str


@pytest.fixture
async def isolated(backend: str, fresh_database_url: Callable[[str], str]) -> AsyncIterator[Isolated]:
    url = fresh_database_url(backend)
    migrate(url)
    app = create_app(Settings(database_url=url, log_level="WARNING", auth_cache_seconds=0))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            api = Api(
                client, await issue_staff_key(app, Role.billing), await issue_staff_key(app, Role.finance)
            )
            yield Isolated(app, client, api, url)
    finally:
        await app.state.database.dispose()


def _drain(url: str, **env: str) -> str:
    """`invoicing worker --drain`: run every due job (and today's periodic tasks) once, then exit."""
    process = subprocess.run(
        [*invoicing_command(), "worker", "--drain"],
        cwd=ROOT,
        env={**os.environ, "INVOICING_DATABASE_URL": url, "INVOICING_LOG_LEVEL": "WARNING", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    return process.stdout


async def test_a_skipped_month_emails_the_customer_why_and_how_to_fix_it(isolated: Isolated) -> None:
    api = isolated.api
    auto = await enabled_customer(api, cash_balance="-20.00")
    await make_bill(api, auto.account_id, period="2026-11")
    result = await run_job(isolated.app, date(2026, 12, 8))
    assert (result.requested, result.skipped) == (0, 1)
    assert await events_of(isolated.app, auto.account_id, "auto_invoicing.skipped") == [
        {"account_id": auto.account_id, "month": "2026-12", "code": "cash_balance_not_positive"}
    ]

    with smtp_server() as (recorder, smtp_url):
        _drain(
            isolated.url, INVOICING_SMTP_URL=smtp_url, INVOICING_MAIL_FROM="Billing <billing@cloud.example>"
        )
        _drain(isolated.url, INVOICING_SMTP_URL=smtp_url)  # sent once: nothing is left to send
        received = [
            item for item in recorder.to(auto.address["email"]) if "2026-12" in str(item.message["Subject"])
        ]
    [mail] = received
    message = mail.message
    assert message["To"] == auto.address["email"]
    assert message["From"] == "Billing <billing@cloud.example>"
    assert message["Message-ID"]
    assert message["Subject"] == "2026-12 自动开票未提交 | Automatic invoicing for 2026-12 was skipped"
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    for body in (text, html):
        assert "现金余额不大于零" in body and "请充值" in body  # why, and how to fix it, in Chinese
        assert "cash balance is zero or negative" in body and "Top up the account" in body  # and in English
        assert "cash_balance_not_positive" in body
        assert "Li Lei" in body


async def test_a_skip_with_no_email_anywhere_is_still_recorded(isolated: Isolated) -> None:
    api = isolated.api
    customer = await api.customer(cash_balance="-1.00")
    await api.certify(customer)
    response = await isolated.client.post(
        "/v1/invoice-profiles", json={"invoice_type": "vat_ordinary"}, headers=customer.headers
    )
    profile = response.json()
    response = await isolated.client.post(
        "/v1/mailing-addresses",
        json={"recipient": "Li Lei", "phone": "13812345678", "address": "1 Software Ave, Fuzhou"},
        headers=customer.headers,
    )
    address = response.json()
    response = await isolated.client.put(
        "/v1/auto-invoicing",
        json={"enabled": True, "profile_id": profile["id"], "address_id": address["id"]},
        headers=customer.headers,
    )
    assert response.status_code == 200, response.text
    await make_bill(api, customer.account_id, period="2026-11")
    assert (await run_job(isolated.app, date(2026, 12, 8))).skipped == 1
    assert len(await events_of(isolated.app, customer.account_id, "auto_invoicing.skipped")) == 1
    with smtp_server() as (recorder, smtp_url):
        _drain(isolated.url, INVOICING_SMTP_URL=smtp_url)
        assert recorder.received == []


async def test_the_worker_runs_the_job_daily(isolated: Isolated, tmp_path: Path) -> None:
    """The worker's daily task is the same job, for today (the day of the month set to 1 here, so it
    is due whatever today is)."""
    api = isolated.api
    auto = await enabled_customer(api)
    today = datetime.now(UTC).date()
    previous = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    bill = await make_bill(api, auto.account_id, period=f"{previous:%Y-%m}")
    await make_bill(api, auto.account_id, period=f"{today:%Y-%m}")  # this month's: not yet
    other = await make_seller(api)  # and an earlier bill of another seller: a request of its own
    theirs = await make_bill(api, auto.account_id, period="2020-01", seller_id=other["id"])

    _drain(isolated.url, INVOICING_AUTO_INVOICING_DAY="1", INVOICING_MAIL_DIR=str(tmp_path))
    _drain(isolated.url, INVOICING_AUTO_INVOICING_DAY="1", INVOICING_MAIL_DIR=str(tmp_path))
    requests = await requests_of(isolated.client, auto)
    # By seller (made in one transaction, they may share a timestamp).
    [first] = [r for r in requests if r["seller"]["id"] == other["id"]]
    [mine] = [r for r in requests if r["seller"]["id"] != other["id"]]
    assert [item["id"] for item in first["items"]] == [theirs["id"]]
    assert first["seller"]["id"] == other["id"]
    assert [item["id"] for item in mine["items"]] == [bill["id"]]
    for request in (mine, first):
        assert request["events"][0]["actor_role"] == "system"
