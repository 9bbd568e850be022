"""`invoicing demo` loads an account that can request invoices at once, and prints working keys."""

import os
import subprocess
import sys
from collections.abc import Callable

import httpx
import pytest

from app.core.settings import Settings
from app.main import create_app
from tests.conftest import BACKENDS
from tests.factories import bearer
from tests.server import ROOT


def _run_demo(database_url: str) -> list[str]:
    env = {**os.environ, "INVOICING_DATABASE_URL": database_url, "INVOICING_LOG_LEVEL": "WARNING"}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()


@pytest.mark.parametrize("kind", BACKENDS)
async def test_demo_prints_one_key_per_role_that_work_through_the_api(
    kind: str, fresh_database_url: Callable[[str], str]
) -> None:
    database_url = fresh_database_url(kind)  # empty: the demo migrates it first
    lines = _run_demo(database_url)
    keys = dict(line.split("=", 1) for line in lines[-3:])
    assert sorted(keys) == ["BILLING_KEY", "CUSTOMER_KEY", "FINANCE_KEY"]
    # Before the keys: issuing goes through the sandbox tax platform under `make run`.
    assert "INVOICING_TAX_PLATFORM=sandbox" in lines[-5], lines

    app = create_app(Settings(database_url=database_url, log_level="WARNING"))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://demo"
        ) as client:
            customer, billing, finance = (
                bearer(keys[name]) for name in ("CUSTOMER_KEY", "BILLING_KEY", "FINANCE_KEY")
            )
            account = (await client.get("/v1/account", headers=customer)).json()
            assert account["certification_status"] == "certified"
            assert account["cash_balance"] == "8800.00"
            assert (await client.get(f"/v1/accounts/{account['id']}", headers=billing)).status_code == 200

            summary = (await client.get("/v1/invoiceable-summary", headers=customer)).json()
            assert summary["can_request"] is True, summary
            assert summary["bills"]["count"] == 9  # twelve bills, three paid by vouchers only
            assert summary["stored_value_cards"]["count"] == 2

            bills = (await client.get("/v1/bills", params={"limit": 100}, headers=customer)).json()["data"]
            assert len(bills) == 12
            voucher_only = [b for b in bills if b["cash_amount"] == "0.00"]
            assert len(voucher_only) == 3
            assert all(b["voucher_amount"] == b["total_amount"] for b in voucher_only)
            cards = (await client.get("/v1/stored-value-cards", headers=customer)).json()["data"]
            profiles = (await client.get("/v1/invoice-profiles", headers=customer)).json()["data"]
            addresses = (await client.get("/v1/mailing-addresses", headers=customer)).json()["data"]
            # The paper default, and an electronic profile whose requests the sandbox issues and emails.
            assert sorted((p["invoice_type"], p["is_default"]) for p in profiles) == [
                ("electronic_ordinary", False),
                ("vat_ordinary", True),
            ]
            assert all(p["usable"] for p in profiles)
            profiles = [p for p in profiles if p["is_default"]]

            response = await client.post(
                "/v1/invoice-requests",
                json={
                    "bill_ids": [b["id"] for b in bills if b["invoiceable_amount"] != "0.00"],
                    "stored_value_card_ids": [c["id"] for c in cards],
                    "profile_id": profiles[0]["id"],
                    "address_id": addresses[0]["id"],
                },
                headers=customer,
            )
            assert response.status_code == 201, response.text
            assert response.json()["amount"] == summary["invoiceable_amount"]
            started = await client.post(
                f"/v1/invoice-requests/{response.json()['id']}/start", headers=finance
            )
            assert started.status_code == 200, started.text
    finally:
        await app.state.database.dispose()


def test_demo_can_be_loaded_twice(fresh_database_url: Callable[[str], str]) -> None:
    database_url = fresh_database_url("sqlite")
    first = _run_demo(database_url)[-3:]
    second = _run_demo(database_url)[-3:]
    assert set(first).isdisjoint(second)
