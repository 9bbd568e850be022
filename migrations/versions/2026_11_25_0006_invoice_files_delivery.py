"""invoice files (metadata and database-stored bytes), email delivery state and resend counters, cc_emails

Revision ID: 0006_invoice_files_delivery
Revises: 0005_api_key_last_used
Create Date: 2026-11-25 09:34:25.573533
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.database

revision: str = "0006_invoice_files_delivery"
down_revision: str | None = "0005_api_key_last_used"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "file_blob",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", app.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_file_blob")),
    )
    op.create_table(
        "invoice_file",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage", sa.String(length=16), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", app.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("format IN ('pdf', 'ofd', 'xml')", name=op.f("ck_invoice_file_format")),
        sa.CheckConstraint("size >= 0", name=op.f("ck_invoice_file_size")),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_invoice_file_invoice_id_invoice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_file")),
        sa.UniqueConstraint("invoice_id", "format", name=op.f("uq_invoice_file_invoice_id_format")),
    )
    with op.batch_alter_table("invoice_request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "delivery",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("resend_day", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("resend_count", sa.Integer(), nullable=True))

    with op.batch_alter_table("mailing_address", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "cc_emails",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("mailing_address", schema=None) as batch_op:
        batch_op.drop_column("cc_emails")

    with op.batch_alter_table("invoice_request", schema=None) as batch_op:
        batch_op.drop_column("resend_count")
        batch_op.drop_column("resend_day")
        batch_op.drop_column("delivery")

    op.drop_table("invoice_file")
    op.drop_table("file_blob")
