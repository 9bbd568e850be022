"""Events feed response models."""

from typing import Any

from pydantic import BaseModel, Field

from app.core.clock import Timestamp
from app.core.ids import Id


class EventOut(BaseModel):
    id: str = Field(description="Opaque event id")
    type: str = Field(examples=["invoice_request.created"])
    account_id: Id
    created_at: Timestamp
    data: dict[str, Any] = Field(description="The object as it was after the change")


class EventPage(BaseModel):
    data: list[EventOut]
    has_more: bool
    next_cursor: str | None = Field(description="Pass back as `after` to resume; null only before any event")
