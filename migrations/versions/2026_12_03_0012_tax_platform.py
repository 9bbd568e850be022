"""tax platform: the sandbox platform's tables (number sequence per seller, submissions, faults)

New tables only, so an existing database upgrades with nothing to backfill; the sandbox keys sellers
by taxpayer id (no foreign key: a platform knows a seller by its USCC, not by our row).

Revision ID: 0012_tax_platform
Revises: 0011_sellers_tax_terms
Create Date: 2026-12-03 13:00:05.397753
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.database

revision: str = "0012_tax_platform"
down_revision: str | None = "0011_sellers_tax_terms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tax_sandbox_fault",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=True),
        sa.Column("seller_taxpayer_id", sa.String(length=32), nullable=True),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", app.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('refuse', 'transient', 'lost_answer')", name=op.f("ck_tax_sandbox_fault_kind")
        ),
        sa.CheckConstraint(
            "operation IS NULL OR operation IN ('submit', 'query', 'red_letter')",
            name=op.f("ck_tax_sandbox_fault_operation"),
        ),
        sa.CheckConstraint("remaining >= 0", name=op.f("ck_tax_sandbox_fault_remaining")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_sandbox_fault")),
    )
    op.create_table(
        "tax_sandbox_invoice",
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("seller_taxpayer_id", sa.String(length=32), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("issued_at", app.core.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("blue_number", sa.String(length=20), nullable=True),
        sa.Column("reverses", sa.String(length=20), nullable=True),
        sa.Column("refusal_code", sa.String(length=64), nullable=True),
        sa.Column("refusal_message", sa.Text(), nullable=True),
        sa.Column("submitted_at", app.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ready_at", app.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("buyer_usage", sa.String(length=16), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("xml", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(
            "kind = 'blue' OR blue_number IS NOT NULL", name=op.f("ck_tax_sandbox_invoice_red_has_blue")
        ),
        sa.CheckConstraint("kind IN ('blue', 'red')", name=op.f("ck_tax_sandbox_invoice_kind")),
        sa.CheckConstraint(
            "buyer_usage IN ('none', 'deducted', 'booked')", name=op.f("ck_tax_sandbox_invoice_buyer_usage")
        ),
        sa.CheckConstraint(
            "status <> 'issued' OR (number IS NOT NULL AND issued_at IS NOT NULL)",
            name=op.f("ck_tax_sandbox_invoice_issued"),
        ),
        sa.CheckConstraint(
            "status <> 'refused' OR refusal_code IS NOT NULL", name=op.f("ck_tax_sandbox_invoice_refused")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'issued', 'refused')", name=op.f("ck_tax_sandbox_invoice_status")
        ),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_tax_sandbox_invoice")),
        sa.UniqueConstraint("number", name=op.f("uq_tax_sandbox_invoice_number")),
        sa.UniqueConstraint("reverses", name=op.f("uq_tax_sandbox_invoice_reverses")),
    )
    with op.batch_alter_table("tax_sandbox_invoice", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tax_sandbox_invoice_seller_taxpayer_id", ["seller_taxpayer_id"], unique=False
        )

    op.create_table(
        "tax_sandbox_sequence",
        sa.Column("seller_taxpayer_id", sa.String(length=32), nullable=False),
        sa.Column("seller_code", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("last_value > 0", name=op.f("ck_tax_sandbox_sequence_last_value")),
        sa.CheckConstraint("seller_code > 0", name=op.f("ck_tax_sandbox_sequence_seller_code")),
        sa.PrimaryKeyConstraint("seller_taxpayer_id", name=op.f("pk_tax_sandbox_sequence")),
        sa.UniqueConstraint("seller_code", name=op.f("uq_tax_sandbox_sequence_seller_code")),
    )


def downgrade() -> None:
    op.drop_table("tax_sandbox_sequence")
    with op.batch_alter_table("tax_sandbox_invoice", schema=None) as batch_op:
        batch_op.drop_index("ix_tax_sandbox_invoice_seller_taxpayer_id")

    op.drop_table("tax_sandbox_invoice")
    op.drop_table("tax_sandbox_fault")
