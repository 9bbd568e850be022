"""Test harness: every test runs against SQLite and, when INVOICING_TEST_POSTGRES_URL is set,
PostgreSQL; each database is created fresh, migrated by Alembic, and dropped afterwards.

Under pytest-xdist (`make test` runs `-n 2`) every worker is a session of its own: its SQLite files
live in its own temporary directory, its PostgreSQL databases carry its name and a random suffix,
and it drops them when it ends. Nothing else is shared between workers but PostgreSQL and Redis
(keys under a random prefix); servers listen on free ports."""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from app.cli import migrate
from app.core.auth import Role
from app.core.settings import Settings
from app.main import create_app
from tests.factories import Api, issue_staff_key

POSTGRES_URL = os.environ.get("INVOICING_TEST_POSTGRES_URL")
# Every app and server a test starts fails a transaction that locks an account too late (the
# events feed's order, app/accounts/ledger.py); in production it is logged and counted.
os.environ.setdefault("INVOICING_STRICT_LOCK_ORDER", "true")
# "gw0", "gw1", ... under pytest-xdist; "main" in a plain run.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="PostgreSQL tests need INVOICING_TEST_POSTGRES_URL (CI sets it)"
        ),
    ),
]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks for choosing a subset (`make test-fast`; registered in pyproject.toml): `postgres` on
    every test's PostgreSQL parameter, `browser` on every test that drives Chromium."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgres" in callspec.params.values():
            item.add_marker(pytest.mark.postgres)
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


def _psycopg_dsn(url: str) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def create_postgres_database() -> tuple[str, str]:
    """Create an empty database beside INVOICING_TEST_POSTGRES_URL; return (url, name)."""
    assert POSTGRES_URL
    name = f"invoicing_test_{WORKER}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_psycopg_dsn(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False), name


def drop_postgres_database(name: str) -> None:
    assert POSTGRES_URL
    with psycopg.connect(_psycopg_dsn(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def fresh_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A factory for empty databases of either backend, all dropped at the end of the run."""
    created: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            path = Path(tmp_path_factory.mktemp("db")) / "invoicing.db"
            return f"sqlite:///{path}"
        url, name = create_postgres_database()
        created.append(name)
        return url

    yield make
    for name in created:
        drop_postgres_database(name)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def _migrated_databases() -> dict[str, str]:
    return {}


@pytest.fixture(scope="session")
def database_url(backend: str, fresh_database_url: object, _migrated_databases: dict[str, str]) -> str:
    """One migrated database per backend and session (per xdist worker). A worker handed tests of
    both backends in turn switches `backend`, which rebuilds the app; the database stays, so it is
    migrated once, and the tests see one database per backend as in a serial run."""
    if backend not in _migrated_databases:
        url = fresh_database_url(backend)  # type: ignore[operator]
        migrate(url)
        _migrated_databases[backend] = str(url)
    return _migrated_databases[backend]


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # No API-key cache: statement-count tests then see the same key lookup on every request
    # (tests/core/test_auth_cache.py runs its own app with the cache on).
    # Nor last_used_at writes: they run in the background, where a statement count would catch one
    # (tests/accounts/test_api_keys.py runs its own app with them on).
    # Nor a limit on refused keys per address: this one app serves every test, all from one address
    # (tests/core/test_rate_limit.py runs its own app with the limit on).
    return Settings(
        database_url=database_url,
        log_level="WARNING",
        auth_cache_seconds=0,
        key_last_used_seconds=0,
        auth_failures_per_minute=0,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    yield application
    await application.state.database.dispose()


@pytest.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture(scope="session")
async def billing_key(app: FastAPI) -> str:
    return await issue_staff_key(app, Role.billing)


@pytest.fixture(scope="session")
async def finance_key(app: FastAPI) -> str:
    return await issue_staff_key(app, Role.finance)


@pytest.fixture
def api(client: httpx.AsyncClient, billing_key: str, finance_key: str) -> Api:
    """Factories that go through the HTTP API (see tests/factories.py)."""
    return Api(client, billing_key, finance_key)
