"""GET /v1/api-key: any valid key learns its own role and account (the console's sign-in asks it)."""

import httpx

from tests.factories import Api, bearer


async def test_each_role_reads_its_own_key(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    answer = (await client.get("/v1/api-key", headers=customer.headers)).json()
    assert answer["role"] == "customer" and answer["account_id"] == customer.account_id
    for headers, role in ((api.finance, "finance"), (api.billing, "billing")):
        response = await client.get("/v1/api-key", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["role"] == role and response.json()["account_id"] is None
        assert set(response.json()) == {"id", "role", "account_id"}


async def test_an_unknown_key_or_none_is_401(client: httpx.AsyncClient) -> None:
    for headers in ({}, bearer("ik_not_a_key")):
        response = await client.get("/v1/api-key", headers=headers)
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "unauthenticated"


async def test_a_revoked_key_is_401(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    key_id = (await client.get("/v1/api-key", headers=customer.headers)).json()["id"]
    response = await client.delete(
        f"/v1/accounts/{customer.account_id}/api-keys/{key_id}", headers=api.billing
    )
    assert response.status_code == 204, response.text
    assert (await client.get("/v1/api-key", headers=customer.headers)).status_code == 401
