"""Migration 0011_sellers_tax_terms carries existing data over: after the upgrade every bill, card and
request line has the default seller (made from INVOICING_SELLER_*) and the default tax terms, every
request its seller snapshot, and every issued invoice one line of its whole amount with its tax; the
downgrade keeps the rows."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, create_engine, insert, select

from app.cli import alembic_config, migrate
from app.core.database import sync_url
from tests.conftest import BACKENDS

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _seed(engine: Engine) -> dict[str, Any]:
    """Rows of the previous revision, inserted with its own (reflected) schema: ids as stored."""
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    sqlite = engine.dialect.name == "sqlite"
    names = ("account", "profile", "address", "bill", "card", "request", "invoice", "item")
    ids = {name: uuid.uuid4().hex if sqlite else uuid.uuid4() for name in names}
    stamps = {"created_at": NOW, "updated_at": NOW}
    with engine.begin() as connection:
        connection.execute(
            insert(t["account"]),
            {"id": ids["account"], "name": "Old Ltd.", "cash_balance": 0, "invoice_deficit": 0, **stamps},
        )
        connection.execute(
            insert(t["invoice_profile"]),
            {
                "id": ids["profile"],
                "account_id": ids["account"],
                "invoice_type": "vat_ordinary",
                "title": "Old Ltd.",
                "taxpayer_id": "91350100M000100Y43",
                "is_default": True,
                **stamps,
            },
        )
        connection.execute(
            insert(t["mailing_address"]),
            {
                "id": ids["address"],
                "account_id": ids["account"],
                "recipient": "Li Lei",
                "phone": "13812345678",
                "email": "old@example.com",
                "cc_emails": [],
                "is_default": True,
                **stamps,
            },
        )
        connection.execute(
            insert(t["bill"]),
            {
                "id": ids["bill"],
                "account_id": ids["account"],
                "period": "2026-01",
                "total_amount": 100000,
                "cash_amount": 100000,
                "voucher_amount": 0,
                "stored_value_card_amount": 0,
                "requested_amount": 100000,
                **stamps,
            },
        )
        connection.execute(
            insert(t["stored_value_card"]),
            {
                "id": ids["card"],
                "account_id": ids["account"],
                "card_no": "SVC-OLD",
                "face_value": 500,
                "paid_amount": 500,
                "refunded_amount": 0,
                "requested_amount": 0,
                "purchased_at": NOW,
                "created_at": NOW,
            },
        )
        connection.execute(
            insert(t["invoice_request"]),
            {
                "id": ids["request"],
                "account_id": ids["account"],
                "status": "issued",
                "amount": 100000,
                "invoice_type": "vat_ordinary",
                "profile_id": ids["profile"],
                "address_id": ids["address"],
                "profile_snapshot": {"title": "Old Ltd."},
                "address_snapshot": {"recipient": "Li Lei"},
                **stamps,
            },
        )
        connection.execute(
            insert(t["invoice_request_item"]),
            {
                "id": ids["item"],
                "request_id": ids["request"],
                "position": 0,
                "kind": "bill",
                "bill_id": ids["bill"],
                "label": "Bill 2026-01",
                "amount": 100000,
            },
        )
        connection.execute(
            insert(t["invoice"]),
            {
                "id": ids["invoice"],
                "request_id": ids["request"],
                "position": 0,
                "number": "OLD-0001",
                "amount": 100000,
                "issued_at": NOW,
                "created_at": NOW,
            },
        )
    return ids


def _one(engine: Engine, table: str, **where: Any) -> dict[str, Any]:
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables[table]
    with engine.connect() as connection:
        statement = select(t).where(*(t.c[name] == value for name, value in where.items()))
        return dict(connection.execute(statement).one()._mapping)


@pytest.mark.parametrize("kind", BACKENDS)
def test_existing_items_requests_and_invoices_get_the_default_seller_and_terms(
    kind: str, fresh_database_url: Any
) -> None:
    url = fresh_database_url(kind)
    migrate(url, "0010_webhooks")
    engine = create_engine(sync_url(url))
    try:
        ids = _seed(engine)
        migrate(url, "0011_sellers_tax_terms")
        seller = _one(engine, "seller", is_default=True)
        assert (seller["name"], seller["taxpayer_id"]) == ("杭州示例云计算有限公司", "91330106MA27ABCD00")
        terms = (seller["id"], "0.06", "3040201000000000000", "*信息技术服务*云服务费")
        for table, key in (("bill", "bill"), ("stored_value_card", "card")):
            row = _one(engine, table, id=ids[key])
            assert (row["seller_id"], row["tax_rate"], row["tax_category_code"], row["item_name"]) == terms
        line = _one(engine, "invoice_request_item", request_id=ids["request"])
        assert (line["seller_id"], line["tax_rate"], line["tax_category_code"], line["item_name"]) == terms
        request = _one(engine, "invoice_request", id=ids["request"])
        assert request["seller_id"] == seller["id"]
        assert request["seller_snapshot"]["name"] == seller["name"]
        assert request["seller_snapshot"]["max_invoice_amount"] is None
        invoice = _one(engine, "invoice", id=ids["invoice"])
        # 1,000.00 at 0.06: tax 56.60, excluding tax 943.40 (docs/MONEY.md).
        assert (invoice["amount_excluding_tax"], invoice["tax_amount"]) == (94340, 5660)
        issued = _one(engine, "invoice_line", invoice_id=ids["invoice"])
        assert (issued["amount"], issued["amount_excluding_tax"], issued["tax_amount"]) == (
            100000,
            94340,
            5660,
        )
        assert (issued["tax_rate"], issued["item_name"]) == ("0.06", "*信息技术服务*云服务费")

        command.downgrade(alembic_config(url), "0010_webhooks")
        assert _one(engine, "bill", id=ids["bill"])["cash_amount"] == 100000
        assert _one(engine, "invoice", id=ids["invoice"])["amount"] == 100000
        migrate(url)  # and up again to head
        assert _one(engine, "seller", is_default=True)["name"] == seller["name"]
    finally:
        engine.dispose()
