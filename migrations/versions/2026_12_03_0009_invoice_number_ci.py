"""invoice numbers unique whatever their case

`INV-1` and `inv-1` name the same invoice to a person, a tax office and a search box: a unique
index on lower(number) (invoice numbers are ASCII letters, digits and hyphens, so lower() folds them
the same way on SQLite and PostgreSQL). The exact unique constraint stays: lookups by the number as
issued use it.

The upgrade refuses, changing nothing, while invoices already hold numbers that differ only in case:
an issued invoice's number is on paper and in the tax system, so renumbering one is finance's
decision, not a migration's. The error names them.

Revision ID: 0009_invoice_number_ci
Revises: 0008_over_invoiced_items
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_invoice_number_ci"
down_revision: str | None = "0008_over_invoiced_items"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "uq_invoice_number_lower"
_SHOWN = 20


def _case_duplicates() -> list[list[str]]:
    """Groups of existing numbers equal but for case (at most _SHOWN groups)."""
    rows = op.get_bind().execute(
        sa.text(
            "SELECT number FROM invoice WHERE lower(number) IN ("
            " SELECT lower(number) FROM invoice GROUP BY lower(number) HAVING count(*) > 1"
            ") ORDER BY lower(number), number"
        )
    )
    groups: dict[str, list[str]] = {}
    for (number,) in rows:
        groups.setdefault(number.lower(), []).append(number)
    return list(groups.values())[:_SHOWN]


def upgrade() -> None:
    duplicates = _case_duplicates()
    if duplicates:
        shown = "; ".join(", ".join(group) for group in duplicates)
        raise RuntimeError(
            "Invoice numbers must be unique whatever their case, but these differ only in case: "
            f"{shown}. Renumber them with finance, then migrate again."
        )
    op.create_index(_INDEX, "invoice", [sa.text("lower(number)")], unique=True)


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="invoice")
