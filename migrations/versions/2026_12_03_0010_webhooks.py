"""webhooks: endpoints with their delivery cursor and retry state, the attempts log, the counters

Revision ID: 0010_webhooks
Revises: 0008_over_invoiced_items
Create Date: 2026-12-03 09:27:17.027400
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.database

revision: str = "0010_webhooks"
down_revision: str | None = "0009_invoice_number_ci"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_delivery_total",
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("outcome", name=op.f("pk_webhook_delivery_total")),
    )
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column(
            "event_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("previous_secret", sa.Text(), nullable=True),
        sa.Column("previous_secret_expires_at", app.core.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.String(length=200), nullable=True),
        sa.Column("pending_event_id", sa.BigInteger(), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("failing_since", app.core.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", app.core.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_delivered_at", app.core.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'failing')", name=op.f("ck_webhook_endpoint_status")),
        sa.CheckConstraint("failed_attempts >= 0", name=op.f("ck_webhook_endpoint_failed_attempts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoint")),
    )
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_endpoint_created_at_id", ["created_at", "id"], unique=False)

    op.create_table(
        "webhook_delivery",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("attempted_at", app.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('delivered', 'http_error', 'timeout', 'connection_error')",
            name=op.f("ck_webhook_delivery_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoint.id"],
            name=op.f("fk_webhook_delivery_endpoint_id_webhook_endpoint"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_webhook_delivery_event_id_event")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
    )
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_delivery_attempted_at", ["attempted_at"], unique=False)
        batch_op.create_index(
            "ix_webhook_delivery_endpoint_id_attempted_at_id",
            ["endpoint_id", "attempted_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_webhook_delivery_endpoint_id_event_id", ["endpoint_id", "event_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_delivery_endpoint_id_event_id")
        batch_op.drop_index("ix_webhook_delivery_endpoint_id_attempted_at_id")
        batch_op.drop_index("ix_webhook_delivery_attempted_at")

    op.drop_table("webhook_delivery")
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_endpoint_created_at_id")

    op.drop_table("webhook_endpoint")
    op.drop_table("webhook_delivery_total")
