"""The billing engine's bill upsert: amounts, validation, and amendments at any time."""

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import Api, force_requested_amount, make_bill


def amounts(total: Any, cash: Any, voucher: Any = "0.00", card: Any = "0.00") -> dict[str, Any]:
    return {
        "total_amount": total,
        "cash_amount": cash,
        "voucher_amount": voucher,
        "stored_value_card_amount": card,
    }


async def test_new_period_is_created_then_replaced(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    url = f"/v1/accounts/{account_id}/bills/2026-10"
    created = await client.put(url, json=amounts("150.00", "100.00", "20.00", "30.00"), headers=api.billing)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["period"] == "2026-10"
    assert body["total_amount"] == "150.00"
    assert body["cash_amount"] == "100.00"
    assert body["voucher_amount"] == "20.00"
    assert body["stored_value_card_amount"] == "30.00"
    assert body["requested_amount"] == "0.00"
    assert body["invoiceable_amount"] == "100.00"  # only the cash part
    assert body["created_at"].endswith("Z")
    assert set(body) == {
        "id",
        "period",
        "total_amount",
        "cash_amount",
        "voucher_amount",
        "stored_value_card_amount",
        "requested_amount",
        "invoiceable_amount",
        "over_invoiced_amount",
        "seller_id",
        "tax_rate",
        "tax_category_code",
        "item_name",
        "created_at",
        "updated_at",
    }
    assert body["over_invoiced_amount"] == "0.00"

    replaced = await client.put(url, json=amounts("80.00", "80.00"), headers=api.billing)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["id"] == body["id"]
    assert replaced.json()["created_at"] == body["created_at"]
    assert replaced.json()["invoiceable_amount"] == "80.00"
    assert replaced.json()["voucher_amount"] == "0.00"


async def test_repeating_the_same_amounts_is_200(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    first = await make_bill(api, account_id, "2026-09", cash="10.00")
    url = f"/v1/accounts/{account_id}/bills/2026-09"
    again = await client.put(url, json=amounts("10.00", "10.00"), headers=api.billing)
    assert again.status_code == 200
    assert again.json() == first


async def test_money_is_exact(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    response = await client.put(
        f"/v1/accounts/{account_id}/bills/2026-10",
        json=amounts("0.30", "0.10", "0.20"),
        headers=api.billing,
    )
    assert response.status_code == 201, response.text
    assert response.json()["total_amount"] == "0.30"
    assert response.json()["invoiceable_amount"] == "0.10"


async def test_integer_amounts_are_accepted(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    response = await client.put(
        f"/v1/accounts/{account_id}/bills/2026-10", json=amounts(12, 12, 0, 0), headers=api.billing
    )
    assert response.status_code == 201, response.text
    assert response.json()["cash_amount"] == "12.00"


async def test_total_must_equal_the_sum_of_the_parts(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    response = await client.put(
        f"/v1/accounts/{account_id}/bills/2026-10",
        json=amounts("100.01", "50.00", "25.00", "25.00"),
        headers=api.billing,
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert [e["field"] for e in problem["errors"]] == ["body.total_amount"]
    # Nothing was stored: the next valid PUT still creates the bill.
    valid = await client.put(
        f"/v1/accounts/{account_id}/bills/2026-10",
        json=amounts("100.00", "50.00", "25.00", "25.00"),
        headers=api.billing,
    )
    assert valid.status_code == 201


@pytest.mark.parametrize(
    "period",
    ["2026-13", "2026-00", "2026-1", "26-10", "2026-10-01", "2026_10", "\uff12\uff10\uff12\uff16-10"],
)
async def test_period_must_be_a_calendar_month(client: httpx.AsyncClient, api: Api, period: str) -> None:
    account_id = await api.account()
    response = await client.put(
        f"/v1/accounts/{account_id}/bills/{period}", json=amounts("1.00", "1.00"), headers=api.billing
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert "path.period" in [e["field"] for e in problem["errors"]]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cash_amount", "-1.00"),
        ("cash_amount", "1.001"),
        ("cash_amount", 1.5),
        ("cash_amount", "NaN"),
        ("cash_amount", "Infinity"),
        ("cash_amount", "1000000000000.00"),
        ("cash_amount", None),
        ("cash_amount", True),
        ("voucher_amount", "-0.01"),
        ("stored_value_card_amount", "x"),
        ("total_amount", "-1.00"),
    ],
)
async def test_amounts_must_be_exact_non_negative_money(
    client: httpx.AsyncClient, api: Api, field: str, value: Any
) -> None:
    account_id = await api.account()
    body = amounts("1.00", "1.00")
    body[field] = value
    response = await client.put(f"/v1/accounts/{account_id}/bills/2026-10", json=body, headers=api.billing)
    assert response.status_code == 422
    assert f"body.{field}" in [e["field"] for e in response.json()["errors"]]


async def test_missing_and_unknown_fields_are_422(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    url = f"/v1/accounts/{account_id}/bills/2026-10"
    missing = await client.put(url, json={"total_amount": "1.00", "cash_amount": "1.00"}, headers=api.billing)
    assert missing.status_code == 422
    extra = await client.put(url, json={**amounts("1.00", "1.00"), "tax": "0.00"}, headers=api.billing)
    assert extra.status_code == 422


@pytest.mark.parametrize("account_id", ["00000000-0000-4000-8000-000000000000", "not-an-id"])
async def test_unknown_account_is_404(client: httpx.AsyncClient, api: Api, account_id: str) -> None:
    response = await client.put(
        f"/v1/accounts/{account_id}/bills/2026-10", json=amounts("1.00", "1.00"), headers=api.billing
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_only_the_billing_role_may_upsert(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    url = f"/v1/accounts/{customer.account_id}/bills/2026-10"
    as_customer = await client.put(url, json=amounts("1.00", "1.00"), headers=customer.headers)
    assert as_customer.status_code == 403
    as_finance = await client.put(url, json=amounts("1.00", "1.00"), headers=api.finance)
    assert as_finance.status_code == 403
    anonymous = await client.put(url, json=amounts("1.00", "1.00"))
    assert anonymous.status_code == 401


async def test_a_bill_with_a_requested_amount_can_still_be_amended(
    client: httpx.AsyncClient, api: Api, app: FastAPI
) -> None:
    customer = await api.customer()
    bill = await make_bill(api, customer.account_id, "2026-08", cash="100.00", voucher="10.00")
    await force_requested_amount(app, "bill", bill["id"], 1)  # 0.01 requested
    url = f"/v1/accounts/{customer.account_id}/bills/2026-08"

    raised = await client.put(url, json=amounts("120.00", "110.00", "10.00"), headers=api.billing)
    assert raised.status_code == 200, raised.text
    assert raised.json()["requested_amount"] == "0.01"  # an amendment never takes back a requested amount
    assert raised.json()["invoiceable_amount"] == "109.99"
    assert raised.json()["over_invoiced_amount"] == "0.00"

    same = await client.put(url, json=amounts("120.00", "110.00", "10.00"), headers=api.billing)
    assert same.status_code == 200, same.text
    assert same.json() == raised.json()

    shown = await client.get(f"/v1/bills/{bill['id']}", headers=customer.headers)
    assert shown.json() == raised.json()


async def test_concurrent_creation_of_one_period_makes_one_bill(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    url = f"/v1/accounts/{customer.account_id}/bills/2026-07"
    responses = await asyncio.gather(
        *(client.put(url, json=amounts("5.00", "5.00"), headers=api.billing) for _ in range(6))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 200, 200, 200, 201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    listed = await client.get("/v1/bills", headers=customer.headers)
    assert len(listed.json()["data"]) == 1
