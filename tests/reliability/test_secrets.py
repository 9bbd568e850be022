"""Secrets: API keys are compared in constant time, and a full scenario's logs, captured at the most
verbose level, contain no key (valid or not), no key hash, and no full bank account number; a new
key's secret is stored nowhere in the database, not even for an Idempotency-Key replay."""

import hashlib
import io
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Connection, inspect, text

from app.core.auth import Role
from app.core.settings import Settings
from app.main import create_app
from tests.factories import (
    VAT_SPECIAL_FIELDS,
    Api,
    bearer,
    issue_staff_key,
    make_address,
    make_bill,
    make_card,
)
from tests.reliability.world import record_figures

BANK_ACCOUNT = "6222 0210 0112 3456 789"  # given with spaces, stored without


@pytest.fixture
async def verbose_app(database_url: str) -> AsyncIterator[tuple[FastAPI, io.StringIO]]:
    """The app with DEBUG logs, captured through the app's own JSON formatter."""
    application = create_app(Settings(database_url=database_url, log_level="DEBUG"))
    root = logging.getLogger()
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(root.handlers[0].formatter)
    for log_filter in root.handlers[0].filters:
        handler.addFilter(log_filter)
    root.addHandler(handler)
    try:
        yield application, captured
    finally:
        root.removeHandler(handler)
        await application.state.database.dispose()
        root.setLevel(logging.WARNING)


async def _scenario(client: httpx.AsyncClient, api: Api) -> tuple[list[str], int]:
    """Everything a day brings: returns the credentials that were used and the requests made."""
    calls = 0

    async def call(method: str, path: str, headers: dict[str, str], body: Any = None, ok: int = 200) -> Any:
        nonlocal calls
        calls += 1
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == ok, (path, response.text)
        return response.json() if response.content else None

    customer = await api.customer()
    await api.certify(customer)
    profile = await call(
        "POST",
        "/v1/invoice-profiles",
        customer.headers,
        {"invoice_type": "vat_special", **VAT_SPECIAL_FIELDS, "bank_account": BANK_ACCOUNT},
        201,
    )
    assert profile["bank_account"] == BANK_ACCOUNT.replace(" ", "")
    await call(
        "PATCH", f"/v1/invoice-profiles/{profile['id']}", customer.headers, {"bank_account": BANK_ACCOUNT}
    )
    address = await make_address(api, customer)
    bill = await make_bill(api, customer.account_id, period="2026-09", cash="300.00")
    card = await make_card(api, customer.account_id, card_no="SVC-SECRET-1")
    await call("GET", "/v1/invoiceable-summary", customer.headers)
    body = {
        "bill_ids": [bill["id"]],
        "stored_value_card_ids": [card["id"]],
        "profile_id": profile["id"],
        "address_id": address["id"],
    }
    idempotent = {**customer.headers, "Idempotency-Key": "secret-scenario-1"}
    request = await call("POST", "/v1/invoice-requests", idempotent, body, 201)
    await call("POST", "/v1/invoice-requests", idempotent, body, 201)  # a replay
    await call("GET", f"/v1/invoice-requests/{request['id']}", customer.headers)
    await call("POST", f"/v1/invoice-requests/{request['id']}/start", api.finance)
    invoices = {"invoices": [{"number": "SECRET-INV-1", "amount": request["amount"]}]}
    await call("POST", f"/v1/invoice-requests/{request['id']}/issue", api.finance, invoices)
    await call(
        "POST", f"/v1/invoice-requests/{request['id']}/deliver", api.finance, {"tracking_number": "SF1"}
    )
    await call("POST", f"/v1/invoice-requests/{request['id']}/reverse", api.finance, {"reason": "test"})
    await call("GET", "/v1/events?limit=100", api.billing)
    # Refusals, which are where a careless log line would echo its input.
    wrong = ["ik_" + "W" * 43, "not-a-key-at-all", customer.key[:-1] + "X", customer.key + "X"]
    for key in wrong:
        await call("GET", "/v1/account", bearer(key), ok=401)
    await call("GET", "/v1/account", {"Authorization": "Basic " + customer.key}, ok=401)
    await call("GET", "/v1/events", customer.headers, ok=403)
    bad = {"invoice_type": "vat_special", **VAT_SPECIAL_FIELDS, "bank_account": BANK_ACCOUNT + "X"}
    await call("POST", "/v1/invoice-profiles", customer.headers, bad, 422)
    return [customer.key, api.billing_key, api.finance_key, *wrong], calls


