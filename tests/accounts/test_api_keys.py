"""An account's API keys: listed without the secret, revoked by the billing engine, and last used
kept to within a minute without a write per request."""

import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from app.accounts import usage as usage_module
from app.core.settings import Settings
from app.main import create_app
from tests.factories import Api, Customer

FIELDS = {"id", "prefix", "role", "created_at", "last_used_at", "revoked_at"}


async def _issue(api: Api, account_id: str) -> dict[str, Any]:
    response = await api.client.post(
        f"/v1/accounts/{account_id}/api-keys", json={"role": "customer"}, headers=api.billing
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _keys(client: httpx.AsyncClient, api: Api, account_id: str, **params: Any) -> httpx.Response:
    return await client.get(f"/v1/accounts/{account_id}/api-keys", params=params, headers=api.billing)


async def test_keys_are_listed_newest_first_without_the_secret(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    second = await _issue(api, customer.account_id)
    response = await _keys(client, api, customer.account_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [key["id"] for key in body["data"]] == [second["id"], body["data"][1]["id"]]
    assert (body["has_more"], body["next_cursor"]) == (False, None)
    for key in body["data"]:
        assert set(key) == FIELDS
        assert key["role"] == "customer" and key["revoked_at"] is None
    assert body["data"][0]["prefix"] == second["prefix"] and second["key"].startswith(second["prefix"])
    # Neither key's secret appears anywhere in the answer.
    assert customer.key not in response.text and second["key"] not in response.text


async def test_keys_are_listed_in_keyset_pages(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    issued = [await _issue(api, customer.account_id) for _ in range(3)]
    seen: list[str] = []
    cursor = None
    while True:
        page = (
            await _keys(client, api, customer.account_id, limit=2, **({"cursor": cursor} if cursor else {}))
        ).json()
        seen += [key["id"] for key in page["data"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen[:3] == [key["id"] for key in reversed(issued)] and len(seen) == 4


async def test_only_billing_lists_and_revokes_and_unknown_accounts_are_not_found(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer = await api.customer()
    key_id = (await _keys(client, api, customer.account_id)).json()["data"][0]["id"]
    for headers in (customer.headers, api.finance):
        listed = await client.get(f"/v1/accounts/{customer.account_id}/api-keys", headers=headers)
        revoked = await client.delete(
            f"/v1/accounts/{customer.account_id}/api-keys/{key_id}", headers=headers
        )
        assert (listed.status_code, revoked.status_code) == (403, 403)
    for account_id in (str(uuid.uuid4()), "not-an-id"):
        response = await _keys(client, api, account_id)
        assert response.status_code == 404 and response.json()["code"] == "not_found"


async def test_a_revoked_key_is_refused_and_revoking_again_changes_nothing(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer = await api.customer()
    spare = await _issue(api, customer.account_id)
    key_id = next(
        k["id"]
        for k in (await _keys(client, api, customer.account_id)).json()["data"]
        if k["id"] != spare["id"]
    )
    path = f"/v1/accounts/{customer.account_id}/api-keys/{key_id}"

    response = await client.delete(path, headers=api.billing)
    assert response.status_code == 204 and response.content == b""
    refused = await client.get("/v1/account", headers=customer.headers)
    assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"
    assert refused.headers["www-authenticate"] == "Bearer"
    # The account's other key is untouched.
    assert (
        await client.get("/v1/account", headers={"Authorization": f"Bearer {spare['key']}"})
    ).status_code == 200

    listed = {k["id"]: k for k in (await _keys(client, api, customer.account_id)).json()["data"]}
    revoked_at = listed[key_id]["revoked_at"]
    assert revoked_at is not None and listed[spare["id"]]["revoked_at"] is None

    again = await client.delete(path, headers=api.billing)
    assert again.status_code == 204
    listed = {k["id"]: k for k in (await _keys(client, api, customer.account_id)).json()["data"]}
    assert listed[key_id]["revoked_at"] == revoked_at


async def test_a_key_of_another_account_is_not_found_and_stays_valid(
    client: httpx.AsyncClient, api: Api
) -> None:
    owner = await api.customer()
    other = await api.customer()
    key_id = (await _keys(client, api, owner.account_id)).json()["data"][0]["id"]
    for path in (
        f"/v1/accounts/{other.account_id}/api-keys/{key_id}",
        f"/v1/accounts/{owner.account_id}/api-keys/{uuid.uuid4()}",
        f"/v1/accounts/{owner.account_id}/api-keys/not-an-id",
    ):
        response = await client.delete(path, headers=api.billing)
        assert response.status_code == 404 and response.json()["code"] == "not_found", path
    assert (await client.get("/v1/account", headers=owner.headers)).status_code == 200


# -- last used ------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
async def tracking_app(database_url: str) -> AsyncIterator[FastAPI]:
    """The shared test app does not record last use (see tests/conftest.py); this one does, as in
    production: at most one write per key a minute."""
    application = create_app(
        Settings(
            database_url=database_url, log_level="WARNING", auth_cache_seconds=0, key_last_used_seconds=60
        )
    )
    yield application
    await application.state.database.dispose()


@pytest.fixture(scope="module")
async def tracking_client(tracking_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=tracking_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock()
    monkeypatch.setattr(usage_module.time, "monotonic", fake)
    yield fake


@pytest.fixture
def key_writes(tracking_app: FastAPI) -> Iterator[list[str]]:
    """Every statement that writes api_key.last_used_at, from the tracking app's engine."""
    statements: list[str] = []
    engine = tracking_app.state.database.engine.sync_engine

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_KEY"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield statements
    event.remove(engine, "before_cursor_execute", count)


async def _last_used(client: httpx.AsyncClient, api: Api, customer: Customer) -> str | None:
    key = (await _keys(client, api, customer.account_id)).json()["data"][0]
    return key["last_used_at"]  # type: ignore[no-any-return]


async def _settled(tracking_app: FastAPI) -> None:
    """Wait for the background write to finish (it runs beside the requests, not in them)."""
    await tracking_app.state.key_usage.close()


async def test_last_use_is_written_at_most_once_a_minute_per_key(
    tracking_app: FastAPI,
    tracking_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    api: Api,
    clock: Clock,
    key_writes: list[str],
) -> None:
    customer = await api.customer()
    assert await _last_used(client, api, customer) is None
    before = (
        await client.get("/v1/account", headers=customer.headers)
    ).json()  # the shared app: not recorded
    await _settled(tracking_app)
    assert before and await _last_used(client, api, customer) is None

    for _ in range(20):
        assert (await tracking_client.get("/v1/account", headers=customer.headers)).status_code == 200
    await _settled(tracking_app)
    first = await _last_used(client, api, customer)
    assert first is not None
    assert len(key_writes) == 1  # twenty requests, one write

    clock.now += 59
    await tracking_client.get("/v1/account", headers=customer.headers)
    await _settled(tracking_app)
    assert len(key_writes) == 1 and await _last_used(client, api, customer) == first

    clock.now += 2  # a minute after the write: the next use is written again
    await tracking_client.get("/v1/account", headers=customer.headers)
    await _settled(tracking_app)
    assert len(key_writes) == 2
    later = await _last_used(client, api, customer)
    assert later is not None and later >= first
