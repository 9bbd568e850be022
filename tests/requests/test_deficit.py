"""Money after invoicing: bill amendments, card refunds, the invoice deficit and its settlement,
through the HTTP API (SPEC §3, *Amendments, refunds and the invoice deficit*)."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.factories import Api, make_bill, make_card
from tests.requests.helpers import Ready, create, issue_whole, move, ready_customer, reverse_fully, selection


def _number() -> str:
    return uuid.uuid4().hex[:20].upper()


async def _bill(client: httpx.AsyncClient, ready: Ready, bill_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/bills/{bill_id}", headers=ready.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _card(client: httpx.AsyncClient, ready: Ready, card_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/stored-value-cards/{card_id}", headers=ready.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _summary(client: httpx.AsyncClient, ready: Ready) -> dict[str, Any]:
    response = await client.get("/v1/invoiceable-summary", headers=ready.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _deficit(client: httpx.AsyncClient, api: Api, ready: Ready) -> str:
    """The deficit as the customer, billing and the summary see it (they must agree)."""
    mine = (await client.get("/v1/account", headers=ready.headers)).json()["invoice_deficit"]
    path = f"/v1/accounts/{ready.customer.account_id}"
    billing = (await client.get(path, headers=api.billing)).json()["invoice_deficit"]
    finance = (await client.get(path, headers=api.finance)).json()["invoice_deficit"]
    summary = (await _summary(client, ready))["invoice_deficit"]
    assert mine == billing == finance == summary, (mine, billing, finance, summary)
    return str(mine)


async def _amend(client: httpx.AsyncClient, api: Api, ready: Ready, period: str, cash: str) -> dict[str, Any]:
    response = await client.put(
        f"/v1/accounts/{ready.customer.account_id}/bills/{period}",
        json={
            "total_amount": cash,
            "cash_amount": cash,
            "voucher_amount": "0",
            "stored_value_card_amount": "0",
        },
        headers=api.billing,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _refund(
    client: httpx.AsyncClient, api: Api, account_id: str, card_id: str, amount: Any, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/accounts/{account_id}/stored-value-cards/{card_id}/refunds",
        json={"amount": amount, **extra},
        headers=api.billing,
    )


async def _request(client: httpx.AsyncClient, ready: Ready, bills: list[dict[str, Any]]) -> httpx.Response:
    return await client.post(
        "/v1/invoice-requests", json=selection(ready, bills=bills, cards=[]), headers=ready.headers
    )


async def _deficit_events(client: httpx.AsyncClient, api: Api, account_id: str, count: int) -> list[str]:
    """The account's `account.invoice_deficit_changed` values from the feed, oldest first (polling:
    on PostgreSQL the feed holds back while any transaction in the cluster is still running)."""
    for _attempt in range(100):
        seen: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 100} | ({"after": cursor} if cursor else {})
            page = (await client.get("/v1/events", params=params, headers=api.billing)).json()
            seen += [e for e in page["data"] if e["account_id"] == account_id]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
        deficits = [e for e in seen if e["type"] == "account.invoice_deficit_changed"]
        if len(deficits) >= count:
            for event in deficits:
                assert event["data"]["account_id"] == account_id
            return [e["data"]["invoice_deficit"] for e in deficits]
        await asyncio.sleep(0.1)
    raise AssertionError(f"expected {count} deficit events, saw {seen}")


async def test_the_worked_example(client: httpx.AsyncClient, api: Api) -> None:
    """A 1000.00 bill invoiced and amended to 700.00 leaves a deficit of 300.00; a 200.00 bill
    alone cannot cover it; 200.00 + 500.00 give a request of 400.00 with a -300.00 line;
    cancelling that brings the deficit back; reversing the over-invoiced request instead clears it."""
    ready = await ready_customer(api, bills=0)
    account_id = ready.customer.account_id
    a = await make_bill(api, account_id, "2026-01", cash="1000.00")
    first = await issue_whole(client, api, await create(client, ready, bills=[a]), _number())
    assert first["amount"] == "1000.00"

    amended = await _amend(client, api, ready, "2026-01", "700.00")
    assert (amended["requested_amount"], amended["invoiceable_amount"], amended["over_invoiced_amount"]) == (
        "1000.00",
        "0.00",
        "300.00",
    )
    assert await _deficit(client, api, ready) == "300.00"
    summary = await _summary(client, ready)
    assert summary["invoiceable_amount"] == "0.00"
    assert summary["blockers"] == ["nothing_invoiceable", "invoice_deficit"]

    b = await make_bill(api, account_id, "2026-02", cash="200.00")
    summary = await _summary(client, ready)
    assert (summary["bills"], summary["invoiceable_amount"]) == ({"count": 1, "amount": "200.00"}, "0.00")
    assert (summary["can_request"], summary["blockers"]) == (False, ["invoice_deficit"])
    refused = await _request(client, ready, [b])
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "invoice_deficit"
    assert (refused.json()["invoice_deficit"], refused.json()["selected_amount"]) == ("300.00", "200.00")

    c = await make_bill(api, account_id, "2026-03", cash="500.00")
    summary = await _summary(client, ready)
    assert (summary["invoiceable_amount"], summary["can_request"], summary["blockers"]) == (
        "400.00",
        True,
        [],
    )
    response = await _request(client, ready, [b, c])
    assert response.status_code == 201, response.text
    settling = response.json()
    assert settling["amount"] == "400.00"
    assert [(i["kind"], i["id"], i["amount"]) for i in settling["items"]] == [
        ("bill", b["id"], "200.00"),
        ("bill", c["id"], "500.00"),
        ("bill", a["id"], "-300.00"),
    ]
    assert "settles an earlier over-invoiced amount" in settling["items"][2]["label"]
    assert "settles" not in settling["items"][0]["label"]
    assert await _deficit(client, api, ready) == "0.00"
    assert (await _bill(client, ready, a["id"]))["over_invoiced_amount"] == "0.00"
    assert (await _bill(client, ready, a["id"]))["requested_amount"] == "700.00"
    assert (await _summary(client, ready))["invoiceable_amount"] == "0.00"
    shown = (await client.get(f"/v1/invoice-requests/{settling['id']}", headers=ready.headers)).json()
    assert shown["items"] == settling["items"]
    assert shown["amount"] == "400.00"

    cancelled = await client.post(f"/v1/invoice-requests/{settling['id']}/cancel", headers=ready.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert await _deficit(client, api, ready) == "300.00"
    assert (await _bill(client, ready, a["id"]))["requested_amount"] == "1000.00"
    assert [(await _bill(client, ready, x["id"]))["invoiceable_amount"] for x in (b, c)] == [
        "200.00",
        "500.00",
    ]

    reversed_ = await reverse_fully(client, api, first["id"], "Amended after invoicing")
    assert reversed_.status_code == 200, reversed_.text
    assert await _deficit(client, api, ready) == "0.00"
    cleared = await _bill(client, ready, a["id"])
    assert (cleared["requested_amount"], cleared["invoiceable_amount"], cleared["over_invoiced_amount"]) == (
        "0.00",
        "700.00",
        "0.00",
    )
    again = await _request(client, ready, [a, b, c])
    assert again.status_code == 201, again.text
    assert again.json()["amount"] == "1400.00"
    assert all(not item["amount"].startswith("-") for item in again.json()["items"])

    assert await _deficit_events(client, api, account_id, 4) == ["300.00", "0.00", "300.00", "0.00"]


async def test_finance_issues_the_net_amount_of_a_settling_request(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=0)
    a = await make_bill(api, ready.customer.account_id, "2026-01", cash="100.00")
    await issue_whole(client, api, await create(client, ready, bills=[a]), _number())
    await _amend(client, api, ready, "2026-01", "60.00")
    b = await make_bill(api, ready.customer.account_id, "2026-02", cash="50.00")
    request = await create(client, ready, bills=[b])
    assert request["amount"] == "10.00"
    assert (await move(client, api, request["id"], "start")).status_code == 200
    gross = {"invoices": [{"number": _number(), "amount": "50.00"}]}
    wrong = await move(client, api, request["id"], "issue", gross)
    assert wrong.status_code == 422, wrong.text
    net = {"invoices": [{"number": _number(), "amount": "10.00"}]}
    issued = await move(client, api, request["id"], "issue", net)
    assert issued.status_code == 200, issued.text
    assert issued.json()["invoices"][0]["amount"] == "10.00"


async def test_item_not_invoiceable_is_checked_before_invoice_deficit(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=0)
    a = await make_bill(api, ready.customer.account_id, "2026-01", cash="100.00")
    await create(client, ready, bills=[a])
    await _amend(client, api, ready, "2026-01", "10.00")  # deficit 90.00
    b = await make_bill(api, ready.customer.account_id, "2026-02", cash="5.00")
    refused = await _request(client, ready, [a, b])
    assert refused.status_code == 409
    assert refused.json()["code"] == "item_not_invoiceable"
    assert refused.json()["items"] == [{"kind": "bill", "id": a["id"]}]
    refused = await _request(client, ready, [b])
    assert refused.json()["code"] == "invoice_deficit"
    # A selection equal to the deficit does not exceed it either.
    await _amend(client, api, ready, "2026-02", "90.00")
    assert (await _request(client, ready, [b])).json()["code"] == "invoice_deficit"
    await _amend(client, api, ready, "2026-02", "90.01")
    created = await _request(client, ready, [b])
    assert created.status_code == 201, created.text
    assert created.json()["amount"] == "0.01"


@pytest.mark.parametrize("ending", ["reject", "cancel"])
async def test_releasing_a_settling_request_gives_the_settled_deficit_back(
    client: httpx.AsyncClient, api: Api, ending: str
) -> None:
    ready = await ready_customer(api, bills=0, cards=0)
    account_id = ready.customer.account_id
    card = await make_card(api, account_id, card_no="SVC-1", paid="500.00")
    await create(client, ready, bills=[], cards=[card])
    assert (await _refund(client, api, account_id, card["id"], "120.00")).status_code == 201
    assert await _deficit(client, api, ready) == "120.00"
    bill = await make_bill(api, account_id, "2026-04", cash="300.00")
    settling = await create(client, ready, bills=[bill], cards=[])
    assert settling["amount"] == "180.00"
    assert settling["items"][1]["kind"] == "stored_value_card"
    assert settling["items"][1]["amount"] == "-120.00"
    assert await _deficit(client, api, ready) == "0.00"
    if ending == "cancel":
        response = await client.post(f"/v1/invoice-requests/{settling['id']}/cancel", headers=ready.headers)
    else:
        response = await move(client, api, settling["id"], "reject", {"reason": "Wrong title"})
    assert response.status_code == 200, response.text
    assert await _deficit(client, api, ready) == "120.00"
    assert (await _card(client, ready, card["id"]))["over_invoiced_amount"] == "120.00"
    assert (await _bill(client, ready, bill["id"]))["invoiceable_amount"] == "300.00"


async def test_amending_a_bill_back_up_clears_its_deficit(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=0)
    a = await make_bill(api, ready.customer.account_id, "2026-01", cash="100.00")
    await create(client, ready, bills=[a])
    await _amend(client, api, ready, "2026-01", "40.00")
    await _amend(client, api, ready, "2026-01", "70.00")
    assert await _deficit(client, api, ready) == "30.00"
    back = await _amend(client, api, ready, "2026-01", "130.00")
    assert (back["over_invoiced_amount"], back["invoiceable_amount"]) == ("0.00", "30.00")
    assert await _deficit(client, api, ready) == "0.00"
    same = await _amend(client, api, ready, "2026-01", "130.00")  # no change, no event
    assert same == back
    assert await _deficit_events(client, api, ready.customer.account_id, 3) == ["60.00", "30.00", "0.00"]


async def test_reversing_the_over_invoiced_request_while_a_settling_one_is_active(
    client: httpx.AsyncClient, api: Api
) -> None:
    """The settled line then holds the bill below zero: what is left to invoice on it is its cash
    part plus what was settled, so the money still balances."""
    ready = await ready_customer(api, bills=0)
    account_id = ready.customer.account_id
    a = await make_bill(api, account_id, "2026-01", cash="1000.00")
    first = await issue_whole(client, api, await create(client, ready, bills=[a]), _number())
    await _amend(client, api, ready, "2026-01", "700.00")
    b = await make_bill(api, account_id, "2026-02", cash="500.00")
    settling = await create(client, ready, bills=[b])
    assert settling["amount"] == "200.00"
    response = await reverse_fully(client, api, first["id"], "Re-rated")
    assert response.status_code == 200, response.text
    shown = await _bill(client, ready, a["id"])
    assert (shown["requested_amount"], shown["invoiceable_amount"], shown["over_invoiced_amount"]) == (
        "-300.00",
        "1000.00",
        "0.00",
    )
    assert await _deficit(client, api, ready) == "0.00"
    # Paid 1200.00 in all; 200.00 is in an active request; 1000.00 is left to invoice.
    assert (await _summary(client, ready))["invoiceable_amount"] == "1000.00"
    again = await create(client, ready, bills=[a])
    assert again["amount"] == "1000.00"


async def test_card_refunds(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=0)
    account_id = ready.customer.account_id
    card = await make_card(api, account_id, card_no="SVC-9", paid="500.00", face="520.00")

    # Before any request: the refund lowers what can be invoiced, nothing is over-invoiced.
    response = await _refund(client, api, account_id, card["id"], "100.00", reason="Unused balance")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["paid_amount"], body["refunded_amount"], body["invoiceable_amount"]) == (
        "500.00",
        "100.00",
        "400.00",
    )
    assert body["over_invoiced_amount"] == "0.00"
    assert await _deficit(client, api, ready) == "0.00"

    request = await create(client, ready, bills=[], cards=[card])
    assert request["amount"] == "400.00"
    response = await _refund(client, api, account_id, card["id"], "150.00")
    assert response.status_code == 201, response.text
    assert (response.json()["requested_amount"], response.json()["over_invoiced_amount"]) == (
        "400.00",
        "150.00",
    )
    assert await _deficit(client, api, ready) == "150.00"

    too_much = await _refund(client, api, account_id, card["id"], "250.01")  # 250.00 is left to refund
    assert too_much.status_code == 422, too_much.text
    assert too_much.json()["errors"][0]["field"] == "body.amount"
    rest = await _refund(client, api, account_id, card["id"], 250)
    assert rest.status_code == 201, rest.text
    assert (rest.json()["refunded_amount"], rest.json()["over_invoiced_amount"]) == ("500.00", "400.00")
    assert (await _refund(client, api, account_id, card["id"], "0.01")).status_code == 422
    assert await _deficit(client, api, ready) == "400.00"
    assert await _card(client, ready, card["id"]) == rest.json()


@pytest.mark.parametrize(
    "body", [{"amount": "0.00"}, {"amount": "-1.00"}, {"amount": 1.5}, {}, {"amount": "1.00", "x": 1}]
)
async def test_malformed_refunds_are_422(client: httpx.AsyncClient, api: Api, body: dict[str, Any]) -> None:
    account_id = await api.account()
    card = await make_card(api, account_id)
    response = await client.post(
        f"/v1/accounts/{account_id}/stored-value-cards/{card['id']}/refunds", json=body, headers=api.billing
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


async def test_refunds_are_for_the_billing_role_and_the_cards_account(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer = await api.customer()
    other = await api.account()
    card = await make_card(api, customer.account_id)
    path = f"/v1/accounts/{customer.account_id}/stored-value-cards/{card['id']}/refunds"
    assert (await client.post(path, json={"amount": "1.00"}, headers=customer.headers)).status_code == 403
    assert (await client.post(path, json={"amount": "1.00"}, headers=api.finance)).status_code == 403
    for wrong in (
        f"/v1/accounts/{other}/stored-value-cards/{card['id']}/refunds",
        f"/v1/accounts/{customer.account_id}/stored-value-cards/{uuid.uuid4()}/refunds",
        f"/v1/accounts/{uuid.uuid4()}/stored-value-cards/{card['id']}/refunds",
        f"/v1/accounts/{customer.account_id}/stored-value-cards/not-an-id/refunds",
    ):
        response = await client.post(wrong, json={"amount": "1.00"}, headers=api.billing)
        assert response.status_code == 404, (wrong, response.text)
        assert response.json()["code"] == "not_found"
    unchanged = (await client.get(f"/v1/stored-value-cards/{card['id']}", headers=customer.headers)).json()
    assert unchanged["refunded_amount"] == "0.00"


async def test_list_filters_follow_the_amended_amounts(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=0)
    a = await make_bill(api, ready.customer.account_id, "2026-01", cash="100.00")
    await create(client, ready, bills=[a])
    await _amend(client, api, ready, "2026-01", "150.00")  # 50.00 more to invoice
    listed = (await client.get("/v1/bills?invoiceable=true", headers=ready.headers)).json()["data"]
    assert [(x["id"], x["invoiceable_amount"]) for x in listed] == [(a["id"], "50.00")]
    await _amend(client, api, ready, "2026-01", "80.00")  # over-invoiced: nothing to invoice
    assert (await client.get("/v1/bills?invoiceable=true", headers=ready.headers)).json()["data"] == []
    rest = (await client.get("/v1/bills?invoiceable=false", headers=ready.headers)).json()["data"]
    assert [(x["id"], x["over_invoiced_amount"]) for x in rest] == [(a["id"], "20.00")]
