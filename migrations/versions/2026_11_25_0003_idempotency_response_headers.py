"""idempotency: keep the response headers a replay repeats

Revision ID: 0003_idempotency_headers
Revises: 0002_worker_jobs
Create Date: 2026-11-25 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_idempotency_headers"
down_revision: str | None = "0002_worker_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Stored answers from before keep no headers: their replays carry the content type derived
    # from the status (as they did), filled in here.
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "response_headers",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
    idempotency_key = sa.table(
        "idempotency_key",
        sa.column("status", sa.String),
        sa.column("response_status", sa.Integer),
        sa.column("response_headers", sa.JSON),
    )
    completed = idempotency_key.c.status == "completed"
    # A stored 429 (the only non-final answer kept before) is forgotten: a retry runs again.
    op.execute(idempotency_key.delete().where(completed, idempotency_key.c.response_status == 429))
    op.execute(
        idempotency_key.update()
        .where(completed, idempotency_key.c.response_status < 400)
        .values(response_headers=[["content-type", "application/json"]])
    )
    op.execute(
        idempotency_key.update()
        .where(completed, idempotency_key.c.response_status >= 400)
        .values(response_headers=[["content-type", "application/problem+json"]])
    )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.drop_column("response_headers")
