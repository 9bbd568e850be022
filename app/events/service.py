"""Append to the outbox inside the caller's transaction."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

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


async def record(session: AsyncSession, type_: str, account_id: uuid.UUID, data: dict[str, Any]) -> None:
    """`data` is the JSON form of the object after the change (e.g. `Out.model_dump(mode="json")`)."""
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type_}")
    session.add(Event(type=type_, account_id=account_id, data=data))
    await session.flush()
