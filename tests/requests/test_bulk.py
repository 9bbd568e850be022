"""POST /v1/invoice-requests/bulk/{start|reject}: up to 100 ids, each moved in its own transaction
with a result per id; the named operator is on every timeline; an Idempotency-Key replays."""

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.accounts import service as accounts
from app.core.auth import Role
from tests.factories import Api, bearer
from tests.requests.helpers import create, issue_whole, ready_customer


async def _named_finance_key(app: FastAPI, name: str) -> dict[str, str]:
    async with app.state.database.write_session() as session, session.begin():
        issued = await accounts.issue_key(session, Role.finance, None, name)
    return bearer(issued.key)


async def _bulk(
    client: httpx.AsyncClient, headers: dict[str, str], move: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(f"/v1/invoice-requests/bulk/{move}", json=body, headers=headers)


async def test_each_id_moves_or_fails_on_its_own(client: httpx.AsyncClient, api: Api, app: FastAPI) -> None:
    ready = await ready_customer(api, bills=4)
    pending = [await create(client, ready, bills=[bill]) for bill in ready.bills[:3]]
    issued = await issue_whole(
        client, api, await create(client, ready, bills=[ready.bills[3]]), "B-" + uuid.uuid4().hex[:8]
    )
    unknown = str(uuid.uuid4())
    clerk = await _named_finance_key(app, "Wang Fang")
    ids = [pending[0]["id"], issued["id"], "not-an-id", pending[1]["id"], unknown, pending[2]["id"]]

    response = await _bulk(client, clerk, "start", {"ids": ids})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "results": [
            {"id": pending[0]["id"], "ok": True, "code": None, "status": "processing"},
            {"id": issued["id"], "ok": False, "code": "invalid_transition", "status": "issued"},
            {"id": "not-an-id", "ok": False, "code": "not_found", "status": None},
            {"id": pending[1]["id"], "ok": True, "code": None, "status": "processing"},
            {"id": unknown, "ok": False, "code": "not_found", "status": None},
            {"id": pending[2]["id"], "ok": True, "code": None, "status": "processing"},
        ]
    }
    for request in pending:
        read = (await client.get(f"/v1/invoice-requests/{request['id']}", headers=api.finance)).json()
        assert read["status"] == "processing"
        assert read["events"][-1]["actor"] == {"role": "finance", "name": "Wang Fang"}
        assert read["events"][0]["actor"] == {"role": "customer", "name": None}

    rejected = await _bulk(
        client, clerk, "reject", {"ids": [pending[0]["id"], pending[1]["id"]], "reason": "Wrong title"}
    )
    assert [result["status"] for result in rejected.json()["results"]] == ["rejected", "rejected"]
    read = (await client.get(f"/v1/invoice-requests/{pending[0]['id']}", headers=ready.headers)).json()
    assert read["events"][-1] | {"at": None} == {
        "status": "rejected",
        "at": None,
        "actor_role": "finance",
        "actor": {"role": "finance", "name": "Wang Fang"},
        "note_code": None,
        "note": "Wrong title",
    }
    # The items of the rejected requests can be requested again: their transactions committed.
    again = await create(client, ready, bills=[ready.bills[0], ready.bills[1]])
    assert again["amount"] == "200.00"


async def test_the_feed_names_the_operator(client: httpx.AsyncClient, api: Api, app: FastAPI) -> None:
    ready = await ready_customer(api, bills=1)
    request = await create(client, ready)
    clerk = await _named_finance_key(app, "李娜")
    assert (
        await client.post(f"/v1/invoice-requests/{request['id']}/start", headers=clerk)
    ).status_code == 200
    found: dict[str, Any] = {}
    cursor = None
    # On PostgreSQL the feed holds an event back while any older transaction of the cluster is
    # open (app/events/service.py): read on until both moves are there.
    deadline = time.monotonic() + 30
    while not {"invoice_request.created", "invoice_request.processing"} <= found.keys():
        assert time.monotonic() < deadline, f"the feed showed only {sorted(found)}"
        page = (
            await client.get(
                "/v1/events",
                params={"limit": 100, **({"after": cursor} if cursor else {})},
                headers=api.finance,
            )
        ).json()
        for event in page["data"]:
            if event["data"].get("id") == request["id"]:
                found[event["type"]] = event
        cursor = page["next_cursor"] or cursor
        if not page["has_more"]:
            await asyncio.sleep(0.05)
    assert found["invoice_request.created"]["actor"] == {"role": "customer", "name": None}
    assert found["invoice_request.processing"]["actor"] == {"role": "finance", "name": "李娜"}
    assert found["invoice_request.processing"]["data"]["events"][-1]["actor"]["name"] == "李娜"


async def test_an_idempotency_key_replays_the_first_answer(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=2)
    ids = [(await create(client, ready, bills=[bill]))["id"] for bill in ready.bills]
    headers = dict(api.finance, **{"Idempotency-Key": "bulk-" + uuid.uuid4().hex})
    first = await _bulk(client, headers, "start", {"ids": ids})
    assert first.status_code == 200 and all(result["ok"] for result in first.json()["results"])
    replay = await _bulk(client, headers, "start", {"ids": ids})
    assert replay.status_code == 200
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    # Without the key the moves run again, and are refused: they were made once.
    rerun = await _bulk(client, api.finance, "start", {"ids": ids})
    assert [result["code"] for result in rerun.json()["results"]] == ["invalid_transition"] * 2


@pytest.mark.parametrize(
    ("move", "body", "field"),
    [
        ("start", {"ids": [str(uuid.uuid4()) for _ in range(101)]}, "body.ids"),
        ("start", {"ids": []}, "body.ids"),
        ("reject", {"ids": [str(uuid.uuid4())]}, "body.reason"),
        ("start", {"ids": [str(uuid.uuid4())], "extra": 1}, "body.extra"),
        ("deliver", {"ids": [str(uuid.uuid4())]}, "path.move"),
    ],
)
async def test_bad_bulk_calls_are_422_naming_the_field(
    client: httpx.AsyncClient, api: Api, move: str, body: dict[str, Any], field: str
) -> None:
    response = await _bulk(client, api.finance, move, body)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_only_finance_moves_in_bulk(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    request = await create(client, ready)
    for headers in (ready.headers, api.billing):
        response = await _bulk(client, headers, "start", {"ids": [request["id"]]})
        assert response.status_code == 403
    assert (await client.get(f"/v1/invoice-requests/{request['id']}", headers=ready.headers)).json()[
        "status"
    ] == "pending"
