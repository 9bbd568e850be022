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
        "invoice_deficit": "0.00",
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


async def test_duplicate_external_id_is_409(client: httpx.AsyncClient, api: Api) -> None:
    body = {"name": "Twice Ltd.", "external_id": "crm-twice-" + api.billing_key[-8:]}
    assert (await client.post("/v1/accounts", json=body, headers=api.billing)).status_code == 201
    response = await client.post("/v1/accounts", json=body, headers=api.billing)
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_external_id"


async def test_cash_balance_may_be_negative_and_is_exact(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account(cash_balance="-0.10")
    response = await client.get(f"/v1/accounts/{account_id}", headers=api.finance)
    assert response.status_code == 200
    assert response.json()["cash_balance"] == "-0.10"


async def test_finance_cannot_set_cash_balance(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    response = await client.put(
        f"/v1/accounts/{account_id}/cash-balance", json={"cash_balance": "1.00"}, headers=api.finance
    )
    assert response.status_code == 403
