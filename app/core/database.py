"""Engine, sessions and the declarative base shared by every model.

Every unit of work says whether it writes, by the session it opens:

    async with database.write_session() as session, session.begin():
        ...  # one write transaction: committed at the end of the block, rolled back on error

    async with database.read_session() as session:
        ...  # reads, each statement on its own committed snapshot (no transaction is begun)

A request gets its session from the transaction middleware (GET/HEAD/OPTIONS read, the rest
write); the command line, tests, and the worker open their own as above. On SQLite a write session
begins with `BEGIN IMMEDIATE` (the write lock up front, so a transaction never fails halfway when
it upgrades a read snapshot) and first waits its turn behind this process's other writers
(`write_gate`, an asyncio lock: they queue on the event loop, not on SQLite's busy timeout). A
writer of another process (a second `invoicing serve`, the worker) is waited for in aiosqlite's
thread for up to INVOICING_SQLITE_BUSY_TIMEOUT_MS, so the event loop keeps answering reads. On
PostgreSQL a write session is a plain transaction (READ COMMITTED). A read session begins no
transaction on either database (SQLite: no BEGIN; PostgreSQL: autocommit): each statement sees what
was committed when it started, which is what READ COMMITTED gave every statement already, and a
read costs no BEGIN/COMMIT round trips.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer, MetaData, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every database (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# A 64-bit autoincrementing key (SQLite only autoincrements INTEGER PRIMARY KEY).
BigSerial = BigInteger().with_variant(Integer(), "sqlite")
JSONDocument = JSON().with_variant(JSONB(), "postgresql")

# The execution option a write session's engine carries; the SQLite `begin` listener reads it.
WRITE_OPTION = "invoicing_write"
# The key of a write session's `info` that says whether a lock-order violation fails (see ledger.py).
STRICT_LOCK_ORDER = "strict_lock_order"


def async_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("sqlite+aiosqlite", "sqlite"):
        parsed = parsed.set(drivername="sqlite+pysqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+asyncpg"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def configure_sqlite(sync_engine: Any, busy_timeout_ms: int) -> None:
    """WAL, foreign keys, a busy timeout, and write transactions begun by us (not by the driver).

    SQLAlchemy's documented recipe for SQLite transactions ("Serializable isolation / Savepoints /
    Transactional DDL", also for aiosqlite): turn the driver's own BEGIN off on connect, and emit
    ours in the `begin` event, which here reads the connection's execution options.
    """

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Reads begin nothing: each statement is its own snapshot (as PostgreSQL's READ COMMITTED
        # gives every statement), which spares a read three round trips to aiosqlite's thread.
        if connection.get_execution_options().get(WRITE_OPTION, False):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def reset_only_open_transactions(sync_engine: Any) -> None:
    """Roll a connection back on its way into the pool only if a transaction is still open on it.

    The pool's default reset rolls back every returned connection, even one whose transaction the
    session just committed: on SQLite that is one more round trip to aiosqlite's thread per unit of
    work. The engine is created with `pool_reset_on_return=None`, and this `reset` listener (the
    hook SQLAlchemy documents for a custom reset) asks the driver first.
    """

    @event.listens_for(sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, _record: Any, reset_state: Any) -> None:
        if reset_state.terminate_only or not reset_state.asyncio_safe:
            return  # the connection is being discarded (SQLAlchemy closes it)
        if _in_transaction(dbapi_connection.driver_connection):
            dbapi_connection.rollback()


def skip_idle_rollbacks(sync_engine: Any) -> None:
    """Ask the driver before a rollback: none when no transaction is open on the connection.

    A read session begins no transaction (see the module doc), yet SQLAlchemy ends every
    connection's use with the DBAPI `rollback()`: on SQLite one more round trip to aiosqlite's
    thread per request that reads (sqlite3 then does nothing), on PostgreSQL an await of psycopg's
    connection lock. The dialect's `do_rollback`, the one place SQLAlchemy calls it from, first
    asks the driver whether a transaction is open (sqlite3's `in_transaction`, psycopg's
    transaction status); when it cannot tell, it rolls back as before.
    """
    dialect = sync_engine.dialect
    rollback = dialect.do_rollback

    def rollback_if_open(dbapi_connection: Any) -> None:
        try:
            idle = not _in_transaction(dbapi_connection.driver_connection)
        except Exception:  # a closed connection: let the driver say so
            idle = False
        if not idle:
            rollback(dbapi_connection)

    dialect.do_rollback = rollback_if_open


def _in_transaction(driver_connection: Any) -> bool:
    in_transaction = getattr(driver_connection, "in_transaction", None)  # sqlite3 / aiosqlite
    if isinstance(in_transaction, bool):
        return in_transaction
    info = getattr(driver_connection, "info", None)  # psycopg: IDLE = 0, anything else is open
    status = getattr(info, "transaction_status", None)
    return status is None or int(status) != 0


# The exception classes that say the database could not answer (besides an invalidated connection).
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    sa_exc.DisconnectionError,
)


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database could not answer now (unreachable, restarting, a dropped
    connection, the pool exhausted, SQLite's lock held past the busy timeout), as opposed to a
    refusal of this statement: the request may succeed if retried later (503 + Retry-After)."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, UNAVAILABLE_ERRORS)


def describe(error: BaseException) -> str:
    """One line naming the driver's error, for a log line without a traceback."""
    cause = getattr(error, "orig", None) or error
    first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__module__}.{type(cause).__name__}: {first}"[:300]


