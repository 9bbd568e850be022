"""Per-key rate limit: 429 problem with Retry-After once a key exceeds its budget."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.core.auth import Role
from app.core.settings import Settings
from app.main import create_app
from tests.factories import bearer, issue_staff_key


@pytest.fixture
async def limited_app(database_url: str) -> AsyncIterator[FastAPI]:
    app = create_app(Settings(database_url=database_url, log_level="WARNING", rate_limit_per_minute=3))
    yield app
    await app.state.database.dispose()


async def test_fourth_request_in_a_minute_is_429_with_retry_after(limited_app: FastAPI) -> None:
    limited = bearer(await issue_staff_key(limited_app, Role.finance))
    other = bearer(await issue_staff_key(limited_app, Role.finance))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=limited_app), base_url="http://t") as http:
        statuses = [(await http.get("/v1/events", headers=limited)).status_code for _ in range(3)]
        refused = await http.get("/v1/events", headers=limited)
        other_key = await http.get("/v1/events", headers=other)
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert other_key.status_code == 200


async def test_rate_limit_is_off_by_default(client: httpx.AsyncClient, finance_key: str) -> None:
    for _ in range(30):
        assert (await client.get("/v1/events?limit=1", headers=bearer(finance_key))).status_code == 200
