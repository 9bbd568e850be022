"""When each API key was last used: remembered per worker, written at most once per interval per key.

Authentication calls `seen(key_id)` on every request; that costs a dict lookup. The first use of a
key in a worker, and the first after `interval_seconds` have passed since this worker last wrote it,
queue a write; one background task per worker writes the queue in one executemany UPDATE, outside
any request's transaction (a reader never writes, and no request waits for it). So `last_used_at`
is exact to within the interval, and a write lost to a crash or an outage only makes it older.
"""

import asyncio
import logging
import time
import uuid
from datetime import datetime

from sqlalchemy import bindparam, or_, update

from app.accounts.models import ApiKey
from app.core.clock import utcnow
from app.core.database import Database

logger = logging.getLogger(__name__)

_WRITE = (
    update(ApiKey)
    .where(
        ApiKey.id == bindparam("key_id"),
        or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < bindparam("used_at")),
    )
    .values(last_used_at=bindparam("used_at"))
)


class KeyUsage:
    def __init__(self, database: Database, interval_seconds: float, max_entries: int = 100_000) -> None:
        self.database = database
        self.interval_seconds = interval_seconds
        self.max_entries = max_entries
        self._written: dict[uuid.UUID, float] = {}  # key -> when this worker last queued a write
        self._queued: dict[uuid.UUID, datetime] = {}
        self._task: asyncio.Task[None] | None = None

    def seen(self, key_id: uuid.UUID) -> None:
        if self.interval_seconds <= 0:
            return
        now = time.monotonic()
        last = self._written.get(key_id)
        if last is not None and now - last < self.interval_seconds:
            return
        if last is None and len(self._written) >= self.max_entries:
            self._written.pop(next(iter(self._written)))  # the oldest entry: at worst one extra write
        self._written[key_id] = now
        self._queued[key_id] = utcnow()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._write_queued())

    async def flush(self) -> None:
        """Wait until what is queued is written (at shutdown, and where a caller must not race it)."""
        if self._task is not None:
            await self._task

    async def close(self) -> None:
        await self.flush()

    async def _write_queued(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, {}
            try:
                await self._write(batch)
            except Exception as exc:  # an outage must not reach a request; retried on the next use
                for key_id in batch:
                    self._written.pop(key_id, None)
                logger.warning("api key last_used_at not written: %s", type(exc).__name__)

    async def _write(self, batch: dict[uuid.UUID, datetime]) -> None:
        async with self.database.write_session() as session, session.begin():
            connection = await session.connection()
            await connection.execute(
                _WRITE,
                [{"key_id": key_id, "used_at": used_at} for key_id, used_at in sorted(batch.items())],
            )
