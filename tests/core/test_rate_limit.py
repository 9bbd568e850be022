"""Per-key rate limit: 429 problem with Retry-After once a key exceeds its budget."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.cli import migrate
from app.core.auth import Role
from app.core.settings import Settings
from app.main import create_app
from tests.factories import bearer, issue_staff_key
from tests.server import free_port, running_server


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


# -- one limit across workers: Redis ---------------------------------------------------------------

REDIS_URL = os.environ.get("INVOICING_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="the shared rate limit needs a Redis: set INVOICING_TEST_REDIS_URL (.ci/run does)"
)


def _statuses(base_url: str, headers: dict[str, str], count: int) -> list[int]:
    """`count` calls, each on a new connection, so a server's workers share them."""
    statuses = []
    for _ in range(count):
        with httpx.Client(base_url=base_url, timeout=30) as http:
            statuses.append(http.get("/v1/events?limit=1", headers=headers).status_code)
    return statuses


async def _staff_key(database_url: str) -> str:
    application = create_app(Settings(database_url=database_url, log_level="WARNING"))
    try:
        return await issue_staff_key(application, Role.finance)
    finally:
        await application.state.database.dispose()


@needs_redis
@pytest.mark.slow
def test_one_limit_is_shared_by_every_worker_through_redis(
    fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    assert REDIS_URL is not None
    database_url = fresh_database_url("sqlite")  # the limit does not depend on the database
    migrate(database_url)
    key = bearer(asyncio.run(_staff_key(database_url)))
    env = {
        "INVOICING_RATE_LIMIT_PER_MINUTE": "6",
        "INVOICING_RATE_LIMIT_STORAGE_URI": "async+" + REDIS_URL,
        "INVOICING_RATE_LIMIT_KEY_PREFIX": f"invoicing-test-{uuid.uuid4().hex}",  # runs never collide
    }
    # Two workers in one server, and a second server (another replica) over the same Redis.
    with (
        running_server(database_url, tmp_path, workers=2, extra_env=env) as first,
        running_server(database_url, tmp_path, workers=1, extra_env=env) as second,
    ):
        assert _statuses(first.base_url, key, 6) == [200] * 6
        # The budget is spent wherever it was spent: the other replica refuses too, and so does
        # every worker of the first.
        refused = httpx.get(second.base_url + "/v1/events?limit=1", headers=key, timeout=30)
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert _statuses(first.base_url, key, 6) == [429] * 6


async def test_an_unreachable_store_lets_requests_through(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The limiter protects the service; a Redis outage must not take the API down with it."""
    settings = Settings(
        database_url=database_url,
        log_level="WARNING",
        rate_limit_per_minute=1,
        rate_limit_storage_uri=f"async+redis://127.0.0.1:{free_port()}/0",  # nothing listens there
    )
    application = create_app(settings)
    try:
        key = bearer(await issue_staff_key(application, Role.finance))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://t"
        ) as http:
            statuses = [(await http.get("/v1/events?limit=1", headers=key)).status_code for _ in range(3)]
    finally:
        await application.state.database.dispose()
    assert statuses == [200, 200, 200]
    assert "rate limit store unavailable, request let through" in capsys.readouterr().err


# -- refused keys, per client address --------------------------------------------------------------


async def test_refused_keys_count_against_the_address_and_a_valid_key_still_works(database_url: str) -> None:
    """Issue 26.6: unknown keys cost a lookup each and are never cached; past the budget of an
    address they are 429 (with Retry-After) instead of 401, for GETs and for POSTs with a body."""
    app = create_app(Settings(database_url=database_url, log_level="WARNING", auth_failures_per_minute=4))
    try:
        valid = bearer(await issue_staff_key(app, Role.finance))
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
        other_address = httpx.ASGITransport(app=app, client=("203.0.113.8", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            refused = [
                await http.get("/v1/events", headers=bearer("ik_" + uuid.uuid4().hex)),
                await http.get("/v1/events"),  # no key at all
                await http.get("/v1/events", headers={"Authorization": "Basic eDp5"}),
                await http.post("/v1/accounts", json={"name": "A"}, headers=bearer("ik_unknown")),
            ]
            over = await http.get("/v1/events", headers=bearer("ik_" + uuid.uuid4().hex))
            over_post = await http.post("/v1/accounts", json={"name": "A"}, headers=bearer("ik_x"))
            still_valid = await http.get("/v1/events", headers=valid)
        async with httpx.AsyncClient(transport=other_address, base_url="http://t") as http:
            elsewhere = await http.get("/v1/events", headers=bearer("ik_" + uuid.uuid4().hex))
    finally:
        await app.state.database.dispose()
    assert [r.status_code for r in refused] == [401, 401, 401, 401]
    for response in (over, over_post):
        assert response.status_code == 429, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "rate_limited"
        assert "unknown" in response.json()["detail"]
        assert 1 <= int(response.headers["retry-after"]) <= 60
    assert still_valid.status_code == 200  # a known key is never refused by this limit
    assert elsewhere.status_code == 401  # counted per address
