"""Listing invoice requests: filters, newest-first keyset pages of summaries, and constant
statement counts."""

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from tests.factories import Api, make_bill
from tests.requests.helpers import Ready, create, move, ready_customer, selection


@contextmanager
def counted_statements(app: FastAPI) -> Iterator[list[str]]:
    """Every statement the app's engine sends to the database while the block runs."""
    statements: list[str] = []
    engine = app.state.database.engine.sync_engine

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def _list(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/invoice-requests", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _one_request_per_bill(client: httpx.AsyncClient, ready: Ready) -> list[dict[str, Any]]:
    return [await create(client, ready, bills=[bill]) for bill in ready.bills]


async def test_list_is_newest_first_and_pages_without_gaps(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=5)
    made = await _one_request_per_bill(client, ready)

    seen: list[str] = []
    cursor = None
    while True:
        page = await _list(client, ready.headers, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [r["id"] for r in page["data"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            assert cursor is None
            break
    assert seen == [r["id"] for r in reversed(made)]


SUMMARY_FIELDS = {
    "id",
    "account_id",
    "account_name",
    "status",
    "amount",
    "invoice_type",
    "title",
    "remark",
    "due_at",
    "overdue",
    "created_at",
    "updated_at",
}


async def test_the_list_carries_summaries_of_what_a_read_by_id_returns(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=3)
    pending = await create(client, ready, bills=[ready.bills[0]], remark="Before month end")
    issued = await create(client, ready, bills=[ready.bills[1]])
    assert (await move(client, api, issued["id"], "start")).status_code == 200
    issue = {"invoices": [{"number": f"S-{issued['id'][:8]}", "amount": issued["amount"]}]}
    assert (await move(client, api, issued["id"], "issue", issue)).status_code == 200

    for headers in (ready.headers, api.finance):
        listed = (await _list(client, headers, account_id=ready.customer.account_id))["data"]
        if headers is api.finance:
            assert [row["id"] for row in listed] == [issued["id"], pending["id"]]
        for row in listed:
            assert set(row) == SUMMARY_FIELDS
            full = (await client.get(f"/v1/invoice-requests/{row['id']}", headers=headers)).json()
            assert row == {
                "id": full["id"],
                "account_id": full["account_id"],
                "account_name": "Acme Cloud Ltd.",  # the factory's account name
                "status": full["status"],
                "amount": full["amount"],
                "invoice_type": full["invoice_type"],
                "title": full["profile"]["title"],
                "remark": full["remark"],
                "due_at": full["due_at"],
                "overdue": full["overdue"],
                "created_at": full["created_at"],
                "updated_at": full["updated_at"],
            }
    assert listed[0]["status"] == "issued" and listed[1]["remark"] == "Before month end"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", listed[0]["id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", listed[0]["created_at"])


async def test_the_queue_names_each_request_s_customer(client: httpx.AsyncClient, api: Api) -> None:
    names = []
    for name in ("Northwind Trading Co.", "Globex Ltd."):
        ready = await ready_customer(api, bills=1, account_name=name)
        names.append((ready.customer.account_id, name))
        await create(client, ready)
    listed = (await _list(client, api.finance, limit=100))["data"]
    for account_id, name in names:
        assert {row["account_name"] for row in listed if row["account_id"] == account_id} == {name}


async def test_next_cursor_names_the_last_row_as_every_list_does(client: httpx.AsyncClient, api: Api) -> None:
    """The cursor is the one codec's: the last row's creation instant and its id, so cursors
    issued before the list carried summaries still resume where they were."""
    ready = await ready_customer(api, bills=2)
    await _one_request_per_bill(client, ready)
    page = await _list(client, ready.headers, limit=1)
    cursor = page["next_cursor"]
    created_at, request_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    last = page["data"][0]
    assert request_id == last["id"]
    assert datetime.fromisoformat(created_at) == datetime.fromisoformat(last["created_at"])
    assert created_at.endswith("+00:00")


async def test_list_filters_by_status(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=3)
    first, second, third = await _one_request_per_bill(client, ready)
    assert (await move(client, api, second["id"], "start")).status_code == 200
    cancelled = await client.post(f"/v1/invoice-requests/{third['id']}/cancel", headers=ready.headers)
    assert cancelled.status_code == 200

    for status, expected in (("pending", first), ("processing", second), ("cancelled", third)):
        page = await _list(client, ready.headers, status=status)
        assert [r["id"] for r in page["data"]] == [expected["id"]]
    assert (await _list(client, ready.headers, status="issued"))["data"] == []
    response = await client.get("/v1/invoice-requests", params={"status": "lost"}, headers=ready.headers)
    assert response.status_code == 422


async def test_list_filters_by_creation_time(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=2)
    first, second = await _one_request_per_bill(client, ready)
    at_second = second["created_at"]
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    page = await _list(client, ready.headers, created_from=at_second)
    assert [r["id"] for r in page["data"]] == [second["id"]]
    page = await _list(client, ready.headers, created_to=at_second)
    assert [r["id"] for r in page["data"]] == [first["id"]]
    page = await _list(client, ready.headers, created_from=later)
    assert page["data"] == []
    # Another offset denotes the same instant.
    page = await _list(client, ready.headers, created_from="2000-01-01T08:00:00+08:00")
    assert len(page["data"]) == 2


@pytest.mark.parametrize(
    "value", ["2026-01-01T00:00:00", "yesterday", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00+01:00"]
)
async def test_creation_time_filters_need_rfc3339_with_zone(
    client: httpx.AsyncClient, api: Api, value: str
) -> None:
    response = await client.get("/v1/invoice-requests", params={"created_from": value}, headers=api.finance)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


async def test_bad_cursor_is_422(client: httpx.AsyncClient, api: Api) -> None:
    response = await client.get(
        "/v1/invoice-requests", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=api.finance
    )
    assert response.status_code == 422


async def test_creating_with_1_or_200_bills_costs_the_same_statements(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    small = await ready_customer(api, bills=1)
    large = await ready_customer(api, bills=0)
    for month in range(200):
        year, index = divmod(month, 12)
        large.bills.append(
            await make_bill(
                api, large.customer.account_id, period=f"{2000 + year}-{index + 1:02d}", cash="1.00"
            )
        )

    counts = []
    for ready in (small, large):
        with counted_statements(app) as statements:
            response = await client.post("/v1/invoice-requests", json=selection(ready), headers=ready.headers)
        assert response.status_code == 201, response.text
        counts.append(len(statements))
    assert response.json()["amount"] == "200.00"
    assert len(response.json()["items"]) == 200
    assert counts[0] == counts[1], counts


async def test_moves_cost_the_same_statements_however_many_items(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    small = await ready_customer(api, bills=1, cards=1)
    large = await ready_customer(api, bills=60, cards=3)
    counts = []
    for ready in (small, large):
        request = await create(client, ready)
        with counted_statements(app) as statements:
            response = await move(client, api, request["id"], "reject", {"reason": "Testing"})
        assert response.status_code == 200, response.text
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


async def test_listing_1_or_100_requests_costs_the_same_statements(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    one = await ready_customer(api, bills=1)
    hundred = await ready_customer(api, bills=100, cash="2.00")
    await _one_request_per_bill(client, one)
    made = await _one_request_per_bill(client, hundred)
    # Give the requests a spread of timelines and invoices too.
    for request in made[:10]:
        assert (await move(client, api, request["id"], "start")).status_code == 200
    for index, request in enumerate(made[:5]):
        issue = {"invoices": [{"number": f"Q{index}-{request['id'][:8]}", "amount": "2.00"}]}
        assert (await move(client, api, request["id"], "issue", issue)).status_code == 200

    counts = []
    for ready in (one, hundred):
        with counted_statements(app) as statements:
            page = await _list(client, ready.headers, limit=100)
        counts.append(len(statements))
        # One statement reads the page; none reads items, events or invoices.
        requests = [sql for sql in statements if re.search(r"\bFROM invoice_request\b", sql)]
        assert len(requests) == 1, statements
        children = r"\b(invoice_request_item|invoice_request_event|invoice|invoice_file)\b"
        assert not [sql for sql in statements if re.search(rf"\bFROM {children}", sql)], statements
    assert len(page["data"]) == 100
    assert counts[0] == counts[1], counts

    # Finance reading across accounts pays the same.
    with counted_statements(app) as statements:
        page = await _list(client, api.finance, limit=100)
    assert len(page["data"]) == 100
    assert len(statements) == counts[0]
