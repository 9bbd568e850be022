"""What a status move sends to the database: the account's lock before any write, the request's
row read once (the response is built from the row its UPDATE returned), and its events only in the
one statement that reads the response's children."""

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import Api
from tests.requests.helpers import create, ready_customer
from tests.requests.test_queries import counted_statements


def _shape(statements: list[str]) -> dict[str, object]:
    lowered = [" ".join(statement.lower().split()) for statement in statements]
    lock = next(n for n, s in enumerate(lowered) if "from account" in s and "account.invoice_deficit" in s)
    first_write = next(n for n, s in enumerate(lowered) if s.startswith(("update", "insert", "delete")))
    return {
        "lock_before_writes": lock < first_write,
        "row_reads": sum(
            1 for s in lowered if s.startswith("select") and "invoice_request.profile_snapshot" in s
        ),
        "event_reads": sum(1 for s in lowered if "from invoice_request_event" in s and "union all" not in s),
        "children_reads": sum(1 for s in lowered if "union all" in s),
    }


@pytest.mark.parametrize("move", ["cancel", "start", "reject"])
async def test_a_move_locks_the_account_first_and_reads_the_request_once(
    app: FastAPI, client: httpx.AsyncClient, api: Api, move: str
) -> None:
    ready = await ready_customer(api)
    made = await create(client, ready)
    headers, body = (ready.headers, None) if move == "cancel" else (api.finance, None)
    if move == "reject":
        body = {"reason": "wrong title"}
    with counted_statements(app) as statements:
        response = await client.post(f"/v1/invoice-requests/{made['id']}/{move}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    moved = response.json()
    assert [event["status"] for event in moved["events"]] == ["pending", moved["status"]]
    assert _shape(statements) == {
        "lock_before_writes": True,
        "row_reads": 1,
        "event_reads": 0,
        "children_reads": 1,
    }, statements
