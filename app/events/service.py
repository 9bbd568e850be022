"""Append to the outbox inside the caller's transaction, and read it back as a gap-free feed."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Text, cast, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.pagination import PageParams, cursor_of, keyset, paginate
from app.events.models import Event

# The fixed list of SPEC §3 (webhook endpoints subscribe to these, app/webhooks/).
EVENT_TYPES = frozenset(
    {
        "certification.updated",
        "invoice_request.created",
        "invoice_request.processing",
        "invoice_request.issuing",
        "invoice_request.issued",
        "invoice_request.issue_failed",
        "invoice_request.delivered",
        "invoice_request.rejected",
        "invoice_request.cancelled",
        "invoice_request.reversing",
        "invoice_request.reversal_declined",
        "invoice_request.reversal_expired",
        "invoice_request.reversed",
        "auto_invoicing.skipped",
        "invoice_request.delivery_failed",
        "account.invoice_deficit_changed",
    }
)


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# Built once; on PostgreSQL the row carries the writing transaction's id (see Event.txid).
_INSERT = insert(Event)
_INSERT_WITH_TXID = insert(Event).values(txid=cast(cast(func.pg_current_xact_id(), Text), BigInteger))


# Who made a change: (role, operator name or None), as the feed shows it in `actor`.
Actor = tuple[str, str | None]


async def record(
    session: AsyncSession,
    type_: str,
    account_id: uuid.UUID,
    data: dict[str, Any],
    actor: Actor | None = None,
) -> None:
    """`data` is the JSON form of the object after the change (e.g. `Out.model_dump(mode="json")`)."""
    await record_many(session, account_id, [(type_, data)], actor)


async def record_many(
    session: AsyncSession,
    account_id: uuid.UUID,
    changes: Sequence[tuple[str, dict[str, Any]]],
    actor: Actor | None = None,
) -> None:
    """Several events of one account, in this order, by one statement (an executemany); `actor`
    (who made them) goes on each."""
    await record_for_accounts(session, [(account_id, type_, data) for type_, data in changes], actor)


# The feed, oldest first, by keyset: without and with a cursor. On PostgreSQL the key starts with the
# writing transaction's id, and only transactions older than every one still running are served, so
# nothing can later commit behind a consumer's cursor; SQLite serializes writers, so the id is enough.
_HORIZON = cast(cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), Text), BigInteger)
_KEYS = {"postgresql": (Event.txid, Event.id), "sqlite": (Event.id,)}
_FEED = {
    (dialect, after): keyset(
        select(Event).where(Event.txid < _HORIZON) if dialect == "postgresql" else select(Event),
        *keys,
        after=after,
        ascending=True,
    )
    for dialect, keys in _KEYS.items()
    for after in (False, True)
}


async def feed(session: AsyncSession, after: str | None, limit: int) -> tuple[list[Event], bool, str | None]:
    """Events oldest first after `after`; returns (events, has_more, cursor to resume from)."""
    dialect = "postgresql" if _is_postgres(session) else "sqlite"
    keys = _KEYS[dialect]
    events, has_more, _ = await paginate(
        session,
        _FEED[dialect, after is not None],
        PageParams(limit, after),
        *keys,
        cursor_field="query.after",
    )
    # Unlike a list, a feed's cursor always says where to resume, even at the end.
    return events, has_more, cursor_of(events[-1], keys) if events else after


async def tail(session: AsyncSession) -> str | None:
    """The cursor of the newest event the feed serves now: resuming from it gives only what comes
    later (a new webhook endpoint starts there). None while the feed is empty."""
    dialect = "postgresql" if _is_postgres(session) else "sqlite"
    keys = _KEYS[dialect]
    newest = select(*keys).order_by(*(key.desc() for key in keys)).limit(1)
    if dialect == "postgresql":
        newest = newest.where(Event.txid < _HORIZON)
    row = (await session.execute(newest)).first()
    return None if row is None else cursor_of(row, keys)


async def record_for_accounts(
    session: AsyncSession,
    changes: Sequence[tuple[uuid.UUID, str, dict[str, Any]]],
    actor: Actor | None = None,
) -> None:
    """Events of several accounts (account, type, data), in this order, by one statement."""
    for _, type_, _data in changes:
        if type_ not in EVENT_TYPES:
            raise ValueError(f"unknown event type {type_}")
    connection = await session.connection()  # a plain INSERT: no ORM bookkeeping for the outbox
    statement = _INSERT_WITH_TXID if _is_postgres(session) else _INSERT
    now = utcnow()
    role, name = actor if actor is not None else (None, None)
    rows = [
        {
            "type": type_,
            "account_id": account_id,
            "data": data,
            "created_at": now,
            "actor_role": role,
            "actor_name": name,
        }
        for account_id, type_, data in changes
    ]
    await connection.execute(statement, rows[0] if len(rows) == 1 else rows)