class Database:
    """One engine and two session factories per process (per app instance): see the module doc."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        max_overflow: int = 10,
        busy_timeout_ms: int = 30_000,
        pre_ping: bool = True,
        strict_lock_order: bool = False,
    ):
        self.url = async_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        # SQLite writers of this process queue here before BEGIN IMMEDIATE (see the module doc).
        self.write_gate = asyncio.Lock()
        if self.dialect == "sqlite":
            database = make_url(self.url).database
            if not database or database == ":memory:":
                raise ValueError("SQLite needs a file path; :memory: is not shared between connections")
        # pre-ping (server databases): a connection the server dropped (restart, failover) is
        # replaced at checkout instead of failing the request that drew it.
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=pre_ping and self.dialect != "sqlite",
            pool_reset_on_return=None,  # see reset_only_open_transactions
        )
        reset_only_open_transactions(self.engine.sync_engine)
        skip_idle_rollbacks(self.engine.sync_engine)
        if self.dialect == "sqlite":
            configure_sqlite(self.engine.sync_engine, busy_timeout_ms)
        # Engine.execution_options(): the same pool and listeners, with the option on every connection.
        writer = self.engine.execution_options(**{WRITE_OPTION: True})
        # Reads take no transaction: on PostgreSQL autocommit (no BEGIN and COMMIT round trips; under
        # READ COMMITTED each statement had its own snapshot anyway), on SQLite no BEGIN (see
        # configure_sqlite). A unit of work that needs one snapshot for several reads writes, or
        # opens a write session.
        reader = (
            self.engine
            if self.dialect == "sqlite"
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._read_sessions = async_sessionmaker(reader, expire_on_commit=False, autoflush=False)
        # Read by app/accounts/ledger.py's lock-order guard (INVOICING_STRICT_LOCK_ORDER).
        self._write_sessions = async_sessionmaker(
            writer, expire_on_commit=False, autoflush=False, info={STRICT_LOCK_ORDER: strict_lock_order}
        )

    @property
    def serializes_writers(self) -> bool:
        """SQLite has one writer at a time: in-process writers take `write_gate` first."""
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads. Uncommitted work is rolled back when the block ends."""
        async with self._read_sessions() as session:
            yield session

    @asynccontextmanager
    async def write_session(self) -> AsyncIterator[AsyncSession]:
        """A session for one write transaction; commit it yourself (or use `session.begin()`).

        On SQLite it holds this process's write gate until the block ends, so keep the block to
        the transaction: do not send a response or wait for a client inside it.
        """
        if not self.serializes_writers:
            async with self._write_sessions() as session:
                yield session
            return
        async with self.write_gate, self._write_sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


class LazySession:
    """A unit of work's session, opened on first use: `await lazy.get()`.

    The transaction middleware gives every request one; a request that never touches the database
    (a health check, a refusal before any read, a cached key) opens no session, takes no pooled
    connection and, on SQLite, never waits for the write gate. `close()` ends the block exactly as
    leaving `async with database.write_session()` (or `read_session()`) would.
    """

    def __init__(self, database: Database, *, writes: bool) -> None:
        self._database = database
        self._writes = writes
        self._opened: AbstractAsyncContextManager[AsyncSession] | None = None
        self.session: AsyncSession | None = None

    @property
    def opened(self) -> bool:
        return self.session is not None

    @property
    def writes(self) -> bool:
        return self._writes

    async def get(self) -> AsyncSession:
        if self.session is None:
            opened = self._database.write_session() if self._writes else self._database.read_session()
            self.session = await opened.__aenter__()
            self._opened = opened
        return self.session

    async def close(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        opened, self._opened, self.session = self._opened, None, None
        if opened is not None:
            await opened.__aexit__(exc_type, exc, traceback)
