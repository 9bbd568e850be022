"""The per-worker API-key cache: one database read per key per TTL, and revocation within the TTL."""

import hashlib
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text

from app.core import auth as auth_module
from app.core.auth import AuthContext, KeyCache, Role
from app.core.clock import utcnow
from app.core.database import Database
from app.core.settings import Settings
from app.main import create_app
from tests.factories import Api


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
async def cached_app(database_url: str) -> AsyncIterator[FastAPI]:
    """The shared test app runs without the cache; this one has it on, as in production."""
    application = create_app(Settings(database_url=database_url, log_level="WARNING", auth_cache_seconds=5))
    yield application
    await application.state.database.dispose()


@pytest.fixture(scope="module")
async def cached_client(cached_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=cached_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock()
    monkeypatch.setattr(auth_module.time, "monotonic", fake)
    yield fake


async def _revoke(app: FastAPI, key: str) -> None:
    database: Database = app.state.database
    async with database.write_session() as session, session.begin():
        await session.execute(
            text("UPDATE api_key SET revoked_at = :now WHERE key_hash = :digest"),
            {"now": utcnow().replace(tzinfo=None), "digest": hashlib.sha256(key.encode()).hexdigest()},
        )


async def test_a_revoked_key_stops_working_once_its_cache_entry_expires(
    cached_app: FastAPI, cached_client: httpx.AsyncClient, api: Api, clock: Clock
) -> None:
    customer = await api.customer()
    assert (await cached_client.get("/v1/account", headers=customer.headers)).status_code == 200
    await _revoke(cached_app, customer.key)

    clock.now += cached_app.state.settings.auth_cache_seconds - 1
    assert (await cached_client.get("/v1/account", headers=customer.headers)).status_code == 200
    clock.now += 2
    response = await cached_client.get("/v1/account", headers=customer.headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


async def test_a_key_is_read_from_the_database_once_per_ttl(
    cached_app: FastAPI, cached_client: httpx.AsyncClient, api: Api, clock: Clock
) -> None:
    customer = await api.customer()
    await cached_client.get("/v1/account", headers=customer.headers)
    # That first use queued a background `last_used_at` write (app/accounts/usage.py): let it land
    # before counting, so only the second request's own statements are seen.
    await cached_app.state.key_usage.flush()
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = cached_app.state.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert (await cached_client.get("/v1/account", headers=customer.headers)).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert not [s for s in statements if "api_key" in s]


def test_cache_off_keeps_nothing_and_full_cache_drops_the_oldest(clock: Clock) -> None:
    context = AuthContext(key_id=uuid.uuid4(), role=Role.finance, account_id=None)
    off = KeyCache(0)
    off.put("a", context)
    assert off.get("a") is None

    small = KeyCache(60, max_entries=2)
    for digest in ("a", "b", "c"):
        small.put(digest, context)
    assert small.get("a") is None
    assert small.get("b") is context
    assert small.get("c") is context
