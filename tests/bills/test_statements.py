"""The bill list costs the same statements whatever the page size or the page's depth."""

import httpx
from fastapi import FastAPI

from tests.factories import Api, make_bill
from tests.requests.test_queries import counted_statements


async def test_a_page_of_1_or_100_bills_costs_the_same_statements(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    one = await api.customer()
    hundred = await api.customer()
    await make_bill(api, one.account_id, period="2026-01")
    for month in range(100):
        year, index = divmod(month, 12)
        await make_bill(api, hundred.account_id, period=f"{2010 + year}-{index + 1:02d}")

    counts = []
    for customer in (one, hundred):
        with counted_statements(app) as statements:
            response = await client.get("/v1/bills", params={"limit": 100}, headers=customer.headers)
        assert response.status_code == 200, response.text
        counts.append(len(statements))
    assert len(response.json()["data"]) == 100
    assert counts[0] == counts[1], counts

    # A later page (keyset cursor) and a filtered one cost the same too.
    first = (await client.get("/v1/bills", params={"limit": 10}, headers=hundred.headers)).json()
    with counted_statements(app) as statements:
        page = await client.get(
            "/v1/bills",
            params={
                "limit": 10,
                "cursor": first["next_cursor"],
                "invoiceable": "true",
                "period_from": "2011-01",
            },
            headers=hundred.headers,
        )
    assert page.status_code == 200, page.text
    periods = [f"{2010 + m // 12}-{m % 12 + 1:02d}" for m in range(100)][::-1]
    assert [bill["period"] for bill in page.json()["data"]] == periods[10:20]
    assert len(statements) == counts[0]
