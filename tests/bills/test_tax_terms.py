"""Tax terms of bills and cards: defaults, the fixed rates and code format, the seller, and the lock
once an amount is in an active request (amounts may still be amended)."""

from typing import Any

import httpx
import pytest

from tests.factories import Api, make_card
from tests.requests.helpers import create, move, ready_customer
from tests.sellers.helpers import default_seller, make_seller

CLOUD = "3040201000000000000"
OTHER_CODE = "3040203000000000000"


def bill_body(cash: str = "100.00", **terms: Any) -> dict[str, Any]:
    return {
        "total_amount": cash,
        "cash_amount": cash,
        "voucher_amount": "0.00",
        "stored_value_card_amount": "0.00",
        **terms,
    }


async def test_bills_and_cards_take_the_default_terms(client: httpx.AsyncClient, api: Api) -> None:
    account = await api.account()
    seller = await default_seller(api)
    bill = await client.put(f"/v1/accounts/{account}/bills/2026-10", json=bill_body(), headers=api.billing)
    card = await make_card(api, account)
    for item in (bill.json(), card):
        assert (item["seller_id"], item["tax_rate"], item["tax_category_code"], item["item_name"]) == (
            seller["id"],
            "0.06",
            CLOUD,
            "*信息技术服务*云服务费",
        )


async def test_given_terms_are_kept_and_an_amendment_without_them_keeps_them(
    client: httpx.AsyncClient, api: Api
) -> None:
    account = await api.account()
    seller = await make_seller(api)
    url = f"/v1/accounts/{account}/bills/2026-10"
    terms = {
        "seller_id": seller["id"],
        "tax_rate": "0.13",
        "tax_category_code": OTHER_CODE,
        "item_name": "*软件*许可",
    }
    made = await client.put(url, json=bill_body(**terms), headers=api.billing)
    assert made.status_code == 201, made.text
    assert {name: made.json()[name] for name in terms} == terms
    amended = await client.put(url, json=bill_body("80.00"), headers=api.billing)
    assert amended.status_code == 200
    assert {name: amended.json()[name] for name in terms} == terms
    card = await client.post(
        f"/v1/accounts/{account}/stored-value-cards",
        json={
            "card_no": "T-1",
            "face_value": "10.00",
            "paid_amount": "10.00",
            "purchased_at": "2026-10-01T00:00:00Z",
            **terms,
        },
        headers=api.billing,
    )
    assert card.status_code == 201, card.text
    assert {name: card.json()[name] for name in terms} == terms


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tax_rate", "0.07"),
        ("tax_rate", 0.06),
        ("tax_rate", "6%"),
        ("tax_category_code", "3" * 18),
        ("tax_category_code", "3" * 20),
        ("tax_category_code", "304020100000000000A"),
        ("item_name", ""),
        ("item_name", "x" * 101),
    ],
)
async def test_bad_terms_are_422_on_their_field_and_write_nothing(
    client: httpx.AsyncClient, api: Api, field: str, value: object
) -> None:
    account = await api.account()
    response = await client.put(
        f"/v1/accounts/{account}/bills/2026-10", json=bill_body(**{field: value}), headers=api.billing
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == f"body.{field}"
    card = await client.post(
        f"/v1/accounts/{account}/stored-value-cards",
        json={
            "card_no": "T-1",
            "face_value": "1.00",
            "paid_amount": "1.00",
            "purchased_at": "2026-10-01T00:00:00Z",
            field: value,
        },
        headers=api.billing,
    )
    assert card.status_code == 422
    customer_key = (
        await client.post(f"/v1/accounts/{account}/api-keys", json={"role": "customer"}, headers=api.billing)
    ).json()["key"]
    listed = await client.get("/v1/bills", headers={"Authorization": f"Bearer {customer_key}"})
    assert listed.json()["data"] == []


async def test_an_unknown_seller_is_404_and_writes_nothing(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=0)
    account = ready.customer.account_id
    for seller_id in ("0b7e1e0c-8a4e-4c1e-9a53-2f1d7c3b9a10", "not-a-seller"):
        bill = await client.put(
            f"/v1/accounts/{account}/bills/2026-10", json=bill_body(seller_id=seller_id), headers=api.billing
        )
        assert bill.status_code == 404, bill.text
        assert bill.json()["code"] == "not_found"
        card = await client.post(
            f"/v1/accounts/{account}/stored-value-cards",
            json={
                "card_no": "T-1",
                "face_value": "1.00",
                "paid_amount": "1.00",
                "purchased_at": "2026-10-01T00:00:00Z",
                "seller_id": seller_id,
            },
            headers=api.billing,
        )
        assert card.status_code == 404
    assert (await client.get("/v1/bills", headers=ready.headers)).json()["data"] == []
    assert (await client.get("/v1/stored-value-cards", headers=ready.headers)).json()["data"] == []


async def test_terms_are_locked_while_an_amount_is_requested(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    bill = ready.bills[0]
    url = f"/v1/accounts/{ready.customer.account_id}/bills/{bill['period']}"
    other = await make_seller(api)
    request = await create(client, ready)
    for change in (
        {"tax_rate": "0.13"},
        {"tax_category_code": OTHER_CODE},
        {"item_name": "*其他*"},
        {"seller_id": other["id"]},
    ):
        refused = await client.put(url, json=bill_body(**change), headers=api.billing)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "tax_terms_locked"
    # Nothing was written by the refusals; the same terms, or none, may come with new amounts.
    same = await client.put(url, json=bill_body("90.00", tax_rate="0.06"), headers=api.billing)
    assert same.status_code == 200, same.text
    assert (same.json()["cash_amount"], same.json()["tax_rate"]) == ("90.00", "0.06")
    assert same.json()["over_invoiced_amount"] == "10.00"

    cancelled = await client.post(f"/v1/invoice-requests/{request['id']}/cancel", headers=ready.headers)
    assert cancelled.status_code == 200
    changed = await client.put(url, json=bill_body("90.00", tax_rate="0.13"), headers=api.billing)
    assert changed.status_code == 200, changed.text
    assert changed.json()["tax_rate"] == "0.13"


async def test_terms_stay_locked_while_issued(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    request = await create(client, ready)
    assert (await move(client, api, request["id"], "start")).status_code == 200
    url = f"/v1/accounts/{ready.customer.account_id}/bills/{ready.bills[0]['period']}"
    refused = await client.put(url, json=bill_body(tax_rate="0.09"), headers=api.billing)
    assert refused.status_code == 409
    assert refused.json()["code"] == "tax_terms_locked"
