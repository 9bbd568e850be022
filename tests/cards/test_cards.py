"""Stored-value cards: purchases recorded by billing, read by the customer, invoiceable at the amount paid."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import Api, force_requested_amount, make_card


def purchase(card_no: str = "SVC-0001", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "card_no": card_no,
        "face_value": "1000.00",
        "paid_amount": "950.00",
        "purchased_at": "2026-10-01T08:00:00Z",
    }
    body.update(overrides)
    return body


async def test_billing_records_a_purchase(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    response = await client.post(
        f"/v1/accounts/{account_id}/stored-value-cards", json=purchase(), headers=api.billing
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["card_no"] == "SVC-0001"
    assert body["face_value"] == "1000.00"
    assert body["paid_amount"] == "950.00"
    assert body["requested_amount"] == "0.00"
    assert body["invoiceable_amount"] == "950.00"  # invoiced at what was paid, not the face value
    assert body["purchased_at"] == "2026-10-01T08:00:00Z"
    assert body["created_at"].endswith("Z")
    assert set(body) == {
        "id",
        "card_no",
        "face_value",
        "paid_amount",
        "refunded_amount",
        "purchased_at",
        "requested_amount",
        "invoiceable_amount",
        "over_invoiced_amount",
        "seller_id",
        "tax_rate",
        "tax_category_code",
        "item_name",
        "created_at",
    }
    assert body["refunded_amount"] == body["over_invoiced_amount"] == "0.00"


async def test_purchase_time_is_normalised_to_utc(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    card = await make_card(api, account_id, purchased_at="2026-10-01T16:30:00+08:00")
    assert card["purchased_at"] == "2026-10-01T08:30:00Z"


async def test_money_is_exact(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    card = await make_card(api, account_id, paid="0.30", face="0.10")
    assert card["paid_amount"] == "0.30"
    assert card["invoiceable_amount"] == "0.30"


async def test_card_no_is_unique_per_account(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    other_account_id = await api.account()
    await make_card(api, account_id, "SVC-DUP")
    again = await client.post(
        f"/v1/accounts/{account_id}/stored-value-cards", json=purchase("SVC-DUP"), headers=api.billing
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["code"] == "duplicate_card"
    # The same number on another account is another card.
    await make_card(api, other_account_id, "SVC-DUP")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("card_no", ""),
        ("card_no", "   "),
        ("card_no", "x" * 65),
        ("card_no", "x" * 10_000),
        ("card_no", "SVC\x00"),
        ("card_no", 1234),
        ("face_value", "-1.00"),
        ("paid_amount", "-0.01"),
        ("paid_amount", "1.001"),
        ("paid_amount", 9.5),
        ("paid_amount", "Infinity"),
        ("purchased_at", "2026-10-01T08:00:00"),
        ("purchased_at", "yesterday"),
        ("purchased_at", None),
    ],
)
async def test_invalid_purchase_is_422(client: httpx.AsyncClient, api: Api, field: str, value: Any) -> None:
    account_id = await api.account()
    response = await client.post(
        f"/v1/accounts/{account_id}/stored-value-cards", json=purchase(**{field: value}), headers=api.billing
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert f"body.{field}" in [e["field"] for e in response.json()["errors"]]


async def test_card_no_of_64_characters_is_accepted(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    card = await make_card(api, account_id, "x" * 64)
    assert card["card_no"] == "x" * 64


async def test_unknown_account_is_404(client: httpx.AsyncClient, api: Api) -> None:
    for account_id in ("00000000-0000-4000-8000-000000000000", "nope"):
        response = await client.post(
            f"/v1/accounts/{account_id}/stored-value-cards", json=purchase(), headers=api.billing
        )
        assert response.status_code == 404


async def test_only_billing_records_purchases(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    url = f"/v1/accounts/{customer.account_id}/stored-value-cards"
    assert (await client.post(url, json=purchase(), headers=customer.headers)).status_code == 403
    assert (await client.post(url, json=purchase(), headers=api.finance)).status_code == 403


async def test_customer_lists_own_cards_newest_first(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    other = await api.customer()
    numbers = [f"SVC-{n:04d}" for n in range(5)]
    for number in numbers:
        await make_card(api, customer.account_id, number)
    await make_card(api, other.account_id, "SVC-OTHER")

    first = await client.get("/v1/stored-value-cards", params={"limit": 3}, headers=customer.headers)
    assert first.status_code == 200
    assert [c["card_no"] for c in first.json()["data"]] == ["SVC-0004", "SVC-0003", "SVC-0002"]
    assert first.json()["has_more"] is True
    rest = await client.get(
        "/v1/stored-value-cards",
        params={"limit": 3, "cursor": first.json()["next_cursor"]},
        headers=customer.headers,
    )
    assert [c["card_no"] for c in rest.json()["data"]] == ["SVC-0001", "SVC-0000"]
    assert rest.json()["has_more"] is False
    assert rest.json()["next_cursor"] is None


async def test_customer_reads_one_card_but_not_another_accounts(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    other = await api.customer()
    mine = await make_card(api, customer.account_id)
    theirs = await make_card(api, other.account_id)

    response = await client.get(f"/v1/stored-value-cards/{mine['id']}", headers=customer.headers)
    assert response.status_code == 200
    assert response.json() == mine

    hidden = await client.get(f"/v1/stored-value-cards/{theirs['id']}", headers=customer.headers)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "not_found"
    malformed = await client.get("/v1/stored-value-cards/not-an-id", headers=customer.headers)
    assert malformed.status_code == 404
    listed = await client.get("/v1/stored-value-cards", headers=customer.headers)
    assert [c["id"] for c in listed.json()["data"]] == [mine["id"]]


async def test_invoiceable_filter_and_requested_amount(
    client: httpx.AsyncClient, api: Api, app: FastAPI
) -> None:
    customer = await api.customer()
    fresh = await make_card(api, customer.account_id, "SVC-A", paid="100.00")
    partly = await make_card(api, customer.account_id, "SVC-B", paid="100.00")
    fully = await make_card(api, customer.account_id, "SVC-C", paid="100.00")
    free = await make_card(api, customer.account_id, "SVC-D", paid="0.00", face="50.00")
    await force_requested_amount(app, "card", partly["id"], 2550)
    await force_requested_amount(app, "card", fully["id"], 10000)

    shown = await client.get(f"/v1/stored-value-cards/{partly['id']}", headers=customer.headers)
    assert shown.json()["requested_amount"] == "25.50"
    assert shown.json()["invoiceable_amount"] == "74.50"

    yes = await client.get("/v1/stored-value-cards", params={"invoiceable": "true"}, headers=customer.headers)
    assert [c["id"] for c in yes.json()["data"]] == [partly["id"], fresh["id"]]
    no = await client.get("/v1/stored-value-cards", params={"invoiceable": "false"}, headers=customer.headers)
    assert [c["id"] for c in no.json()["data"]] == [free["id"], fully["id"]]
    bad = await client.get("/v1/stored-value-cards", params={"invoiceable": "2"}, headers=customer.headers)
    assert bad.status_code == 422


async def test_staff_keys_cannot_use_customer_card_reads(client: httpx.AsyncClient, api: Api) -> None:
    assert (await client.get("/v1/stored-value-cards", headers=api.billing)).status_code == 403
    assert (await client.get("/v1/stored-value-cards")).status_code == 401
