"""Fixtures for the reliability suite."""

from collections.abc import Callable

import pytest

from app.cli import migrate
from tests.reliability.world import World, build_world

# Kept per backend for the session: an xdist worker handed fuzz tests of both backends in turn
# rebuilds `backend`'s dependents, but seeds each world once, as a serial run does.
_worlds: dict[str, World] = {}


@pytest.fixture(scope="session")
async def fuzz_world(backend: str, fresh_database_url: Callable[[str], str]) -> World:
    """A database of its own (the fuzzer writes freely), seeded once per backend."""
    if backend not in _worlds:
        database_url = fresh_database_url(backend)
        migrate(database_url)
        _worlds[backend] = await build_world(database_url)
    return _worlds[backend]
