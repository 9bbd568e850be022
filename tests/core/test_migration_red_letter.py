"""Migration 0014_red_letter on both databases, over data: requests reversed before it stay
reversed without a red letter, their invoices and the case-insensitive number index survive, the
new rules hold after it, and the downgrade refuses to drop a reversal in progress."""

import uuid

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, create_engine, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from app.cli import alembic_config
from app.core.database import sync_url
from tests.conftest import BACKENDS
from tests.core.test_migration_invoice_number_ci import NOW, _add_invoices, _numbers, _seed_request

REVISION = "0014_red_letter"
PREVIOUS = "0010_webhooks"


def _figures(amount: int) -> dict[str, int]:
    """An invoice's three totals (since 0011 an invoice carries its tax): 6 fen of tax per 100."""
    tax = amount * 6 // 100
    return {"amount": amount, "amount_excluding_tax": amount - tax, "tax_amount": tax}


def _tables(engine: Engine) -> MetaData:
    meta = MetaData()
    meta.reflect(engine, only=["invoice_request", "invoice"])
    return meta


def _set_status(engine: Engine, request: object, status: str) -> None:
    table = _tables(engine).tables["invoice_request"]
    with engine.begin() as connection:
        connection.execute(update(table).where(table.c.id == request).values(status=status))


@pytest.mark.parametrize("kind", BACKENDS)
def test_reversed_requests_stay_reversed_and_the_new_rules_hold(
    kind: str, fresh_database_url: object
) -> None:
    url = fresh_database_url(kind)  # type: ignore[operator]
    command.upgrade(alembic_config(url), PREVIOUS)
    engine = create_engine(sync_url(url))
    try:
        request = _seed_request(engine)
        _add_invoices(engine, request, ["INV-OLD-1"])
        _set_status(engine, request, "reversed")
        # The migrations between run and commit first: the one under test then reads rows that an
        # earlier transaction wrote (PostgreSQL re-checks the foreign keys of a row its own
        # transaction wrote, and the seeded rows name no real profile or address).
        command.upgrade(alembic_config(url), "0012_tax_platform")
        command.upgrade(alembic_config(url), "0013_finance_desk")
        command.upgrade(alembic_config(url), REVISION)
        table = _tables(engine).tables["invoice_request"]
        with engine.connect() as connection:
            row = connection.execute(
                select(table.c.status, table.c.red_letter, table.c.replaces_request_id).where(
                    table.c.id == request
                )
            ).one()
        assert tuple(row) == ("reversed", None, None)
        assert _numbers(engine) == ["INV-OLD-1"]
        # (SQLite does not reflect the expression index: the refusal below shows it is there.)
        with pytest.raises(IntegrityError):  # still unique whatever the case
            _add_invoices(engine, request, ["inv-old-1"])
        _set_status(engine, request, "reversing")  # the new status is allowed
        invoices = _tables(engine).tables["invoice"]
        with engine.connect() as connection:
            blue = connection.execute(select(invoices.c.id)).scalar_one()
        red = {
            "id": uuid.uuid4().hex if kind == "sqlite" else uuid.uuid4(),
            "request_id": request,
            "position": 0,
            "number": "RED-OLD-1",
            "issued_at": NOW,
            "created_at": NOW,
        }
        with pytest.raises(IntegrityError), engine.begin() as connection:  # a blue amount is positive
            connection.execute(invoices.insert().values(**red, **_figures(-100)))
        with pytest.raises(IntegrityError), engine.begin() as connection:  # a red one negative
            connection.execute(invoices.insert().values(**red, **_figures(100), blue_invoice_id=blue))
        with engine.begin() as connection:
            connection.execute(invoices.insert().values(**red, **_figures(-100), blue_invoice_id=blue))
        second = {**red, "id": uuid.uuid4().hex if kind == "sqlite" else uuid.uuid4(), "number": "RED-OLD-2"}
        with pytest.raises(IntegrityError), engine.begin() as connection:  # one red per blue
            connection.execute(invoices.insert().values(**second, **_figures(-100), blue_invoice_id=blue))

        # A reversal in progress, or a red-letter invoice, cannot be dropped by the downgrade.
        with pytest.raises(RuntimeError, match="red-letter"):
            command.downgrade(alembic_config(url), PREVIOUS)
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM invoice WHERE number = 'RED-OLD-1'"))
        _set_status(engine, request, "reversed")
        command.downgrade(alembic_config(url), PREVIOUS)
        assert _numbers(engine) == ["INV-OLD-1"]
        assert "red_letter" not in {
            column["name"] for column in inspect(engine).get_columns("invoice_request")
        }
        with pytest.raises(IntegrityError):
            _set_status(engine, request, "reversing")
    finally:
        engine.dispose()
