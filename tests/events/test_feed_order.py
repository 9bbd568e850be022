"""The feed lists an account's events in the order its changes were made, even when writers queue
for the account's lock (PostgreSQL; SQLite has one writer, so there commit order is the feed's).

Deterministic: one transaction changes the account and holds, a second waits at the account's
lock, a third arrives behind it, then the first commits. Before the advisory lock, the second was
given its transaction id while it waited and the third could take the row lock first: the feed
(ordered by transaction id) then listed the second's event, with its later deficit, before the
third's (issue 28).
"""

import asyncio
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import text

from app.accounts import ledger
from app.accounts import service as accounts
from app.cli import migrate
from app.core.database import Database
from app.core.money import format_money
from app.events import service as events
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs INVOICING_TEST_POSTGRES_URL")

TRIALS = 5
# The waiters' changes, in fen: distinct, so an event says which change it follows.
DELTAS = (10, 100, 1000, 10_000, 100_000)
_WAITING = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


async def _wait_for_waiters(database: Database, count: int) -> None:
    """Until `count` transactions of this database are blocked on a lock."""
    async with database.read_session() as session:
        for _attempt in range(500):
            if (await session.execute(_WAITING)).scalar_one() >= count:
                return
            await asyncio.sleep(0.01)
    raise AssertionError(f"{count} waiters never showed up")


async def _change(database: Database, account_id: uuid.UUID, delta: int) -> None:
    """A money move of the account, as every service makes it: lock, then move the deficit."""
    async with database.write_session() as session, session.begin():
        await ledger.lock_account(session, account_id)
        await ledger.move_deficit(session, account_id, delta)


async def _feed_deficits(database: Database, account_id: uuid.UUID, count: int) -> list[str]:
    """The account's deficit events from the feed, read page by page (polling: the feed holds back
    while any transaction in the cluster is open)."""
    for _attempt in range(300):
        seen: list[str] = []
        after = None
        async with database.read_session() as session:
            while True:
                page, has_more, after = await events.feed(session, after, 100)
                seen += [e.data["invoice_deficit"] for e in page if e.account_id == account_id]
                if not has_more:
                    break
        if len(seen) >= count:
            return seen
        await asyncio.sleep(0.1)
    raise AssertionError(f"the feed did not catch up: {seen}")


async def test_queued_writers_are_listed_in_the_order_they_changed_the_account(
    fresh_database_url: Callable[[str], str],
) -> None:
    url = fresh_database_url("postgres")
    migrate(url)
    database = Database(url, strict_lock_order=True)
    try:
        async with database.write_session() as session, session.begin():
            account_id = (await accounts.create_account(session, "Feed order", None)).id
        expected: list[int] = []
        deficit = 0
        for _trial in range(TRIALS):
            # The first holds the account (locked and changed, not committed) ...
            async with database.write_session() as first:
                await first.begin()
                await ledger.lock_account(first, account_id)
                await ledger.move_deficit(first, account_id, 1)
                # ... a second waits at its lock, then the others arrive one by one behind it ...
                waiting = []
                for position, delta in enumerate(DELTAS, start=1):
                    waiting.append(asyncio.create_task(_change(database, account_id, delta)))
                    await _wait_for_waiters(database, position)
                await first.commit()  # ... and the first lets go.
            await asyncio.gather(*waiting)
            # The advisory lock grants its waiters in turn, in the order they came.
            for delta in (1, *DELTAS):
                deficit += delta
                expected.append(deficit)
        fed = await _feed_deficits(database, account_id, len(expected))
        async with database.read_session() as session:
            stored = await session.execute(
                text(f"SELECT invoice_deficit FROM account WHERE id = '{account_id}'")
            )
            current = stored.scalar_one()
        # Each event's deficit is the previous one plus its own change, and the last is the account's.
        assert fed == [format_money(value) for value in expected]
        assert fed[-1] == format_money(current)
    finally:
        await database.dispose()


async def test_locking_an_account_after_the_transaction_has_an_id_is_refused_in_strict_mode(
    fresh_database_url: Callable[[str], str],
) -> None:
    """The guard: a transaction given an id (any write, here `pg_current_xact_id()`) before it locks
    the account fails, since the feed could list its events out of order."""
    url = fresh_database_url("postgres")
    migrate(url)
    database = Database(url, strict_lock_order=True)
    try:
        async with database.write_session() as session, session.begin():
            account_id = (await accounts.create_account(session, "Guard", None)).id
        async with database.write_session() as session, session.begin():
            await ledger.lock_account(session, account_id)  # first: no id yet
            await session.execute(text("SELECT pg_current_xact_id()"))
            await ledger.lock_account(session, account_id)  # again, later: allowed
        with pytest.raises(ledger.LockOrderViolation):
            async with database.write_session() as session, session.begin():
                await session.execute(text("SELECT pg_current_xact_id()"))
                await ledger.lock_account(session, account_id)
    finally:
        await database.dispose()
