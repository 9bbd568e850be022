"""Events feed response models."""

from typing import Any, Literal

from pydantic import BaseModel, Field

from app.core.clock import Timestamp
from app.core.ids import Id
from app.events.models import Event


class ActorOut(BaseModel):
    """Who made a change: the key's role and, for a named staff key, its operator."""

    role: Literal["customer", "billing", "finance", "system"]
    name: str | None = Field(
        description="The operator named on the staff key (`invoicing create-key --name`); null for a "
        "customer, the system, or a key made without a name"
    )


def actor_out(role: str | None, name: str | None) -> ActorOut | None:
    """The one mapper of a stored (role, name) pair; None when no caller made the change."""
    return None if role is None else ActorOut.model_validate({"role": role, "name": name})


class EventOut(BaseModel):
    id: str = Field(description="Opaque event id")
    type: str = Field(examples=["invoice_request.created"])
    account_id: Id
    created_at: Timestamp
    data: dict[str, Any] = Field(description="The object as it was after the change")
    actor: ActorOut | None = Field(
        description="Who made the change (an invoice request's creation or move); null when no caller did"
    )


def event_out(event: Event) -> EventOut:
    """The one mapper from an outbox row to the feed's item (webhook bodies are the same JSON)."""
    return EventOut(
        id=str(event.id),
        type=event.type,
        account_id=event.account_id,
        created_at=event.created_at,
        data=event.data,
        actor=actor_out(event.actor_role, event.actor_name),
    )


class EventPage(BaseModel):
    data: list[EventOut]
    has_more: bool
    next_cursor: str | None = Field(description="Pass back as `after` to resume; null only before any event")
