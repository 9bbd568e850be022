"""GET /v1/invoiceable-summary/monthly: the overview chart's twelve months in one statement."""

from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Api, make_bill, make_card
from tests.requests.helpers import create, move, move_body, ready_customer
from tests.requests.test_queries import counted_statements

ZERO = {"billed": "0.00", "invoiceable": "0.00", "requested": "0.00", "issued": "0.00"}


async def _monthly(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/invoiceable-summary/monthly", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["months"])


async def test_each_month_shows_billed_invoiceable_requested_and_issued(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=0)
    account = ready.customer.account_id
    issued_bill = await make_bill(api, account, "2026-01", cash="1000.00", voucher="50.00")
    pending_bill = await make_bill(api, account, "2026-02", cash="500.00")
    await make_bill(api, account, "2026-02", cash="500.00")  # the same bill again: no second row
    await make_bill(api, account, "2025-12", cash="300.00")  # never requested
    await make_bill(api, account, "2025-02", cash="7.00")  # before the window
    await make_bill(api, account, "2026-03", cash="9.00")  # after it
    card = await make_card(api, account)
    # Another account's bill of the same month counts for it, not here.
    other = await ready_customer(api, bills=0)
    await make_bill(api, other.customer.account_id, "2026-01", cash="42.00")

    # Issued: the 2026-01 bill and a card (a card is in no month); pending: the 2026-02 bill.
    issued = await create(client, ready, bills=[issued_bill], cards=[card])
    for action in ("start", "issue"):
        assert (await move(client, api, issued["id"], action, move_body(action, issued))).status_code == 200
    await create(client, ready, bills=[pending_bill], cards=[])
    # A cancelled request holds nothing and issued nothing.
    cancelled = await create(
        client, ready, bills=[await make_bill(api, account, "2025-11", cash="80.00")], cards=[]
    )
    response = await client.post(f"/v1/invoice-requests/{cancelled['id']}/cancel", headers=ready.headers)
    assert response.status_code == 200, response.text

    months = await _monthly(client, ready.headers, until="2026-02")
    assert [month["period"] for month in months] == [
        "2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08",
        "2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02",
    ]  # fmt: skip
    by_period = {month.pop("period"): month for month in months}
    assert by_period["2026-01"] == {
        "billed": "1000.00",
        "invoiceable": "0.00",
        "requested": "1000.00",
        "issued": "1000.00",
    }
    assert by_period["2026-02"] == {
        "billed": "500.00",
        "invoiceable": "0.00",
        "requested": "500.00",
        "issued": "0.00",
    }
    assert by_period["2025-12"] == {
        "billed": "300.00",
        "invoiceable": "300.00",
        "requested": "0.00",
        "issued": "0.00",
    }
    assert by_period["2025-11"] == {
        "billed": "80.00",
        "invoiceable": "80.00",
        "requested": "0.00",
        "issued": "0.00",
    }
    assert by_period["2025-03"] == ZERO


async def test_the_window_ends_last_month_by_default_and_crosses_the_year(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=0)
    now = datetime.now(UTC)
    index = now.year * 12 + now.month - 2  # last month, counted from year 0
    last = f"{index // 12:04d}-{index % 12 + 1:02d}"
    await make_bill(api, ready.customer.account_id, last, cash="12.34")
    months = await _monthly(client, ready.headers)
    assert len(months) == 12 and months[-1] == {
        "period": last,
        **ZERO,
        "billed": "12.34",
        "invoiceable": "12.34",
    }
    assert [month["period"] for month in await _monthly(client, ready.headers, until="2026-01")][:2] == [
        "2025-02",
        "2025-03",
    ]


async def test_one_statement_however_many_bills_and_requests(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    counts = []
    for bills in (1, 12):
        ready = await ready_customer(api, bills=bills, cash="2.00")  # periods 2020-01 onwards
        for bill in ready.bills:
            await create(client, ready, bills=[bill])
        with counted_statements(app) as statements:
            months = await _monthly(client, ready.headers, until="2020-12")
        counts.append(len(statements))
        assert sum(int(month["requested"].replace(".", "")) for month in months) == 200 * bills
    assert counts[0] == counts[1], counts
    assert counts[0] <= 2, counts  # the key's lookup may be cached; the figures are one statement


async def test_bad_months_are_422_and_only_customers_read_it(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=0)
    for until in ("2026-13", "2026-1", "26-01", "2026-01-01", "0999-01"):
        response = await client.get(
            "/v1/invoiceable-summary/monthly", params={"until": until}, headers=ready.headers
        )
        assert response.status_code == 422, (until, response.text)
        assert response.json()["code"] == "validation_error"
    response = await client.get("/v1/invoiceable-summary/monthly", headers=api.finance)
    assert response.status_code == 403
    assert (await client.get("/v1/invoiceable-summary/monthly")).status_code == 401
