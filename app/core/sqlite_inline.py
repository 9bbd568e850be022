"""SQLite for the async engine without a thread per connection: calls run on the event loop.

aiosqlite gives every connection a thread and every cursor call a round trip to it (cursor,
execute, fetch, close: four hand-offs per statement, each waiting for the GIL and a loop
wake-up). SQLite answers from its page cache in microseconds, so those hand-offs cost far more
than the query. These classes offer the aiosqlite API SQLAlchemy's `sqlite+aiosqlite` dialect
expects, but each awaitable completes at once on the calling thread.

The price is that a statement blocks the loop while it runs. Reads in WAL mode never wait for a
lock; a writer waits only for another process's write transaction (busy_timeout), because
writers inside one process take `Database.write_gate` first (see TransactionMiddleware).
"""

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any


class InlineCursor:
    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> "InlineCursor":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = None) -> "InlineCursor":
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> "InlineCursor":
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def __aiter__(self) -> AsyncIterator[Any]:
        for row in self._cursor:
            yield row

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _ImmediateQueue:
    """Stands in for aiosqlite's request queue: SQLAlchemy's isolation-level setter posts a
    (future, function) pair to it; we run the function at once."""

    def put_nowait(self, item: tuple[Any, Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:
            future.set_exception(error)


class InlineConnection:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection
        self._tx = _ImmediateQueue()

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction


def inline_connector(path: str) -> Callable[[], Awaitable[InlineConnection]]:
    """An `async_creator` for create_async_engine: transactions are begun by us, not by pysqlite."""

    async def connect() -> InlineConnection:
        # check_same_thread=False: the pool may close a connection from the GC's thread.
        return InlineConnection(sqlite3.connect(path, isolation_level=None, check_same_thread=False))

    return connect
