"""Migration 0009_invoice_number_ci: invoice numbers unique whatever their case, on both databases.
Existing invoices survive it both ways; it refuses (and changes nothing) while two invoices' numbers
differ only in case, naming them, since renumbering an issued invoice is finance's decision."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, create_engine, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from app.cli import alembic_config
from app.core.database import sync_url
from tests.conftest import BACKENDS

REVISION = "0009_invoice_number_ci"
PREVIOUS = "0008_over_invoiced_items"
NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _seed_request(engine: Engine) -> Any:
    """An account and one issued request (the parents an invoice needs), inserted with the old schema."""
    sqlite = engine.dialect.name == "sqlite"

    def uid(value: uuid.UUID) -> Any:
        return value.hex if sqlite else value

    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    account, request = uuid.uuid4(), uuid.uuid4()
    stamps = {"created_at": NOW, "updated_at": NOW}
    with engine.begin() as connection:
        if not sqlite:  # no profile or address rows: the invoices are what this test is about
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        connection.execute(
            insert(t["account"]),
            {"id": uid(account), "name": "Old Ltd.", "cash_balance": 0, "invoice_deficit": 0, **stamps},
        )
        snapshot = {"id": str(uuid.uuid4())}
        connection.execute(
            insert(t["invoice_request"]),
            {
                "id": uid(request),
                "account_id": uid(account),
                "status": "issued",
                "amount": 300,
                "invoice_type": "vat_ordinary",
                "profile_id": uid(uuid.uuid4()),
                "address_id": uid(uuid.uuid4()),
                "profile_snapshot": snapshot,
                "address_snapshot": snapshot,
                **stamps,
            },
        )
    return uid(request)


def _add_invoices(engine: Engine, request: Any, numbers: list[str]) -> None:
    sqlite = engine.dialect.name == "sqlite"
    table = MetaData()
    table.reflect(engine, only=["invoice"])
    with engine.begin() as connection:
        for position, number in enumerate(numbers):
            invoice = uuid.uuid4()
            connection.execute(
                insert(table.tables["invoice"]),
                {
                    "id": invoice.hex if sqlite else invoice,
                    "request_id": request,
                    "position": position,
                    "number": number,
                    "amount": 100,
                    "issued_at": NOW,
                    "created_at": NOW,
                },
            )


def _numbers(engine: Engine) -> list[str]:
    meta = MetaData()
    meta.reflect(engine, only=["invoice"])
    with engine.connect() as connection:
        return sorted(connection.execute(select(meta.tables["invoice"].c.number)).scalars())


@pytest.mark.parametrize("kind", BACKENDS)
def test_numbers_differing_only_in_case_are_refused_after_the_upgrade(
    kind: str, fresh_database_url: object
) -> None:
    url = fresh_database_url(kind)  # type: ignore[operator]
    command.upgrade(alembic_config(url), PREVIOUS)
    engine = create_engine(sync_url(url))
    try:
        request = _seed_request(engine)
        _add_invoices(engine, request, ["INV-1", "inv-2"])
        command.upgrade(alembic_config(url), REVISION)
        assert _numbers(engine) == ["INV-1", "inv-2"]
        with pytest.raises(IntegrityError):
            _add_invoices(engine, request, ["inv-1"])
        with pytest.raises(IntegrityError):
            _add_invoices(engine, request, ["INV-2"])

        command.downgrade(alembic_config(url), PREVIOUS)
        assert _numbers(engine) == ["INV-1", "inv-2"]
        assert "uq_invoice_number_lower" not in {
            index["name"] for index in inspect(engine).get_indexes("invoice")
        }
        _add_invoices(engine, request, ["inv-1"])  # the old schema let case variants in
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", BACKENDS)
def test_the_upgrade_refuses_while_numbers_differ_only_in_case(kind: str, fresh_database_url: object) -> None:
    url = fresh_database_url(kind)  # type: ignore[operator]
    command.upgrade(alembic_config(url), PREVIOUS)
    engine = create_engine(sync_url(url))
    try:
        request = _seed_request(engine)
        _add_invoices(engine, request, ["INV-1", "inv-1", "Inv-1", "INV-2"])
        with pytest.raises(RuntimeError, match="INV-1, Inv-1, inv-1"):
            command.upgrade(alembic_config(url), REVISION)
        assert _numbers(engine) == ["INV-1", "INV-2", "Inv-1", "inv-1"]
        with engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        assert version == PREVIOUS
    finally:
        engine.dispose()
