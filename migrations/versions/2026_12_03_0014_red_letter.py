"""red-letter reversal and re-issue: the `reversing` status, the request's red letter and its
replacement links, red-letter invoices beside the blue ones

A red-letter invoice is a row of `invoice` naming the blue invoice it reverses (`blue_invoice_id`,
unique: one red per blue) with a negative amount, so the unique index on lower(number) of 0009
keeps red and blue numbers unique together. Existing requests keep their status: a `reversed` one
stays reversed with `red_letter` NULL (it was reversed before red letters were recorded). The
downgrade refuses while a request is `reversing` or a red-letter invoice exists: dropping them
would lose a reversal finance started or recorded.

Revision ID: 0014_red_letter
Revises: 0010_webhooks
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014_red_letter"
down_revision: str | None = "0013_finance_desk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATUSES = "'pending', 'processing', 'issued', 'delivered', 'rejected', 'cancelled', 'reversed'"
_NEW_STATUSES = (
    "'pending', 'processing', 'issued', 'delivered', 'rejected', 'cancelled', 'reversing', 'reversed'"
)
_LOWER_INDEX = "uq_invoice_number_lower"


def upgrade() -> None:
    with op.batch_alter_table("invoice_request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "red_letter",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("replaces_request_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("replaced_by_request_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_invoice_request_replaces_request_id"), ["replaces_request_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_invoice_request_replaces_request_id_invoice_request"),
            "invoice_request",
            ["replaces_request_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_invoice_request_replaced_by_request_id_invoice_request"),
            "invoice_request",
            ["replaced_by_request_id"],
            ["id"],
        )
        batch_op.drop_constraint(op.f("ck_invoice_request_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_invoice_request_status"), f"status IN ({_NEW_STATUSES})")

    # SQLite rebuilds the table in a batch and does not carry an expression index over: drop it
    # first, create it again after.
    op.drop_index(_LOWER_INDEX, table_name="invoice")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blue_invoice_id", sa.Uuid(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_invoice_blue_invoice_id"), ["blue_invoice_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_invoice_blue_invoice_id_invoice"), "invoice", ["blue_invoice_id"], ["id"]
        )
        batch_op.drop_constraint(op.f("ck_invoice_amount_positive"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_invoice_amount_sign"),
            "(blue_invoice_id IS NULL AND amount > 0) OR (blue_invoice_id IS NOT NULL AND amount < 0)",
        )
    op.create_index(_LOWER_INDEX, "invoice", [sa.text("lower(number)")], unique=True)


def downgrade() -> None:
    bind = op.get_bind()
    reversing = bind.execute(sa.text("SELECT count(*) FROM invoice_request WHERE status = 'reversing'"))
    red = bind.execute(sa.text("SELECT count(*) FROM invoice WHERE blue_invoice_id IS NOT NULL"))
    if reversing.scalar_one() or red.scalar_one():
        raise RuntimeError(
            "Requests are being reversed or red-letter invoices were recorded: the schema before "
            "0014_red_letter cannot hold them. Finish or keep them, then downgrade."
        )
    op.drop_index(_LOWER_INDEX, table_name="invoice")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invoice_amount_sign"), type_="check")
        batch_op.create_check_constraint(op.f("ck_invoice_amount_positive"), "amount > 0")
        batch_op.drop_constraint(batch_op.f("fk_invoice_blue_invoice_id_invoice"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_invoice_blue_invoice_id"), type_="unique")
        batch_op.drop_column("blue_invoice_id")
    op.create_index(_LOWER_INDEX, "invoice", [sa.text("lower(number)")], unique=True)

    with op.batch_alter_table("invoice_request", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invoice_request_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_invoice_request_status"), f"status IN ({_OLD_STATUSES})")
        batch_op.drop_constraint(
            batch_op.f("fk_invoice_request_replaced_by_request_id_invoice_request"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_invoice_request_replaces_request_id_invoice_request"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_invoice_request_replaces_request_id"))
        batch_op.drop_column("replaced_by_request_id")
        batch_op.drop_column("replaces_request_id")
        batch_op.drop_column("red_letter")
