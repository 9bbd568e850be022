"""Request creation costs a fixed number of statements: however many items are selected, and however
many over-invoiced items the account's deficit is spread over (issue 15)."""

import httpx
from fastapi import FastAPI

from tests.factories import Api, make_bill
from tests.requests.helpers import Ready, create, ready_customer, selection
from tests.requests.test_queries import counted_statements

# BEGIN, the API-key lookup (the tests run without the key cache), the account's facts (locking
# its row), the items (locking them), the bills' UPDATE, then the request, its lines, its first
# event and the outbox.
STATEMENTS = 9


async def _with_over_invoiced(client: httpx.AsyncClient, api: Api, count: int) -> Ready:
    """A customer with one fresh bill of 100.00 and `count` requested bills, each amended one fen
    below what was requested (so over-invoiced by 0.01)."""
    ready = await ready_customer(api, bills=count + 1)
    over, fresh = ready.bills[:count], ready.bills[count:]
    if over:
        await create(client, ready, bills=over)
    for bill in over:
        await make_bill(api, ready.customer.account_id, period=bill["period"], cash="99.99")
    ready.bills = fresh
    return ready


async def _count(app: FastAPI, client: httpx.AsyncClient, ready: Ready) -> tuple[int, dict[str, object]]:
    with counted_statements(app) as statements:
        response = await client.post("/v1/invoice-requests", json=selection(ready), headers=ready.headers)
    assert response.status_code == 201, response.text
    return len(statements), response.json()


async def test_creating_with_1_or_50_bills_costs_the_same_statements(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    counts = []
    for bills in (1, 50):
        ready = await ready_customer(api, bills=bills, cash="1.00")
        count, made = await _count(app, client, ready)
        assert len(made["items"]) == bills  # type: ignore[arg-type]
        counts.append(count)
    assert counts[0] == counts[1] <= STATEMENTS, counts


async def test_settling_1_or_100_over_invoiced_items_costs_the_same_statements(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    counts = []
    for over in (0, 1, 100):
        ready = await _with_over_invoiced(client, api, over)
        count, made = await _count(app, client, ready)
        negative = [line for line in made["items"] if line["amount"].startswith("-")]  # type: ignore[attr-defined]
        assert len(negative) == over
        assert made["amount"] == f"{100 - over / 100:.2f}"
        counts.append(count)
    none, one, hundred = counts
    # Settling costs one statement more, whatever the number of items: the account's deficit is
    # moved by one relative UPDATE (its event shares the outbox INSERT with the request's).
    assert one == hundred == none + 1, counts
    assert none <= STATEMENTS, counts
