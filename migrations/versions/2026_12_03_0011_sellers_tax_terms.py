"""sellers and tax terms: the seller table, tax terms on items and request lines, invoice lines

Adds the `seller` table (exactly one default), the tax terms of every bill and card (`seller_id`,
`tax_rate`, `tax_category_code`, `item_name`) and of every request line, the seller snapshot of
every request, the tax totals of every issued invoice and its lines (`invoice_line`), and the two
digital invoice types of profiles. Existing rows are carried over: the default seller is created
from the INVOICING_SELLER_* settings, every bill, card and line gets it and the default tax terms
(INVOICING_DEFAULT_*), every request its snapshot, and every issued invoice one line of its whole
amount, taxed by the rule of app/requests/draft.py (copied here: a migration must not change later).

Revision ID: 0011_sellers_tax_terms
Revises: 0010_webhooks
Create Date: 2026-12-03 13:00:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from fractions import Fraction

import sqlalchemy as sa
from alembic import op

import app.core.database
from app.core.settings import Settings

revision: str = "0011_sellers_tax_terms"
down_revision: str | None = "0010_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RATES = ("0.00", "0.01", "0.03", "0.05", "0.06", "0.09", "0.13")
_RATE_CHECK = f"tax_rate IN ({', '.join(map(repr, _RATES))})"
_OLD_TYPES = ("vat_ordinary", "vat_special", "electronic_ordinary")
_NEW_TYPES = (*_OLD_TYPES, "digital_special", "digital_ordinary")
_ITEMS = ("bill", "stored_value_card")
_NUMBER_INDEX = "uq_invoice_number_lower"  # migration 0009's


def _type_check(types: tuple[str, ...]) -> str:
    return f"invoice_type IN ({', '.join(map(repr, types))})"


def _tax(amount: int, rate: str) -> int:
    """round_half_up(amount * rate / (1 + rate)), in exact fractions."""
    exact = Fraction(amount) * Fraction(rate) / (1 + Fraction(rate))
    magnitude = int(abs(exact) + Fraction(1, 2))
    return magnitude if exact >= 0 else -magnitude


def upgrade() -> None:
    settings = Settings()
    connection = op.get_bind()
    op.create_table(
        "seller",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("taxpayer_id", sa.String(length=18), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=False),
        sa.Column("bank_account", sa.String(length=64), nullable=False),
        sa.Column("max_invoice_amount", sa.BigInteger(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "max_invoice_amount IS NULL OR max_invoice_amount > 0", name=op.f("ck_seller_max_invoice_amount")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller")),
    )
    with op.batch_alter_table("seller", schema=None) as batch_op:
        batch_op.create_index("ix_seller_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "uq_seller_default",
            ["is_default"],
            unique=True,
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        )

    seller_id = uuid.uuid4()
    now = datetime.now(UTC)
    seller = {
        "id": str(seller_id),
        "name": settings.seller_name,
        "taxpayer_id": settings.seller_taxpayer_id,
        "address": settings.seller_address,
        "phone": settings.seller_phone,
        "bank_name": settings.seller_bank_name,
        "bank_account": settings.seller_bank_account,
        "max_invoice_amount": settings.seller_max_invoice_amount,
    }
    seller_table = sa.table(
        "seller",
        *(
            sa.column(name)
            for name in ("name", "taxpayer_id", "address", "phone", "bank_name", "bank_account")
        ),
        sa.column("id", sa.Uuid()),
        sa.column("max_invoice_amount", sa.BigInteger()),
        sa.column("is_default", sa.Boolean()),
        sa.column("created_at", app.core.database.UTCDateTime(timezone=True)),
        sa.column("updated_at", app.core.database.UTCDateTime(timezone=True)),
    )
    op.execute(
        seller_table.insert().values(
            **{**seller, "id": seller_id}, is_default=True, created_at=now, updated_at=now
        )
    )
    terms = {
        "seller_id": seller_id,
        "tax_rate": settings.default_tax_rate,
        "tax_category_code": settings.default_tax_category_code,
        "item_name": settings.default_item_name,
    }

    for name in (*_ITEMS, "invoice_request_item"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column("seller_id", sa.Uuid(), nullable=True))
            batch_op.add_column(sa.Column("tax_rate", sa.String(length=4), nullable=True))
            batch_op.add_column(sa.Column("tax_category_code", sa.String(length=19), nullable=True))
            batch_op.add_column(sa.Column("item_name", sa.String(length=100), nullable=True))
        item_table = sa.table(
            name,
            sa.column("seller_id", sa.Uuid()),
            sa.column("tax_rate", sa.String()),
            sa.column("tax_category_code", sa.String()),
            sa.column("item_name", sa.String()),
        )
        connection.execute(item_table.update().values(**terms))
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column in ("seller_id", "tax_rate", "tax_category_code", "item_name"):
                batch_op.alter_column(column, nullable=False)
            batch_op.create_foreign_key(op.f(f"fk_{name}_seller_id_seller"), "seller", ["seller_id"], ["id"])
            if name in _ITEMS:
                batch_op.create_check_constraint(op.f(f"ck_{name}_tax_rate"), _RATE_CHECK)

    with op.batch_alter_table("invoice_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seller_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("seller_snapshot", app.core.database.JSONDocument, nullable=True))
    snapshot = sa.bindparam("snapshot", type_=app.core.database.JSONDocument)
    connection.execute(
        sa.text("UPDATE invoice_request SET seller_id = :seller_id, seller_snapshot = :snapshot").bindparams(
            snapshot, sa.bindparam("seller_id", type_=sa.Uuid())
        ),
        {"seller_id": seller_id, "snapshot": seller},
    )
    with op.batch_alter_table("invoice_request", schema=None) as batch_op:
        batch_op.alter_column("seller_id", nullable=False)
        batch_op.alter_column("seller_snapshot", nullable=False)
        batch_op.create_foreign_key(
            op.f("fk_invoice_request_seller_id_seller"), "seller", ["seller_id"], ["id"]
        )

    op.create_table(
        "invoice_line",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_name", sa.String(length=100), nullable=False),
        sa.Column("tax_category_code", sa.String(length=19), nullable=False),
        sa.Column("tax_rate", sa.String(length=4), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("amount_excluding_tax", sa.BigInteger(), nullable=False),
        sa.Column("tax_amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount = amount_excluding_tax + tax_amount", name=op.f("ck_invoice_line_totals")),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_invoice_line_invoice_id_invoice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_line")),
        sa.UniqueConstraint("invoice_id", "position", name=op.f("uq_invoice_line_invoice_id_position")),
    )
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_line_invoice_id"), ["invoice_id"], unique=False)

    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amount_excluding_tax", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("tax_amount", sa.BigInteger(), nullable=True))
    # Every invoice issued so far is one line of its whole amount, at the default terms.
    invoices = connection.execute(sa.text("SELECT id, amount FROM invoice")).all()
    rate = settings.default_tax_rate
    lines = []
    for invoice_id, amount in invoices:
        tax = _tax(amount, rate)
        connection.execute(
            sa.text("UPDATE invoice SET tax_amount = :tax, amount_excluding_tax = :excluding WHERE id = :id"),
            {"tax": tax, "excluding": amount - tax, "id": invoice_id},
        )
        lines.append(
            {
                "id": uuid.uuid4(),
                "invoice_id": invoice_id if isinstance(invoice_id, uuid.UUID) else uuid.UUID(str(invoice_id)),
                "position": 0,
                "item_name": settings.default_item_name,
                "tax_category_code": settings.default_tax_category_code,
                "tax_rate": rate,
                "amount": amount,
                "amount_excluding_tax": amount - tax,
                "tax_amount": tax,
            }
        )
    if lines:
        line_table = sa.table(
            "invoice_line",
            sa.column("id", sa.Uuid()),
            sa.column("invoice_id", sa.Uuid()),
            sa.column("position", sa.Integer()),
            sa.column("item_name", sa.String()),
            sa.column("tax_category_code", sa.String()),
            sa.column("tax_rate", sa.String()),
            sa.column("amount", sa.BigInteger()),
            sa.column("amount_excluding_tax", sa.BigInteger()),
            sa.column("tax_amount", sa.BigInteger()),
        )
        op.bulk_insert(line_table, lines)
    # SQLite rebuilds the table, and cannot carry its expression index over: it is made again.
    op.drop_index(_NUMBER_INDEX, table_name="invoice")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.alter_column("amount_excluding_tax", nullable=False)
        batch_op.alter_column("tax_amount", nullable=False)
        batch_op.create_check_constraint(
            op.f("ck_invoice_totals"), "amount = amount_excluding_tax + tax_amount"
        )
    op.create_index(_NUMBER_INDEX, "invoice", [sa.text("lower(number)")], unique=True)

    with op.batch_alter_table("invoice_profile", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invoice_profile_invoice_type"), type_="check")
        batch_op.create_check_constraint(op.f("ck_invoice_profile_invoice_type"), _type_check(_NEW_TYPES))


def downgrade() -> None:
    connection = op.get_bind()
    digital = connection.execute(
        sa.text(
            "SELECT COUNT(*) FROM invoice_profile WHERE invoice_type IN ('digital_special', 'digital_ordinary')"
        )
    ).scalar()
    if digital:
        raise RuntimeError(
            "cannot downgrade below 0011_sellers_tax_terms: the database holds digital invoice profiles"
        )
    with op.batch_alter_table("invoice_profile", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invoice_profile_invoice_type"), type_="check")
        batch_op.create_check_constraint(op.f("ck_invoice_profile_invoice_type"), _type_check(_OLD_TYPES))

    op.drop_index(_NUMBER_INDEX, table_name="invoice")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invoice_totals"), type_="check")
        batch_op.drop_column("tax_amount")
        batch_op.drop_column("amount_excluding_tax")
    op.create_index(_NUMBER_INDEX, "invoice", [sa.text("lower(number)")], unique=True)
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_line_invoice_id"))
    op.drop_table("invoice_line")

    with op.batch_alter_table("invoice_request", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_invoice_request_seller_id_seller"), type_="foreignkey")
        batch_op.drop_column("seller_snapshot")
        batch_op.drop_column("seller_id")
    for name in ("invoice_request_item", *reversed(_ITEMS)):
        with op.batch_alter_table(name, schema=None) as batch_op:
            if name in _ITEMS:
                batch_op.drop_constraint(op.f(f"ck_{name}_tax_rate"), type_="check")
            batch_op.drop_constraint(op.f(f"fk_{name}_seller_id_seller"), type_="foreignkey")
            for column in ("item_name", "tax_category_code", "tax_rate", "seller_id"):
                batch_op.drop_column(column)

    with op.batch_alter_table("seller", schema=None) as batch_op:
        batch_op.drop_index("uq_seller_default", sqlite_where=sa.text("is_default"))
        batch_op.drop_index("ix_seller_created_at_id")
    op.drop_table("seller")
