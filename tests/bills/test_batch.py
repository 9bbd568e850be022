"""Month-end ingestion (SPEC §11): `POST /v1/bills/batch` does what the single PUTs would do, bill by
bill, in a fixed number of statements, and one bad bill fails alone."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.bills.test_upsert import amounts
from tests.factories import Api, force_requested_amount, make_bill
from tests.requests.helpers import create, ready_customer
from tests.requests.test_queries import counted_statements
from tests.sellers.helpers import default_seller, make_seller


def entry(
    account_id: str, period: str, cash: str, voucher: str = "0.00", card: str = "0.00"
) -> dict[str, Any]:
    fen = sum(int(part.replace(".", "")) for part in (cash, voucher, card))
    total = f"{fen // 100}.{fen % 100:02d}"
    return {"account_id": account_id, "period": period, **amounts(total, cash, voucher, card)}


async def batch(client: httpx.AsyncClient, api: Api, bills: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = await client.post("/v1/bills/batch", json={"bills": bills}, headers=api.billing)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == len(bills)
    return list(results)


async def bills_of(client: httpx.AsyncClient, api: Api, account_id: str) -> dict[str, dict[str, Any]]:
    key = await client.post(
        f"/v1/accounts/{account_id}/api-keys", json={"role": "customer"}, headers=api.billing
    )
    assert key.status_code == 201, key.text
    headers = {"Authorization": f"Bearer {key.json()['key']}"}
    listed = await client.get("/v1/bills", params={"limit": 100}, headers=headers)
    assert listed.status_code == 200, listed.text
    return {bill["period"]: bill for bill in listed.json()["data"]}


async def deficit_events(client: httpx.AsyncClient, api: Api, account_id: str) -> list[str]:
    found: list[str] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"after": after} if after else {})}
        page = await client.get("/v1/events", params=params, headers=api.billing)
        assert page.status_code == 200, page.text
        body = page.json()
        found += [
            e["data"]["invoice_deficit"]
            for e in body["data"]
            if e["type"] == "account.invoice_deficit_changed" and e["data"]["account_id"] == account_id
        ]
        after = body.get("next_cursor")
        if not body["has_more"]:
            return found


async def test_creates_updates_and_leaves_unchanged_in_order(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    existing = await make_bill(api, account_id, "2026-09", cash="50.00")
    results = await batch(
        client,
        api,
        [
            entry(account_id, "2026-10", "100.00", voucher="20.00"),
            entry(account_id, "2026-09", "50.00"),  # the same amounts again
            entry(account_id, "2026-08", "10.00"),
            entry(account_id, "2026-08", "12.00"),  # the same period again: amended by the later entry
        ],
    )
    assert [r["status"] for r in results] == ["created", "unchanged", "created", "updated"]
    assert all(r["ok"] for r in results)
    assert results[1]["id"] == existing["id"]
    assert results[2]["id"] == results[3]["id"]
    stored = await bills_of(client, api, account_id)
    assert stored["2026-10"]["id"] == results[0]["id"]
    assert stored["2026-10"]["total_amount"] == "120.00"
    assert stored["2026-10"]["invoiceable_amount"] == "100.00"
    assert stored["2026-08"]["cash_amount"] == "12.00"
    assert stored["2026-09"]["updated_at"] == existing["updated_at"]  # unchanged: not written


async def test_one_bad_bill_fails_alone(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    bad_total = {**entry(account_id, "2026-11", "10.00"), "total_amount": "11.00"}
    results = await batch(
        client,
        api,
        [
            entry(account_id, "2026-10", "100.00"),
            bad_total,
            entry(str(uuid.uuid4()), "2026-10", "1.00"),  # an unknown account
            entry("not-a-uuid", "2026-10", "1.00"),
            entry(account_id, "2026-12", "5.00"),
        ],
    )
    assert [r["ok"] for r in results] == [True, False, False, False, True]
    assert results[1]["code"] == "validation_error"
    assert results[1]["errors"] == [
        {
            "field": "body.bills.1.total_amount",
            "message": "must equal cash_amount + voucher_amount + stored_value_card_amount",
        }
    ]
    assert results[2]["code"] == results[3]["code"] == "not_found"
    assert results[3]["account_id"] == "not-a-uuid" and results[3]["period"] == "2026-10"
    assert all(r["id"] is None and r["status"] is None for r in results[1:4])
    assert set(await bills_of(client, api, account_id)) == {"2026-10", "2026-12"}


async def test_amendments_move_the_deficit_with_the_same_events_as_single_puts(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    """Two accounts with the same history: one amended by PUTs, one by a batch; the bills, the
    deficit and its events come out the same."""
    by_put, by_batch = await api.account(), await api.account()
    for account_id in (by_put, by_batch):
        for period in ("2026-09", "2026-10"):
            bill = await make_bill(api, account_id, period, cash="100.00")
            await force_requested_amount(app, "bill", bill["id"], 8000)  # 80.00 of each requested
    steps = [("2026-10", "50.00"), ("2026-09", "70.00"), ("2026-10", "90.00"), ("2026-09", "100.00")]
    for period, cash in steps:
        await make_bill(api, by_put, period, cash=cash)
    results = await batch(client, api, [entry(by_batch, period, cash) for period, cash in steps])
    assert [r["status"] for r in results] == ["updated"] * 4

    def shape(bills: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str, str]]:
        return {
            p: (b["cash_amount"], b["invoiceable_amount"], b["over_invoiced_amount"])
            for p, b in bills.items()
        }

    assert shape(await bills_of(client, api, by_batch)) == shape(await bills_of(client, api, by_put))
    expected = ["30.00", "40.00", "10.00", "0.00"]  # 80 over 50, + 80 over 70, - 30, - 10
    assert await deficit_events(client, api, by_put) == expected
    assert await deficit_events(client, api, by_batch) == expected
    for account_id in (by_put, by_batch):
        account = await client.get(f"/v1/accounts/{account_id}", headers=api.billing)
        assert account.json()["invoice_deficit"] == "0.00"


async def test_a_call_costs_the_same_statements_for_ten_bills_or_five_hundred(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    accounts = [await api.account() for _ in range(5)]
    for account_id in accounts:
        bill = await make_bill(api, account_id, "2026-09", cash="100.00")
        await force_requested_amount(app, "bill", bill["id"], 5000)

    async def statements_for(count: int, period: str) -> int:
        bills = [
            entry(accounts[n % 5], f"{period[:4]}-{(n // 5) % 12 + 1:02d}", "1.00") for n in range(count)
        ]
        # Amendments below the requested 50.00: each moves the deficit and writes an event.
        bills += [entry(account_id, "2026-09", f"{count // 10}.00") for account_id in accounts]
        with counted_statements(app) as statements:
            results = await batch(client, api, bills)
        assert all(r["ok"] for r in results)
        assert [r["status"] for r in results[-5:]] == ["updated"] * 5
        # Authentication (the key's lookup) and the transaction's own statements come on top.
        return len(statements)

    small = await statements_for(10, "2024-01")
    large = await statements_for(500, "2025-01")
    assert small == large
    assert small <= 12


async def test_limits_and_roles(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    post = client.post
    too_many = [entry(account_id, "2026-10", "1.00")] * 1001
    response = await post("/v1/bills/batch", json={"bills": too_many}, headers=api.billing)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body.bills"
    response = await post("/v1/bills/batch", json={"bills": []}, headers=api.billing)
    assert response.status_code == 422
    unknown = {**entry(account_id, "2026-10", "1.00"), "colour": "red"}
    response = await post("/v1/bills/batch", json={"bills": [unknown]}, headers=api.billing)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body.bills.0.colour"
    bad_period = entry(account_id, "2026-13", "1.00")
    response = await post("/v1/bills/batch", json={"bills": [bad_period]}, headers=api.billing)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body.bills.0.period"
    number = {**entry(account_id, "2026-10", "1.00"), "cash_amount": 1.5}
    response = await post("/v1/bills/batch", json={"bills": [number]}, headers=api.billing)
    assert response.status_code == 422  # money is never a float
    assert response.json()["errors"][0]["field"] == "body.bills.0.cash_amount"
    customer = await api.customer()
    ok = [entry(account_id, "2026-10", "1.00")]
    assert (await post("/v1/bills/batch", json={"bills": ok}, headers=customer.headers)).status_code == 403
    assert (await post("/v1/bills/batch", json={"bills": ok}, headers=api.finance)).status_code == 403
    assert await bills_of(client, api, account_id) == {}


@pytest.mark.parametrize("rounds", [3])
async def test_overlapping_batches_in_opposite_orders_never_deadlock(
    client: httpx.AsyncClient, api: Api, rounds: int
) -> None:
    """On PostgreSQL the accounts are locked in one global order, so two calls naming the same
    accounts in opposite orders both go through."""
    accounts = [await api.account() for _ in range(6)]
    for round_ in range(rounds):
        period = f"2026-{round_ + 1:02d}"
        forward = [entry(account_id, period, "1.00") for account_id in accounts]
        backward = [entry(account_id, period, "2.00") for account_id in reversed(accounts)]
        first, second = await asyncio.gather(batch(client, api, forward), batch(client, api, backward))
        assert all(r["ok"] for r in first + second)
        assert {r["status"] for r in first + second} <= {"created", "updated"}
    stored = await bills_of(client, api, accounts[0])
    assert set(stored) == {f"2026-{n + 1:02d}" for n in range(rounds)}


async def test_tax_terms_follow_the_single_puts_rules(client: httpx.AsyncClient, api: Api) -> None:
    """Given terms are kept, left-out ones keep the bill's (a new bill's: the defaults and the default
    seller); an unknown seller and changed terms of a requested bill fail those bills alone."""
    ready = await ready_customer(api, bills=1)
    account_id = ready.customer.account_id
    requested = ready.bills[0]
    other = await make_seller(api)
    default = await default_seller(api)
    await create(client, ready)  # the requested bill's terms are now fixed
    results = await batch(
        client,
        api,
        [
            entry(account_id, "2025-01", "10.00"),
            {**entry(account_id, "2025-02", "10.00"), "seller_id": other["id"], "tax_rate": "0.13"},
            {**entry(account_id, "2025-03", "10.00"), "seller_id": str(uuid.uuid4())},
            {**entry(account_id, requested["period"], requested["cash_amount"]), "tax_rate": "0.13"},
            {**entry(account_id, requested["period"], "90.00"), "tax_rate": "0.06"},  # same terms: fine
            {**entry(account_id, "2025-01", "10.00"), "item_name": "*信息技术服务*云主机"},
        ],
    )
    assert [r["ok"] for r in results] == [True, True, False, False, True, True]
    assert [r["status"] for r in results] == ["created", "created", None, None, "updated", "updated"]
    assert results[2]["code"] == "not_found"
    assert results[2]["errors"][0]["field"] == "body.bills.2.seller_id"
    assert results[3]["code"] == "tax_terms_locked"
    stored = await bills_of(client, api, account_id)
    assert "2025-03" not in stored
    assert (stored["2025-01"]["seller_id"], stored["2025-01"]["tax_rate"]) == (default["id"], "0.06")
    assert stored["2025-01"]["item_name"] == "*信息技术服务*云主机"
    assert (stored["2025-02"]["seller_id"], stored["2025-02"]["tax_rate"]) == (other["id"], "0.13")
    kept = stored[requested["period"]]
    assert (kept["tax_rate"], kept["cash_amount"], kept["over_invoiced_amount"]) == ("0.06", "90.00", "10.00")
