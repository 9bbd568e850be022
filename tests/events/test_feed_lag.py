"""/metrics says how far the events feed is held back: on PostgreSQL an open transaction holds back
every event written after it began (in any database of the cluster); SQLite holds none back."""

import asyncio
import re
import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from app.events import service as events
from tests.factories import Api


async def _gauges(client: httpx.AsyncClient) -> dict[str, float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    found = re.findall(r"^(invoicing_events_feed_\w+) (\S+)$", response.text, flags=re.MULTILINE)
    return {name: float(value) for name, value in found}


async def test_metrics_show_the_events_an_open_transaction_holds_back(
    client: httpx.AsyncClient, api: Api, app: FastAPI
) -> None:
    database = app.state.database
    account_id = uuid.UUID(await api.account())
    if database.dialect != "postgresql":
        assert await _gauges(client) == {
            "invoicing_events_feed_held_back": 0.0,
            "invoicing_events_feed_lag_seconds": 0.0,
            "invoicing_events_feed_oldest_transaction_seconds": 0.0,
        }
        return
    async with database.write_session() as blocker:
        await blocker.begin()
        await blocker.execute(text("SELECT pg_current_xact_id()"))  # an open transaction with an id
        async with database.write_session() as session, session.begin():
            await events.record(session, "certification.updated", account_id, {"note": "held back"})
        await asyncio.sleep(0.3)
        held = await _gauges(client)
        assert held["invoicing_events_feed_held_back"] >= 1
        assert held["invoicing_events_feed_lag_seconds"] >= 0.3
        assert held["invoicing_events_feed_oldest_transaction_seconds"] >= 0.3
        await blocker.rollback()
    # Released (other tests' transactions in the cluster may hold the feed back for a moment).
    for _attempt in range(300):
        if (await _gauges(client))["invoicing_events_feed_held_back"] == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the feed stayed held back after the transaction ended")
