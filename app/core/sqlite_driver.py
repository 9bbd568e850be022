"""SQLAlchemy's aiosqlite adapter with one trip to aiosqlite's thread per statement (four before).

The stock adapter (sqlalchemy.dialects.sqlite.aiosqlite) makes a statement four round trips to the
connection's thread: open a cursor, execute, fetch the rows, close the cursor. Each trip wakes that
thread and then the event loop (a context switch each way, and a turn at the GIL): on a loaded
2-core machine the hand-offs were a quarter of a one-row read's time (docs/PERFORMANCE.md, issue
24). This cursor runs the four in one function in the thread and keeps what SQLAlchemy reads after
(the rows, `description`, `rowcount`, `lastrowid`). Everything else is the stock adapter: the
dialect, its connection, its errors, server-side cursors (`stream()`). Given to the engine as its
DBAPI module (`create_async_engine(..., module=...)`, app/core/database.py).
"""

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[list[Any] | None, Any, int, int | None]:
    """In aiosqlite's thread: the statement, its rows, and what the cursor says of it."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else None
        return rows, cursor.description, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        # No aiosqlite cursor: `_run` opens and closes a sqlite3 one in the thread.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]  # sqlite3's: None before any insert

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        return  # nothing open: the thread closed its cursor

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> Any:
        connection: Any = self._connection  # aiosqlite.Connection: its thread and its sqlite3 connection
        async with self._adapt_connection._execute_mutex:
            rows, self._description, self._rowcount, self._lastrowid = await connection._execute(
                _run, connection._conn, operation, parameters, many
            )
        self._rows = collections.deque(rows or ())

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._trip(operation, parameters, False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        try:
            return await_(self._trip(operation, seq_of_parameters, True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        stock = super().connect(*arg, **kw)
        return OneTripConnection(self, stock._connection)


def dbapi() -> OneTripDBAPI:
    """The DBAPI module an aiosqlite engine is given (`module=`)."""
    return OneTripDBAPI(aiosqlite, sqlite3)
