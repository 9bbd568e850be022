"""Migration 0013_finance_desk on a database with data: existing requests get their title and
taxpayer id from the profile snapshot and `due_at` from their creation (one business day in
Asia/Shanghai); keys and moves made before it name nobody. The downgrade keeps every row."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, create_engine, insert, select

from app.cli import alembic_config
from app.core.database import sync_url
from tests.conftest import BACKENDS

REVISION = "0013_finance_desk"
PREVIOUS = "0010_webhooks"
# Friday 18:00 in Shanghai: due Monday 18:00 there.
FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def _seed(engine: Engine) -> dict[str, Any]:
    sqlite = engine.dialect.name == "sqlite"

    def uid(value: uuid.UUID) -> Any:
        return value.hex if sqlite else value

    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    account, request, key = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    stamps = {"created_at": FRIDAY, "updated_at": FRIDAY}
    with engine.begin() as connection:
        if not sqlite:  # no profile or address rows: the request's own columns are what is migrated
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        connection.execute(
            insert(t["account"]),
            {"id": uid(account), "name": "Old Ltd.", "cash_balance": 0, "invoice_deficit": 0, **stamps},
        )
        connection.execute(
            insert(t["api_key"]),
            {
                "id": uid(key),
                "role": "finance",
                "prefix": "ik_old",
                "key_hash": "0" * 64,
                "created_at": FRIDAY,
            },
        )
        connection.execute(
            insert(t["invoice_request"]),
            {
                "id": uid(request),
                "account_id": uid(account),
                "status": "pending",
                "amount": 300,
                "invoice_type": "vat_ordinary",
                "profile_id": uid(uuid.uuid4()),
                "address_id": uid(uuid.uuid4()),
                "profile_snapshot": {"title": "福州老客户有限公司", "taxpayer_id": "91350100M000100Y43"},
                "address_snapshot": {},
                **stamps,
            },
        )
        connection.execute(
            insert(t["invoice_request_event"]),
            {"request_id": uid(request), "status": "pending", "actor_role": "customer", "at": FRIDAY},
        )
        connection.execute(
            insert(t["event"]),
            {"type": "invoice_request.created", "account_id": uid(account), "data": {}, "created_at": FRIDAY},
        )
    return {"request": uid(request)}


def _one(engine: Engine, table: str, *columns: str) -> tuple[Any, ...]:
    meta = MetaData()
    meta.reflect(engine, only=[table])
    found = meta.tables[table]
    with engine.connect() as connection:
        return tuple(connection.execute(select(*(found.c[name] for name in columns))).one())


@pytest.mark.parametrize("kind", BACKENDS)
def test_existing_rows_are_backfilled_and_survive_the_downgrade(
    kind: str, fresh_database_url: object
) -> None:
    url = fresh_database_url(kind)  # type: ignore[operator]
    command.upgrade(alembic_config(url), PREVIOUS)
    engine = create_engine(sync_url(url))
    try:
        _seed(engine)
        # The migrations between run and commit first: the one under test then reads rows that an
        # earlier transaction wrote (PostgreSQL re-checks the foreign keys of a row its own
        # transaction wrote, and the seeded rows name no real profile or address).
        command.upgrade(alembic_config(url), "0012_tax_platform")
        command.upgrade(alembic_config(url), REVISION)
        title, taxpayer_id, due = _one(engine, "invoice_request", "title", "taxpayer_id", "due_at")
        assert (title, taxpayer_id) == ("福州老客户有限公司", "91350100M000100Y43")
        assert (due if due.tzinfo else due.replace(tzinfo=UTC)) == MONDAY  # SQLite: naive UTC text
        assert _one(engine, "api_key", "name") == (None,)
        assert _one(engine, "invoice_request_event", "actor_name") == (None,)
        assert _one(engine, "event", "actor_role", "actor_name") == (None, None)

        command.downgrade(alembic_config(url), PREVIOUS)
        assert _one(engine, "invoice_request", "amount", "status") == (300, "pending")
        assert _one(engine, "api_key", "role") == ("finance",)
        command.upgrade(alembic_config(url), "0012_tax_platform")  # and up again, in the same steps
        command.upgrade(alembic_config(url), REVISION)
    finally:
        engine.dispose()
