"""Append to the outbox inside the caller's transaction, and read it back as a gap-free feed."""

import base64
import binascii
import json
import uuid
from typing import Any

from sqlalchemy import BigInteger, Select, Text, cast, func, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.errors import ValidationFailed
from app.events.models import Event

EVENT_TYPES = frozenset(
    {
        "certification.updated",
        "invoice_request.created",
        "invoice_request.processing",
        "invoice_request.issued",
        "invoice_request.delivered",
        "invoice_request.rejected",
        "invoice_request.cancelled",
        "invoice_request.reversed",
    }
)


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# Built once; on PostgreSQL the row carries the writing transaction's id (see Event.txid).
_INSERT = insert(Event)
_INSERT_WITH_TXID = insert(Event).values(txid=cast(cast(func.pg_current_xact_id(), Text), BigInteger))


async def record(session: AsyncSession, type_: str, account_id: uuid.UUID, data: dict[str, Any]) -> None:
    """`data` is the JSON form of the object after the change (e.g. `Out.model_dump(mode="json")`)."""
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type_}")
    connection = await session.connection()  # a plain INSERT: no ORM bookkeeping for the outbox
    statement = _INSERT_WITH_TXID if _is_postgres(session) else _INSERT
    await connection.execute(
        statement, {"type": type_, "account_id": account_id, "data": data, "created_at": utcnow()}
    )


def _encode(position: list[int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).rstrip(b"=").decode()


def _decode(cursor: str, size: int) -> list[int]:
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        position = None
    if (
        not isinstance(position, list)
        or len(position) != size
        or not all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in position)
    ):
        raise ValidationFailed("query.after", "is not a cursor this feed issued")
    return position


async def feed(session: AsyncSession, after: str | None, limit: int) -> tuple[list[Event], bool, str | None]:
    """Events oldest first after `after`; returns (events, has_more, cursor to resume from)."""
    stmt: Select[Any] = select(Event)
    if _is_postgres(session):
        # Only transactions older than every one still running: nothing can later commit behind us.
        horizon = cast(cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), Text), BigInteger)
        stmt = stmt.where(Event.txid < horizon)
        keys = [Event.txid, Event.id]
    else:
        keys = [Event.id]
    if after is not None:
        stmt = stmt.where(tuple_(*keys) > tuple_(*_decode(after, len(keys))))
    stmt = stmt.order_by(*keys).limit(limit + 1)
    events = list((await session.execute(stmt)).scalars().all())
    has_more = len(events) > limit
    events = events[:limit]
    if events:
        last = events[-1]
        cursor: str | None = _encode([int(getattr(last, k.key)) for k in keys])
    else:
        cursor = after
    return events, has_more, cursor
