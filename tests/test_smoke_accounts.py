"""Accounts and keys through the HTTP API."""

import httpx

from tests.factories import Api, bearer


async def test_billing_creates_account_and_customer_reads_it(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer(cash_balance="12.30")
    response = await client.get("/v1/account", headers=customer.headers)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": customer.account_id,
        "name": "Acme Cloud Ltd.",
        "cash_balance": "12.30",
        "certification_status": "uncertified",
    }
    assert response.headers["x-request-id"]


async def test_missing_key_is_401_with_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/account")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthenticated"


async def test_unknown_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/account", headers=bearer("ik_" + "x" * 43))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


async def test_customer_key_cannot_create_accounts(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    response = await client.post("/v1/accounts", json={"name": "x"}, headers=customer.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
