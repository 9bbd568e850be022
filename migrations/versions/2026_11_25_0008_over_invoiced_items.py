"""over-invoiced items: partial indexes for request creation

A new request settles every over-invoiced item of the account; these indexes hold only the items
whose requested amount exceeds their base (usually none), so creation finds them without reading
the account's other items, however many it has. The predicates are app/accounts/ledger.py's
`OVER_INVOICED_BILL` and `OVER_INVOICED_CARD`, copied here as a migration must not change later.

Revision ID: 0008_over_invoiced_items
Revises: invoice_deficit
Create Date: 2026-11-25 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_over_invoiced_items"
down_revision: str | None = "invoice_deficit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BILL = "requested_amount > cash_amount"
_CARD = "requested_amount > paid_amount - refunded_amount"


def upgrade() -> None:
    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bill_over_invoiced",
            ["account_id", "id"],
            unique=False,
            sqlite_where=sa.text(_BILL),
            postgresql_where=sa.text(_BILL),
        )
    with op.batch_alter_table("stored_value_card", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stored_value_card_over_invoiced",
            ["account_id", "id"],
            unique=False,
            sqlite_where=sa.text(_CARD),
            postgresql_where=sa.text(_CARD),
        )


def downgrade() -> None:
    with op.batch_alter_table("stored_value_card", schema=None) as batch_op:
        batch_op.drop_index("ix_stored_value_card_over_invoiced")
    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.drop_index("ix_bill_over_invoiced")
