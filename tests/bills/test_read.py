"""Customer reads of bills: tenant scoping, filters, newest-period-first keyset pages."""

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import Api, force_requested_amount, make_bill


async def test_customer_sees_own_bills_newest_period_first(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    for period in ("2026-03", "2025-12", "2026-11", "2026-01"):
        await make_bill(api, customer.account_id, period)
    response = await client.get("/v1/bills", headers=customer.headers)
    assert response.status_code == 200
    body = response.json()
    assert [b["period"] for b in body["data"]] == ["2026-11", "2026-03", "2026-01", "2025-12"]
    assert body["has_more"] is False
    assert body["next_cursor"] is None


async def test_customer_reads_one_bill(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    bill = await make_bill(api, customer.account_id, "2026-10", cash="0.10", voucher="0.20", card="0.05")
    response = await client.get(f"/v1/bills/{bill['id']}", headers=customer.headers)
    assert response.status_code == 200
    assert response.json() == bill
    assert bill["total_amount"] == "0.35"
    assert bill["invoiceable_amount"] == "0.10"


async def test_another_accounts_bill_is_404_and_never_listed(client: httpx.AsyncClient, api: Api) -> None:
    mine = await api.customer()
    theirs = await api.customer()
    their_bill = await make_bill(api, theirs.account_id, "2026-10")
    my_bill = await make_bill(api, mine.account_id, "2026-10")

    response = await client.get(f"/v1/bills/{their_bill['id']}", headers=mine.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    listed = await client.get("/v1/bills", headers=mine.headers)
    assert [b["id"] for b in listed.json()["data"]] == [my_bill["id"]]


@pytest.mark.parametrize("bill_id", ["00000000-0000-4000-8000-000000000000", "nope", "1' OR '1'='1"])
async def test_unknown_or_malformed_bill_id_is_404(client: httpx.AsyncClient, api: Api, bill_id: str) -> None:
    customer = await api.customer()
    response = await client.get(f"/v1/bills/{bill_id}", headers=customer.headers)
    assert response.status_code == 404


async def test_staff_keys_cannot_use_customer_bill_reads(client: httpx.AsyncClient, api: Api) -> None:
    assert (await client.get("/v1/bills", headers=api.billing)).status_code == 403
    assert (await client.get("/v1/bills", headers=api.finance)).status_code == 403
    assert (await client.get("/v1/bills")).status_code == 401


async def test_invoiceable_filter(client: httpx.AsyncClient, api: Api, app: FastAPI) -> None:
    customer = await api.customer()
    cash = await make_bill(api, customer.account_id, "2026-01", cash="10.00", voucher="5.00")
    voucher_only = await make_bill(api, customer.account_id, "2026-02", cash="0.00", voucher="30.00")
    card_only = await make_bill(api, customer.account_id, "2026-03", cash="0.00", card="40.00")
    fully_requested = await make_bill(api, customer.account_id, "2026-04", cash="20.00")
    partly_requested = await make_bill(api, customer.account_id, "2026-05", cash="20.00")
    await force_requested_amount(app, "bill", fully_requested["id"], 2000)
    await force_requested_amount(app, "bill", partly_requested["id"], 1999)

    assert voucher_only["invoiceable_amount"] == "0.00"
    assert card_only["invoiceable_amount"] == "0.00"

    yes = await client.get("/v1/bills", params={"invoiceable": "true"}, headers=customer.headers)
    assert yes.status_code == 200
    assert [b["id"] for b in yes.json()["data"]] == [partly_requested["id"], cash["id"]]
    assert yes.json()["data"][0]["invoiceable_amount"] == "0.01"

    no = await client.get("/v1/bills", params={"invoiceable": "false"}, headers=customer.headers)
    assert [b["id"] for b in no.json()["data"]] == [
        fully_requested["id"],
        card_only["id"],
        voucher_only["id"],
    ]

    everything = await client.get("/v1/bills", headers=customer.headers)
    assert len(everything.json()["data"]) == 5

    bad = await client.get("/v1/bills", params={"invoiceable": "maybe"}, headers=customer.headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.invoiceable"


async def test_period_range_is_inclusive(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    for period in ("2025-11", "2025-12", "2026-01", "2026-02", "2026-03"):
        await make_bill(api, customer.account_id, period)

    async def periods(**params: str) -> list[str]:
        response = await client.get("/v1/bills", params=params, headers=customer.headers)
        assert response.status_code == 200, response.text
        return [b["period"] for b in response.json()["data"]]

    assert await periods(period_from="2025-12", period_to="2026-02") == ["2026-02", "2026-01", "2025-12"]
    assert await periods(period_from="2026-02") == ["2026-03", "2026-02"]
    assert await periods(period_to="2025-11") == ["2025-11"]
    assert await periods(period_from="2026-03", period_to="2026-01") == []


@pytest.mark.parametrize("value", ["2026-13", "2026-1", "202601", "2026-01-01", "x" * 10_000, ""])
@pytest.mark.parametrize("name", ["period_from", "period_to"])
async def test_bad_period_filter_is_422(client: httpx.AsyncClient, api: Api, name: str, value: str) -> None:
    customer = await api.customer()
    response = await client.get("/v1/bills", params={name: value}, headers=customer.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"][0]["field"] == f"query.{name}"


async def test_twenty_five_bills_in_pages_of_ten(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    periods = [f"{2024 + i // 12}-{i % 12 + 1:02d}" for i in range(25)]
    for period in periods:
        await make_bill(api, customer.account_id, period, cash="1.00")

    seen: list[str] = []
    pages: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 10}
        if cursor is not None:
            params["cursor"] = cursor
        response = await client.get("/v1/bills", params=params, headers=customer.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(len(body["data"]))
        seen.extend(b["period"] for b in body["data"])
        assert (body["next_cursor"] is not None) == body["has_more"]
        if not body["has_more"]:
            break
        cursor = body["next_cursor"]
    assert pages == [10, 10, 5]
    assert seen == sorted(periods, reverse=True)


async def test_pages_keep_filters_and_a_bill_added_meanwhile_does_not_shift_them(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer = await api.customer()
    for month in range(1, 7):
        await make_bill(api, customer.account_id, f"2026-{month:02d}", cash="1.00")
    first = await client.get("/v1/bills", params={"limit": 3}, headers=customer.headers)
    assert [b["period"] for b in first.json()["data"]] == ["2026-06", "2026-05", "2026-04"]
    await make_bill(api, customer.account_id, "2026-12", cash="1.00")  # newer: lands before page 1
    second = await client.get(
        "/v1/bills", params={"limit": 3, "cursor": first.json()["next_cursor"]}, headers=customer.headers
    )
    assert [b["period"] for b in second.json()["data"]] == ["2026-03", "2026-02", "2026-01"]
    assert second.json()["has_more"] is False


async def test_a_forged_cursor_is_422(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    response = await client.get("/v1/bills", params={"cursor": "bm9wZQ"}, headers=customer.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.cursor"
