"""issuing through the tax platform: the `issuing` status, the request's issue_error and serials,
the sandbox's `malformed` fault, and the count of tax-platform outcomes

Existing requests keep their status and have no issue_error. The downgrade refuses while a request
is `issuing`: the schema before cannot hold it (let the worker finish it, or issue it by hand).

Revision ID: 0015_issuing
Revises: 0014_red_letter
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015_issuing"
down_revision: str | None = "0014_red_letter"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATUSES = (
    "'pending', 'processing', 'issued', 'delivered', 'rejected', 'cancelled', 'reversing', 'reversed'"
)
_NEW_STATUSES = (
    "'pending', 'processing', 'issuing', 'issued', 'delivered', 'rejected', 'cancelled', 'reversing',"
    " 'reversed'"
)
_OLD_FAULTS = "'refuse', 'transient', 'lost_answer'"
_NEW_FAULTS = "'refuse', 'transient', 'lost_answer', 'malformed'"


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("invoice_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issue_error", _json(), nullable=True))
        batch_op.add_column(sa.Column("tax_issue", _json(), nullable=True))
        batch_op.drop_constraint(op.f("ck_invoice_request_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_invoice_request_status"), f"status IN ({_NEW_STATUSES})")
    with op.batch_alter_table("tax_sandbox_fault", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_tax_sandbox_fault_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_tax_sandbox_fault_kind"), f"kind IN ({_NEW_FAULTS})")
    op.create_table(
        "tax_submission_outcome",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "outcome", name=op.f("pk_tax_submission_outcome")),
    )


def downgrade() -> None:
    bind = op.get_bind()
    issuing = bind.execute(sa.text("SELECT count(*) FROM invoice_request WHERE status = 'issuing'"))
    if issuing.scalar_one():
        raise RuntimeError(
            "Requests are being issued through the tax platform: the schema before 0015_issuing cannot "
            "hold them. Let the worker finish them, then downgrade."
        )
    op.drop_table("tax_submission_outcome")
    bind.execute(sa.text("DELETE FROM tax_sandbox_fault WHERE kind = 'malformed'"))
    with op.batch_alter_table("tax_sandbox_fault", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_tax_sandbox_fault_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_tax_sandbox_fault_kind"), f"kind IN ({_OLD_FAULTS})")
    with op.batch_alter_table("invoice_request", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invoice_request_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_invoice_request_status"), f"status IN ({_OLD_STATUSES})")
        batch_op.drop_column("tax_issue")
        batch_op.drop_column("issue_error")
