"""invoice deficit: bill amendments, card refunds, settlement lines

Bills can be amended below what was requested and cards refunded, so an item's requested amount
may now exceed its base (the difference is over-invoiced) and request lines may be negative
(settling it). Adds `account.invoice_deficit` (>= 0), `stored_value_card.refunded_amount`
(0..paid_amount) and the `stored_value_card_refund` table; request lines are non-zero and name an
item at most once per request. Existing rows are carried over: every account's deficit is computed
from its items (zero at the previous revision, where requested never exceeded the base).

Revision ID: invoice_deficit
Revises: 0006_invoice_files_delivery
Create Date: 2026-11-25 09:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.database

revision: str = "invoice_deficit"
down_revision: str | None = "0006_invoice_files_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# max(0, requested - base) summed over an account's items: the rule of app/accounts/ledger.py.
_DEFICIT = """
UPDATE account SET invoice_deficit =
    (SELECT COALESCE(SUM(CASE WHEN requested_amount > cash_amount
                              THEN requested_amount - cash_amount ELSE 0 END), 0)
       FROM bill WHERE bill.account_id = account.id)
  + (SELECT COALESCE(SUM(CASE WHEN requested_amount > paid_amount - refunded_amount
                              THEN requested_amount - paid_amount + refunded_amount ELSE 0 END), 0)
       FROM stored_value_card WHERE stored_value_card.account_id = account.id)
"""


def upgrade() -> None:
    with op.batch_alter_table("stored_value_card", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refunded_amount", sa.BigInteger(), nullable=False, server_default="0"))
    with op.batch_alter_table("stored_value_card", schema=None) as batch_op:
        batch_op.alter_column("refunded_amount", server_default=None)
        batch_op.drop_constraint(op.f("ck_stored_value_card_requested"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_stored_value_card_refunded"), "refunded_amount >= 0 AND refunded_amount <= paid_amount"
        )

    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_bill_requested"), type_="check")

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invoice_deficit", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute(_DEFICIT)
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.alter_column("invoice_deficit", server_default=None)
        batch_op.create_check_constraint(op.f("ck_account_invoice_deficit"), "invoice_deficit >= 0")

    with op.batch_alter_table("invoice_request_item", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invoice_request_item_amount_positive"), type_="check")
        batch_op.create_check_constraint(op.f("ck_invoice_request_item_amount_not_zero"), "amount <> 0")
        batch_op.create_unique_constraint(
            batch_op.f("uq_invoice_request_item_request_id_bill_id"), ["request_id", "bill_id"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_invoice_request_item_request_id_stored_value_card_id"),
            ["request_id", "stored_value_card_id"],
        )

    op.create_table(
        "stored_value_card_refund",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("card_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", app.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_stored_value_card_refund_amount_positive")),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["stored_value_card.id"],
            name=op.f("fk_stored_value_card_refund_card_id_stored_value_card"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_value_card_refund")),
    )
    with op.batch_alter_table("stored_value_card_refund", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stored_value_card_refund_card_id"), ["card_id"], unique=False)


# Rows the previous schema cannot hold: refunds, settlement lines, over- or under-requested items.
_UNREPRESENTABLE = {
    "card refunds": "SELECT COUNT(*) FROM stored_value_card WHERE refunded_amount <> 0",
    "settlement lines": "SELECT COUNT(*) FROM invoice_request_item WHERE amount < 0",
    "bills requested beyond their cash part or below zero": (
        "SELECT COUNT(*) FROM bill WHERE requested_amount > cash_amount OR requested_amount < 0"
    ),
    "cards requested beyond their paid amount or below zero": (
        "SELECT COUNT(*) FROM stored_value_card WHERE requested_amount > paid_amount OR requested_amount < 0"
    ),
}


def downgrade() -> None:
    # Money is never dropped silently: refuse while any row needs the new rules.
    connection = op.get_bind()
    found = [what for what, query in _UNREPRESENTABLE.items() if connection.execute(sa.text(query)).scalar()]
    if found:
        raise RuntimeError("cannot downgrade below invoice_deficit: the database holds " + ", ".join(found))

    with op.batch_alter_table("stored_value_card_refund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stored_value_card_refund_card_id"))
    op.drop_table("stored_value_card_refund")

    with op.batch_alter_table("invoice_request_item", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_invoice_request_item_request_id_stored_value_card_id"), type_="unique"
        )
        batch_op.drop_constraint(batch_op.f("uq_invoice_request_item_request_id_bill_id"), type_="unique")
        batch_op.drop_constraint(op.f("ck_invoice_request_item_amount_not_zero"), type_="check")
        batch_op.create_check_constraint(op.f("ck_invoice_request_item_amount_positive"), "amount > 0")

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_account_invoice_deficit"), type_="check")
        batch_op.drop_column("invoice_deficit")

    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_bill_requested"), "requested_amount >= 0 AND requested_amount <= cash_amount"
        )

    with op.batch_alter_table("stored_value_card", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_stored_value_card_refunded"), type_="check")
        batch_op.drop_column("refunded_amount")
        batch_op.create_check_constraint(
            op.f("ck_stored_value_card_requested"),
            "requested_amount >= 0 AND requested_amount <= paid_amount",
        )
