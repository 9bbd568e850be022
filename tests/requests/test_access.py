"""Who may do what with invoice requests, and tenant isolation."""

import httpx
import pytest

from tests.factories import Api
from tests.requests.helpers import create, ready_customer, selection


async def test_customer_cannot_make_finance_moves(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    request = await create(client, ready)
    for action, body in (
        ("start", None),
        ("issue", {"invoices": [{"number": "X1", "amount": "100.00"}]}),
        ("deliver", {"tracking_number": "SF1"}),
        ("reject", {"reason": "x"}),
        ("reverse", {"reason": "x"}),
    ):
        response = await client.post(
            f"/v1/invoice-requests/{request['id']}/{action}", json=body, headers=ready.headers
        )
        assert response.status_code == 403, (action, response.text)
        assert response.json()["code"] == "forbidden"
    read = await client.get(f"/v1/invoice-requests/{request['id']}", headers=ready.headers)
    assert read.json()["status"] == "pending"


async def test_finance_cannot_create_or_cancel(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    response = await client.post("/v1/invoice-requests", json=selection(ready), headers=api.finance)
    assert response.status_code == 403
    request = await create(client, ready)
    response = await client.post(f"/v1/invoice-requests/{request['id']}/cancel", headers=api.finance)
    assert response.status_code == 403


async def test_billing_cannot_read_or_move_requests(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    request = await create(client, ready)
    for response in (
        await client.get("/v1/invoice-requests", headers=api.billing),
        await client.get(f"/v1/invoice-requests/{request['id']}", headers=api.billing),
        await client.post("/v1/invoice-requests", json=selection(ready), headers=api.billing),
        await client.post(f"/v1/invoice-requests/{request['id']}/start", headers=api.billing),
    ):
        assert response.status_code == 403, response.text


async def test_no_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/invoice-requests")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_another_accounts_request_is_not_found_for_a_customer(
    client: httpx.AsyncClient, api: Api
) -> None:
    owner = await ready_customer(api, bills=1)
    stranger = await ready_customer(api, bills=1)
    request = await create(client, owner)

    response = await client.get(f"/v1/invoice-requests/{request['id']}", headers=stranger.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    response = await client.post(f"/v1/invoice-requests/{request['id']}/cancel", headers=stranger.headers)
    assert response.status_code == 404
    listed = (await client.get("/v1/invoice-requests", headers=stranger.headers)).json()
    assert request["id"] not in [r["id"] for r in listed["data"]]
    # Asking for the owner's account explicitly does not widen a customer's view.
    listed = (
        await client.get(
            "/v1/invoice-requests", params={"account_id": owner.customer.account_id}, headers=stranger.headers
        )
    ).json()
    assert listed["data"] == []
    # The owner's request is untouched.
    read = await client.get(f"/v1/invoice-requests/{request['id']}", headers=owner.headers)
    assert read.json()["status"] == "pending"


async def test_finance_reads_any_account_and_filters_by_account(client: httpx.AsyncClient, api: Api) -> None:
    first = await ready_customer(api, bills=1)
    second = await ready_customer(api, bills=1)
    one = await create(client, first)
    two = await create(client, second)

    read = await client.get(f"/v1/invoice-requests/{one['id']}", headers=api.finance)
    assert read.status_code == 200
    # The same request; only what the reader may do next differs (finance, not the customer).
    assert read.json() == {**one, "allowed_moves": ["start", "reject"]}
    assert one["allowed_moves"] == ["cancel"]

    listed = (
        await client.get(
            "/v1/invoice-requests", params={"account_id": second.customer.account_id}, headers=api.finance
        )
    ).json()
    assert [r["id"] for r in listed["data"]] == [two["id"]]


@pytest.mark.parametrize("account_id", ["not-an-id", "x" * 65])
async def test_malformed_account_filter_is_422(client: httpx.AsyncClient, api: Api, account_id: str) -> None:
    response = await client.get(
        "/v1/invoice-requests", params={"account_id": account_id}, headers=api.finance
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
