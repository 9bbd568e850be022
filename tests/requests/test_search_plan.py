"""The search's filters are served by indexes (docs/PERFORMANCE.md): asked of each database's planner
at a few thousand requests, with the list's own statement. On PostgreSQL a title substring is a
trigram GIN index scan (pg_trgm), never a sequential scan; SQLite may scan for a title."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, insert

from app.accounts.models import Account
from app.cli import migrate
from app.core.clock import utcnow
from app.core.database import sync_url
from app.requests import queries
from app.requests.models import Invoice, InvoiceRequest
from tests.conftest import BACKENDS

ROWS = 5000


def _seed(engine: Engine) -> None:
    """ROWS requests of one account, each with its own title and taxpayer id; the profile and
    address they name do not exist (their foreign keys are not what this test is about)."""
    now = utcnow()
    account = uuid.uuid4()
    seller = uuid.uuid4()  # named, not stored, like the profile and the address
    rows = [
        {
            "id": uuid.uuid4(),
            "account_id": account,
            "status": "pending",
            "amount": 100 + n,
            "invoice_type": "vat_ordinary",
            "profile_id": uuid.uuid4(),
            "address_id": uuid.uuid4(),
            "profile_snapshot": {},
            "address_snapshot": {},
            "seller_id": seller,
            "seller_snapshot": {},
            "title": f"Customer {n:05d} {uuid.uuid4().hex[:10]} 科技有限公司",
            "taxpayer_id": f"91{n:016d}",
            "due_at": now + timedelta(days=1),
            "created_at": now - timedelta(seconds=n),
            "updated_at": now,
        }
        for n in range(ROWS)
    ]
    rows[1234]["title"] = "Needle Zebracorn Ltd."
    rows[2345]["title"] = "福州独角兽网络科技有限公司"
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        connection.execute(
            insert(Account),
            {
                "id": account,
                "name": "Bulk Ltd.",
                "cash_balance": 0,
                "invoice_deficit": 0,
                "created_at": now,
                "updated_at": now,
            },
        )
        connection.execute(insert(InvoiceRequest), rows)
        invoices = [
            {
                "id": uuid.uuid4(),
                "request_id": row["id"],
                "position": 0,
                "number": f"INV-{n}",
                "amount": row["amount"],
                "amount_excluding_tax": row["amount"] - row["amount"] * 6 // 106,
                "tax_amount": row["amount"] * 6 // 106,
                "issued_at": now,
                "created_at": now,
            }
            for n, row in enumerate(rows[: ROWS // 2])
        ]
        connection.execute(insert(Invoice), invoices)
    # As autovacuum would: GIN keeps fresh rows in a pending list until a vacuum merges them.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")


def _plan(
    engine: Engine, active: tuple[str, ...], values: dict[str, Any], *, no_seqscan: bool = False
) -> str:
    """The planner's plan of the list's own statement for the `active` filters, values inlined."""
    now = utcnow()
    statement = queries._list_statement(False, active, False).params(now=now, keyset_limit=21, **values)
    sql = str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    with engine.connect() as connection:
        result = connection.exec_driver_sql(explain + sql)
        return "\n".join(" ".join(str(part) for part in row) for row in result)


@pytest.mark.parametrize("kind", BACKENDS)
def test_the_filters_are_index_lookups(kind: str, fresh_database_url: object) -> None:
    url = fresh_database_url(kind)  # type: ignore[operator]
    migrate(url)
    engine = create_engine(sync_url(url))
    try:
        _seed(engine)
        taxpayer = _plan(engine, ("taxpayer_id",), {"taxpayer_id": "910000000000001234"})
        assert "ix_invoice_request_taxpayer_id_created_at_id" in taxpayer, taxpayer
        number = _plan(engine, ("invoice_number",), {"invoice_number": "INV-1"})
        assert "uq_invoice_number_lower" in number, number
        if kind == "postgres":
            # SQLite walks the newest-first index and probes each request's invoices instead.
            day = {"issued_from": utcnow(), "issued_to": utcnow() + timedelta(days=1)}
            issued = _plan(engine, ("issued_from", "issued_to"), day)
            assert "ix_invoice_issued_at" in issued, issued
            overdue = _plan(engine, ("overdue",), {})
            assert "ix_invoice_request_status_due_at" in overdue, overdue
            title = _plan(engine, ("title",), {"title": "%zebracorn%"})
            assert "ix_invoice_request_title_trgm" in title, title
            assert "Seq Scan on invoice_request" not in title, title
            chinese = _plan(engine, ("title",), {"title": "%独角兽网络%"})
            assert "ix_invoice_request_title_trgm" in chinese, chinese
    finally:
        engine.dispose()
