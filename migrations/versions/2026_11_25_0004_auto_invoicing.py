"""automatic monthly invoicing: the customer's setting and one run per account and month

Revision ID: auto_invoicing
Revises: 0003_idempotency_headers
Create Date: 2026-11-25 09:26:10.594245
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.database

revision: str = "auto_invoicing"
down_revision: str | None = "0003_idempotency_headers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auto_invoicing_setting",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=True),
        sa.Column("address_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", app.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "NOT enabled OR (profile_id IS NOT NULL AND address_id IS NOT NULL)",
            name=op.f("ck_auto_invoicing_setting_enabled_has_targets"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_auto_invoicing_setting_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["mailing_address.id"],
            name=op.f("fk_auto_invoicing_setting_address_id_mailing_address"),
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["invoice_profile.id"],
            name=op.f("fk_auto_invoicing_setting_profile_id_invoice_profile"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_auto_invoicing_setting")),
    )
    op.create_table(
        "auto_invoicing_run",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("created_at", app.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(outcome = 'requested' AND request_id IS NOT NULL AND code IS NULL) OR (outcome = 'skipped' AND request_id IS NULL AND code IS NOT NULL)",
            name=op.f("ck_auto_invoicing_run_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_auto_invoicing_run_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["invoice_request.id"],
            name=op.f("fk_auto_invoicing_run_request_id_invoice_request"),
        ),
        sa.PrimaryKeyConstraint("account_id", "month", name=op.f("pk_auto_invoicing_run")),
    )


def downgrade() -> None:
    # The tables are new in this revision: nothing to carry back.
    op.drop_table("auto_invoicing_run")
    op.drop_table("auto_invoicing_setting")
