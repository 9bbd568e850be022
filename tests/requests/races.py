"""What the move races share (tests/requests/test_move_races.py, test_reissue_races.py): the
backends with their server workers, a freshly migrated database with staff keys, a real
`invoicing serve` given time to start on a loaded machine, and one fresh bill per race."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.cli import migrate
from app.core.auth import Role
from tests.conftest import POSTGRES_URL
from tests.factories import Api, make_bill
from tests.requests.test_concurrency import _staff_key
from tests.server import Server, running_server

# method, path, body, headers: one call of `_at_once`.
Call = tuple[str, str, dict[str, Any] | None, dict[str, str]]

# Several workers of Python importing the app on two busy cores can take well over the usual 30 s.
START_TIMEOUT = 180


def race_backends(postgres_workers: int) -> list[Any]:
    """SQLite with one server worker (one writer anyway), PostgreSQL with `postgres_workers`."""
    return [
        ("sqlite", 1),
        pytest.param(
            "postgres",
            postgres_workers,
            marks=pytest.mark.skipif(
                not POSTGRES_URL, reason="PostgreSQL races need INVOICING_TEST_POSTGRES_URL"
            ),
        ),
    ]


@dataclass(frozen=True)
class RaceDatabase:
    url: str
    billing_key: str
    finance_key: str

    @property
    def finance(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.finance_key}"}


async def race_database(database_url: str) -> RaceDatabase:
    """The database migrated to head, with a billing and a finance key."""
    migrate(database_url)
    return RaceDatabase(
        database_url,
        await _staff_key(database_url, Role.billing),
        await _staff_key(database_url, Role.finance),
    )


@contextmanager
def race_server(database: RaceDatabase, tmp_path: Path, workers: int) -> Iterator[Server]:
    with running_server(database.url, tmp_path, workers=workers, start_timeout=START_TIMEOUT) as server:
        yield server


async def race_bill(api: Api, account_id: str, n: int) -> dict[str, Any]:
    """The n-th race's own bill: a month of its own (2020-01, 2020-02, ...)."""
    return await make_bill(api, account_id, f"{2020 + n // 12}-{n % 12 + 1:02d}")
