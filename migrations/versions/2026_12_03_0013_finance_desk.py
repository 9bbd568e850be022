"""finance desk: named operators (key and event actor names), searchable request columns (title,
taxpayer_id, due_at) with the finance list's indexes, and invoice issue dates indexed

Existing rows are backfilled: names stay null (nobody named those keys or moves), title and
taxpayer_id come from each request's profile snapshot, due_at is created_at plus
INVOICING_SLA_BUSINESS_DAYS (default 1) business days in Asia/Shanghai (app/requests/ageing.py's
rule, frozen here). On PostgreSQL the title gets a pg_trgm GIN index (the extension is created if
missing; the downgrade leaves it, other databases' objects may use it).

Revision ID: 0013_finance_desk
Revises: 0010_webhooks
Create Date: 2026-12-03 13:00:00
"""

import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import app.core.database

revision: str = "0013_finance_desk"
down_revision: str | None = "0012_tax_platform"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SHANGHAI = ZoneInfo("Asia/Shanghai")
_BATCH = 1000


def _due_at(created_at: datetime, business_days: int) -> datetime:
    local = created_at.astimezone(_SHANGHAI)
    day, left = local.date(), business_days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return datetime.combine(day, local.timetz()).astimezone(UTC)


def _backfill(business_days: int) -> None:
    """title, taxpayer_id and due_at of every existing request, in keyset batches."""
    bind = op.get_bind()
    utc = app.core.database.UTCDateTime()
    request = sa.table(
        "invoice_request",
        sa.column("id", sa.Uuid()),
        sa.column("created_at", utc),
        sa.column("profile_snapshot", app.core.database.JSONDocument),
        sa.column("title", sa.String()),
        sa.column("taxpayer_id", sa.String()),
        sa.column("due_at", utc),
    )
    update = (
        sa.update(request)
        .where(request.c.id == sa.bindparam("b_id"))
        .values(
            title=sa.bindparam("b_title"),
            taxpayer_id=sa.bindparam("b_taxpayer_id"),
            due_at=sa.bindparam("b_due_at"),
        )
    )
    last = None
    while True:
        query = sa.select(request.c.id, request.c.created_at, request.c.profile_snapshot).order_by(
            request.c.id
        )
        if last is not None:
            query = query.where(request.c.id > last)
        rows = bind.execute(query.limit(_BATCH)).all()
        if not rows:
            return
        bind.execute(
            update,
            [
                {
                    "b_id": row.id,
                    "b_title": str((row.profile_snapshot or {}).get("title") or "")[:200],
                    "b_taxpayer_id": str((row.profile_snapshot or {}).get("taxpayer_id") or "")[:32],
                    "b_due_at": _due_at(row.created_at, business_days),
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    utc = app.core.database.UTCDateTime(timezone=True)
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=100), nullable=True))
    with op.batch_alter_table("invoice_request_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_name", sa.String(length=100), nullable=True))
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_role", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("actor_name", sa.String(length=100), nullable=True))
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_issued_at"), ["issued_at"], unique=False)

    with op.batch_alter_table("invoice_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("taxpayer_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("due_at", utc, nullable=True))
    _backfill(int(os.environ.get("INVOICING_SLA_BUSINESS_DAYS") or 1))
    with op.batch_alter_table("invoice_request", schema=None) as batch_op:
        batch_op.alter_column("title", existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column("taxpayer_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("due_at", existing_type=utc, nullable=False)
        batch_op.create_index(
            "ix_invoice_request_taxpayer_id_created_at_id", ["taxpayer_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_invoice_request_invoice_type_created_at_id",
            ["invoice_type", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index("ix_invoice_request_amount", ["amount"], unique=False)
        batch_op.create_index(
            "ix_invoice_request_seller_id_created_at_id", ["seller_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_invoice_request_status_due_at", ["status", "due_at"], unique=False)
        batch_op.create_index(
            "ix_invoice_request_title_trgm",
            ["title"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice_request", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_request_title_trgm")
        batch_op.drop_index("ix_invoice_request_status_due_at")
        batch_op.drop_index("ix_invoice_request_seller_id_created_at_id")
        batch_op.drop_index("ix_invoice_request_amount")
        batch_op.drop_index("ix_invoice_request_invoice_type_created_at_id")
        batch_op.drop_index("ix_invoice_request_taxpayer_id_created_at_id")
        batch_op.drop_column("due_at")
        batch_op.drop_column("taxpayer_id")
        batch_op.drop_column("title")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_issued_at"))
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("actor_name")
        batch_op.drop_column("actor_role")
    with op.batch_alter_table("invoice_request_event", schema=None) as batch_op:
        batch_op.drop_column("actor_name")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("name")
