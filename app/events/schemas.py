"""Events feed response models."""

from typing import Any

from pydantic import BaseModel, Field

from app.core.clock import Timestamp
from app.core.ids import Id
from app.events.models import Event


class EventOut(BaseModel):
    id: str = Field(description="Opaque event id")
    type: str = Field(examples=["invoice_request.created"])
    account_id: Id
    created_at: Timestamp
    data: dict[str, Any] = Field(description="The object as it was after the change")


def event_out(event: Event) -> EventOut:
    """The one mapper from an outbox row to the feed's item (webhook bodies are the same JSON)."""
    return EventOut(
        id=str(event.id),
        type=event.type,
        account_id=event.account_id,
        created_at=event.created_at,
        data=event.data,
    )


class EventPage(BaseModel):
    data: list[EventOut]
    has_more: bool
    next_cursor: str | None = Field(description="Pass back as `after` to resume; null only before any event")
