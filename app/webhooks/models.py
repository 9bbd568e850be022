"""Webhook endpoints (with their delivery cursor and retry state), the attempts log, and the
delivery counters /metrics reads."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.database import Base, BigSerial, JSONDocument, UTCDateTime


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoint"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(500))
    # ["*"] or a list of SPEC §3 event types.
    event_types: Mapped[list[str]] = mapped_column(JSONDocument)
    # The `whsec_` secret, sealed by app/webhooks/secrets.py (encrypted when a key is configured):
    # the worker needs it whole to sign, so it cannot be a hash.
    secret: Mapped[str] = mapped_column(Text)
    # After a rotation the old secret signs too, until `previous_secret_expires_at`.
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # active | failing (failing for INVOICING_WEBHOOK_RETRY_HOURS; back to active on a delivery)
    status: Mapped[str] = mapped_column(String(16), default="active")
    # The feed cursor after the last event delivered (or skipped, not subscribed); NULL: the start.
    # Written only by the holder of the endpoint's job lease.
    cursor: Mapped[str | None] = mapped_column(String(200))
    # The event being retried (the head of the endpoint's queue) and its retry state.
    pending_event_id: Mapped[int | None] = mapped_column(BigInteger)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("status IN ('active', 'failing')", name="status"),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts"),
        Index("ix_webhook_endpoint_created_at_id", "created_at", "id"),
    )


class WebhookDelivery(Base):
    """One attempt to send one event to one endpoint."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(BigSerial, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    # delivered | http_error | timeout | connection_error
    outcome: Mapped[str] = mapped_column(String(32))
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    # At most 1 KiB of what the receiver answered.
    response_body: Mapped[str | None] = mapped_column(Text)
    # A manual redelivery of an event already delivered (outside the ordered stream).
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "outcome IN ('delivered', 'http_error', 'timeout', 'connection_error')", name="outcome"
        ),
        Index("ix_webhook_delivery_endpoint_id_attempted_at_id", "endpoint_id", "attempted_at", "id"),
        Index("ix_webhook_delivery_endpoint_id_event_id", "endpoint_id", "event_id"),
        Index("ix_webhook_delivery_attempted_at", "attempted_at"),
    )


class WebhookDeliveryTotal(Base):
    """Attempts by outcome since the schema was created: a Prometheus counter that survives endpoint
    deletion and the purge of old attempts (incremented in the attempt's transaction)."""

    __tablename__ = "webhook_delivery_total"

    outcome: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