async def test_a_full_scenario_logs_no_key_and_no_bank_account(
    verbose_app: tuple[FastAPI, io.StringIO],
) -> None:
    application, captured = verbose_app
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        billing = await issue_staff_key(application, Role.billing)
        finance = await issue_staff_key(application, Role.finance)
        keys, calls = await _scenario(client, Api(client, billing, finance))

    logs = captured.getvalue()
    access_lines = logs.count('"logger": "invoicing.access"')
    assert access_lines >= calls, "the capture missed the access log"
    secrets = {
        **{f"key {n}": key for n, key in enumerate(keys)},
        **{f"key {n} body": key.removeprefix("ik_") for n, key in enumerate(keys) if len(key) > 20},
        **{f"hash of key {n}": hashlib.sha256(key.encode()).hexdigest() for n, key in enumerate(keys)},
        "bank account": BANK_ACCOUNT.replace(" ", ""),
        "bank account as typed": BANK_ACCOUNT,
    }
    found = {name: secret for name, secret in secrets.items() if secret in logs}
    assert not found, f"secrets in the logs: {sorted(found)}"
    assert "Bearer" not in logs and "authorization" not in logs.lower()
    record_figures(
        "secrets", log_lines=logs.count("\n"), access_lines=access_lines, secrets_searched=len(secrets)
    )


def _every_value_as_text(connection: Connection) -> dict[str, str]:
    """Every table of the database (not only our models: whatever is there), every column of every
    row, as text, by table name."""
    dump: dict[str, str] = {}
    for table in inspect(connection).get_table_names():
        rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()
        values = []
        for row in rows:
            for value in row:
                values.append(
                    value.decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)
                )
        dump[table] = "\n".join(values)
    return dump


async def test_a_new_keys_secret_is_stored_only_as_its_hash(
    client: httpx.AsyncClient, api: Api, app: FastAPI
) -> None:
    """Issue 26.1: with an Idempotency-Key the 201 (secret included) was stored for replays for
    24 hours, and a replay handed the secret out again."""
    account_id = await api.account()
    path = f"/v1/accounts/{account_id}/api-keys"
    plain = await client.post(path, json={"role": "customer"}, headers=api.billing)
    idempotent = api.billing | {"Idempotency-Key": "new-key-secret-1"}
    first = await client.post(path, json={"role": "customer"}, headers=idempotent)
    replay = await client.post(path, json={"role": "customer"}, headers=idempotent)
    assert plain.status_code == first.status_code == 201, (plain.text, first.text)
    keys = [plain.json()["key"], first.json()["key"]]

    assert replay.status_code == 409, replay.text
    assert replay.headers["content-type"] == "application/problem+json"
    assert replay.json()["code"] == "idempotency_key_secret_not_replayable"
    assert replay.json()["original_status"] == 201
    assert all(key not in replay.text and key[12:] not in replay.text for key in keys)
    listed = await client.get(path, headers=api.billing)  # how the client finds the new key
    assert first.json()["prefix"] in {item["prefix"] for item in listed.json()["data"]}

    async with app.state.database.engine.connect() as connection:
        dump = await connection.run_sync(_every_value_as_text)
    assert "api_key" in dump and "idempotency_key" in dump
    for key in keys:
        found = {table for table, values in dump.items() if key[12:] in values}  # past the stored prefix
        assert not found, f"a key's secret is stored in {sorted(found)}"
        assert hashlib.sha256(key.encode()).hexdigest() in dump["api_key"]  # only as its hash
