"""The invoice deficit: an automatic request settles it exactly as the customer's own request would."""

from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI

from tests.autoinvoicing.helpers import Auto, enabled_customer, events_of, requests_of, run_job
from tests.factories import Api, make_bill, make_card

DAY = date(2026, 12, 8)


async def _over_invoiced(client: httpx.AsyncClient, api: Api) -> Auto:
    """An account whose August bill was requested at 1000.00 and then amended to 700.00: deficit 300.00."""
    auto = await enabled_customer(api)
    august = await make_bill(api, auto.account_id, period="2026-08", cash="1000.00")
    response = await client.post(
        "/v1/invoice-requests",
        json={"bill_ids": [august["id"]], "profile_id": auto.profile["id"], "address_id": auto.address["id"]},
        headers=auto.headers,
    )
    assert response.status_code == 201, response.text
    await make_bill(api, auto.account_id, period="2026-08", cash="700.00")  # a refund after invoicing
    account = (await client.get("/v1/account", headers=auto.headers)).json()
    assert account["invoice_deficit"] == "300.00"
    return auto


def _lines(request: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(item["kind"], item["label"], item["amount"]) for item in request["items"]]


async def test_an_automatic_request_settles_the_deficit_as_a_manual_one(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    made: list[tuple[Auto, dict[str, Any]]] = []
    for automatic in (False, True):
        auto = await _over_invoiced(client, api)
        october = await make_bill(api, auto.account_id, period="2026-10", cash="200.00")
        november = await make_bill(api, auto.account_id, period="2026-11", cash="500.00")
        if automatic:
            assert (await run_job(app, DAY)).requested == 1
            request = (await requests_of(client, auto))[0]
            assert request["events"][0]["actor_role"] == "system"
        else:
            off = await client.put("/v1/auto-invoicing", json={"enabled": False}, headers=auto.headers)
            assert off.status_code == 200
            response = await client.post(
                "/v1/invoice-requests",
                json={
                    "bill_ids": [october["id"], november["id"]],
                    "profile_id": auto.profile["id"],
                    "address_id": auto.address["id"],
                },
                headers=auto.headers,
            )
            assert response.status_code == 201, response.text
            request = response.json()
        made.append((auto, request))

    (manual_account, manual), (automatic_account, automatic) = made
    assert automatic["amount"] == manual["amount"] == "400.00"
    assert _lines(automatic) == _lines(manual)
    assert sorted(item["amount"] for item in automatic["items"]) == ["-300.00", "200.00", "500.00"]
    for auto in (manual_account, automatic_account):
        account = (await client.get("/v1/account", headers=auto.headers)).json()
        assert account["invoice_deficit"] == "0.00"
        changes = await events_of(app, auto.account_id, "account.invoice_deficit_changed")
        assert changes[-1]["invoice_deficit"] == "0.00"


async def test_a_month_whose_items_do_not_exceed_the_deficit_is_skipped(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    auto = await _over_invoiced(client, api)
    october = await make_bill(api, auto.account_id, period="2026-10", cash="200.00")
    result = await run_job(app, DAY)
    assert (result.requested, result.skipped) == (0, 1)
    assert await events_of(app, auto.account_id, "auto_invoicing.skipped") == [
        {"account_id": auto.account_id, "month": "2026-12", "code": "invoice_deficit"}
    ]
    assert len(await requests_of(client, auto)) == 1  # only the customer's first request
    bill = (await client.get(f"/v1/bills/{october['id']}", headers=auto.headers)).json()
    assert bill["invoiceable_amount"] == "200.00"
    account = (await client.get("/v1/account", headers=auto.headers)).json()
    assert account["invoice_deficit"] == "300.00"


async def test_refunded_cards_are_requested_net_of_the_refund(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    auto = await enabled_customer(api)
    partly = await make_card(
        api, auto.account_id, card_no="PART", paid="500.00", purchased_at="2026-11-02T08:00:00Z"
    )
    whole = await make_card(
        api, auto.account_id, card_no="WHOLE", paid="80.00", purchased_at="2026-11-03T08:00:00Z"
    )
    for card, amount in ((partly, "120.00"), (whole, "80.00")):
        response = await client.post(
            f"/v1/accounts/{auto.account_id}/stored-value-cards/{card['id']}/refunds",
            json={"amount": amount},
            headers=api.billing,
        )
        assert response.status_code == 201, response.text
    assert (await run_job(app, DAY)).requested == 1
    [request] = await requests_of(client, auto)
    assert [(item["id"], item["amount"]) for item in request["items"]] == [(partly["id"], "380.00")]
    assert request["amount"] == "380.00"
