"""api keys: when each was last used, and a prefix index for `invoicing revoke-key PREFIX`

Revision ID: 0005_api_key_last_used
Revises: auto_invoicing
Create Date: 2026-11-25 09:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.database

revision: str = "0005_api_key_last_used"
down_revision: str | None = "auto_invoicing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_used_at", app.core.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_api_key_prefix"), ["prefix"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_key_prefix"))
        batch_op.drop_column("last_used_at")
