"""The events feed: oldest first, resumable, and gap-free under concurrent writers."""

import asyncio
import base64
import json
import uuid

import httpx
import pytest
from fastapi import FastAPI

from app.events import service as events
from tests.factories import Api


async def _write(app: FastAPI, account_id: str, note: str) -> None:
    async with app.state.database.write_session() as session, session.begin():
        await events.record(session, "certification.updated", uuid.UUID(account_id), {"note": note})


async def _drain(
    client: httpx.AsyncClient, api: Api, after: str | None
) -> tuple[list[dict[str, object]], str | None]:
    seen: list[dict[str, object]] = []
    while True:
        params = {"limit": "2"} | ({"after": after} if after else {})
        response = await client.get("/v1/events", params=params, headers=api.finance)
        assert response.status_code == 200, response.text
        body = response.json()
        seen.extend(body["data"])
        after = body["next_cursor"]
        if not body["has_more"]:
            return seen, after


async def _drain_until(
    client: httpx.AsyncClient, api: Api, after: str | None, account_id: str, count: int
) -> tuple[list[dict[str, object]], str | None]:
    """Drain, polling briefly: on PostgreSQL the feed holds back while any writer in the cluster
    (another test's, say) is still running."""
    seen: list[dict[str, object]] = []
    for _attempt in range(100):
        page, after = await _drain(client, api, after)
        seen.extend(page)
        if len([e for e in seen if e["account_id"] == account_id]) >= count:
            return seen, after
        await asyncio.sleep(0.1)
    return seen, after


async def test_feed_is_oldest_first_and_resumes_without_duplicates(
    client: httpx.AsyncClient, api: Api, app: FastAPI
) -> None:
    _, cursor = await _drain(client, api, None)
    account_id = await api.account()
    for note in ("one", "two", "three"):
        await _write(app, account_id, note)
    seen, cursor = await _drain_until(client, api, cursor, account_id, 3)
    mine = [e["data"] for e in seen if e["account_id"] == account_id]
    assert mine == [{"note": "one"}, {"note": "two"}, {"note": "three"}]
    await _write(app, account_id, "four")
    seen, cursor = await _drain_until(client, api, cursor, account_id, 1)
    assert [e["data"] for e in seen if e["account_id"] == account_id] == [{"note": "four"}]
    again, _ = await _drain(client, api, cursor)
    assert again == []


async def test_a_cursor_in_the_earlier_spelling_still_resumes(
    client: httpx.AsyncClient, api: Api, app: FastAPI
) -> None:
    """Consumers store cursors: one written before the shared codec (JSON with spaces) still works."""
    _, cursor = await _drain(client, api, None)
    assert cursor is not None
    position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    earlier = base64.urlsafe_b64encode(json.dumps(position).encode()).rstrip(b"=").decode()
    account_id = await api.account()
    await _write(app, account_id, "five")
    seen, _ = await _drain_until(client, api, earlier, account_id, 1)
    assert [e["data"] for e in seen if e["account_id"] == account_id] == [{"note": "five"}]


async def test_customer_keys_cannot_read_the_feed(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    response = await client.get("/v1/events", headers=customer.headers)
    assert response.status_code == 403


@pytest.mark.parametrize("after", ["!!", "bm90LWpzb24", "WzEsMiwzXQ", "WyJ4Il0"])
async def test_foreign_cursor_is_422(client: httpx.AsyncClient, api: Api, after: str) -> None:
    response = await client.get("/v1/events", params={"after": after}, headers=api.finance)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_late_commit_with_smaller_sequence_is_not_skipped(
    backend: str, client: httpx.AsyncClient, api: Api, app: FastAPI
) -> None:
    """Transaction A takes a smaller event id but commits after B; a consumer that read in between
    must still receive A's event, and in the order (A, B) it will keep forever."""
    account_id = await api.account()
    _, cursor = await _drain(client, api, None)
    if backend == "sqlite":
        pytest.skip("SQLite serializes writers (BEGIN IMMEDIATE): a later commit never has a smaller id")
    database = app.state.database
    async with database.write_session() as slow, database.write_session() as fast:
        await events.record(slow, "certification.updated", uuid.UUID(account_id), {"note": "A"})
        await events.record(fast, "certification.updated", uuid.UUID(account_id), {"note": "B"})
        await fast.commit()
        between, cursor_between = await _drain(client, api, cursor)
        assert [e["data"] for e in between if e["account_id"] == account_id] == []
        await slow.commit()
    after, _ = await _drain_until(client, api, cursor_between, account_id, 2)
    assert [e["data"] for e in after if e["account_id"] == account_id] == [{"note": "A"}, {"note": "B"}]
