"""Webhook endpoint and delivery request/response models."""

from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema, field_validator

from app.core.clock import Timestamp
from app.core.ids import Id
from app.core.schemas import RequestModel, ResponseModel
from app.core.validators import Text
from app.events.service import EVENT_TYPES

ALL_EVENTS = "*"
EventType = Annotated[str, Field(min_length=1, max_length=64, examples=["invoice_request.issued"])]
# The rule below, as a schema: ["*"] alone, or known types, each once.
_EVENT_TYPES_SCHEMA = {
    "anyOf": [
        {"type": "array", "items": {"const": ALL_EVENTS}, "minItems": 1, "maxItems": 1},
        {
            "type": "array",
            "items": {"type": "string", "enum": sorted(EVENT_TYPES)},
            "minItems": 1,
            "maxItems": len(EVENT_TYPES),
            "uniqueItems": True,
        },
    ],
    "description": '`["*"]` for every event, or the event types (SPEC §3 Events) to receive',
    "examples": [["*"]],
}


class WebhookEndpointCreate(RequestModel):
    url: Annotated[str, Text(1, 2000)] = Field(
        description="`https://` (plain `http://` only for hosts in INVOICING_WEBHOOK_ALLOWED_HTTP_HOSTS)",
        examples=["https://erp.example.com/hooks/invoicing"],
    )
    event_types: Annotated[list[EventType], WithJsonSchema(_EVENT_TYPES_SCHEMA)] = Field(
        min_length=1,
        max_length=len(EVENT_TYPES),
        description='`["*"]` for every event, or the event types (SPEC §3 Events) to receive',
        examples=[["*"]],
    )
    description: Annotated[str, Text(1, 500)] | None = Field(default=None, examples=["ERP sync"])

    @field_validator("event_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        if ALL_EVENTS in value:
            if len(value) != 1:
                raise ValueError('"*" stands alone: it already means every event type')
            return value
        unknown = sorted(set(value) - EVENT_TYPES)
        if unknown:
            raise ValueError(
                f"unknown event types: {', '.join(unknown)}; known: {', '.join(sorted(EVENT_TYPES))}"
            )
        if len(set(value)) != len(value):
            raise ValueError("an event type is listed twice")
        return value


class WebhookEndpointOut(ResponseModel):
    id: Id
    url: str
    description: str | None
    event_types: list[str]
    status: Literal["active", "failing"] = Field(
        description=(
            "`failing` once deliveries have failed for INVOICING_WEBHOOK_RETRY_HOURS; it keeps its place "
            "and is retried on the slowest pause, or now with a manual retry; `active` again after a delivery"
        )
    )
    pending_event_id: str | None = Field(
        description="The event being retried (later events wait behind it, in feed order); null when none"
    )
    failed_attempts: int = Field(description="Failed attempts of the pending event")
    next_attempt_at: Timestamp | None = Field(description="When the pending event is tried again")
    last_delivered_at: Timestamp | None
    secret_rotated_until: Timestamp | None = Field(
        description="After a rotation, deliveries are signed with the previous secret too until then"
    )
    created_at: Timestamp


class WebhookEndpointCreated(WebhookEndpointOut):
    secret: str = Field(
        description="`whsec_` + base64 of 32 random bytes: shown once, in this response",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class WebhookDeliveryOut(ResponseModel):
    id: str
    event_id: str
    outcome: Literal["delivered", "http_error", "timeout", "connection_error"]
    status_code: int | None = Field(description="The receiver's HTTP status; null when there was none")
    duration_ms: int
    error: str | None
    response_body: str | None = Field(description="At most the first 1 KiB of the receiver's answer")
    manual: bool = Field(description="A manual redelivery of an event already delivered")
    attempted_at: Timestamp


class WebhookRetryOut(ResponseModel):
    endpoint_id: Id
    event_id: str
    mode: Literal["pending_now", "redelivery"] = Field(
        description=(
            "`pending_now`: the event is the endpoint's pending one and is tried again now; "
            "`redelivery`: an event already delivered is sent once more (the same `webhook-id`)"
        )
    )
