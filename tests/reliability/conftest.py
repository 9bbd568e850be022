"""Fixtures for the reliability suite."""

from collections.abc import Callable

import pytest

from app.cli import migrate
from tests.reliability.world import World, build_world


@pytest.fixture(scope="session")
async def fuzz_world(backend: str, fresh_database_url: Callable[[str], str]) -> World:
    """A database of its own (the fuzzer writes freely), seeded once per backend."""
    database_url = fresh_database_url(backend)
    migrate(database_url)
    return await build_world(database_url)
