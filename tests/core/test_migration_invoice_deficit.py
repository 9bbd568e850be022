"""Migration invoice_deficit carries existing data over, both ways, on both databases: rows in
every table at the previous revision survive the upgrade (with the new columns filled in) and the
downgrade; the downgrade refuses while the database holds money the old schema cannot."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, create_engine, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Account
from app.bills.models import Bill
from app.cards.models import StoredValueCard
from app.cli import alembic_config, migrate
from app.core.database import sync_url
from tests.conftest import BACKENDS

REVISION = "invoice_deficit"
NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _previous(url: str) -> str:
    previous = ScriptDirectory.from_config(alembic_config(url)).get_revision(REVISION).down_revision
    assert isinstance(previous, str)
    return previous


def _seed(engine: Engine) -> dict[str, Any]:
    """One or more rows in every table of the previous revision, inserted with its own schema."""
    sqlite = engine.dialect.name == "sqlite"

    def uid(value: uuid.UUID) -> Any:
        return value.hex if sqlite else value

    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    account, key, bill, card, request = (uuid.uuid4() for _ in range(5))
    profile, address, item, invoice = (uuid.uuid4() for _ in range(4))
    card_item, other_bill = uuid.uuid4(), uuid.uuid4()
    stamps = {"created_at": NOW, "updated_at": NOW}
    rows: dict[str, list[dict[str, Any]]] = {
        "account": [
            {"id": uid(account), "name": "Old Ltd.", "external_id": "old-1", "cash_balance": 5000, **stamps}
        ],
        "api_key": [
            {
                "id": uid(key),
                "role": "customer",
                "account_id": uid(account),
                "prefix": "ik_old",
                "key_hash": "a" * 64,
                "created_at": NOW,
                "revoked_at": None,
            }
        ],
        "certification": [
            {
                "account_id": uid(account),
                "enterprise_name": "Old Ltd.",
                "taxpayer_id": "91350100M000100Y43",
                "certified_at": NOW,
                "updated_at": NOW,
            }
        ],
        "invoice_profile": [
            {
                "id": uid(profile),
                "account_id": uid(account),
                "invoice_type": "vat_ordinary",
                "title": "Old Ltd.",
                "taxpayer_id": "91350100M000100Y43",
                "bank_name": None,
                "bank_account": None,
                "registered_address": None,
                "registered_phone": None,
                "is_default": True,
                "deleted_at": None,
                **stamps,
            }
        ],
        "mailing_address": [
            {
                "id": uid(address),
                "account_id": uid(account),
                "recipient": "Li Lei",
                "phone": "13812345678",
                "email": "old@example.com",
                "address": None,
                "postal_code": None,
                "is_default": True,
                "deleted_at": None,
                **stamps,
            }
        ],
        "bill": [
            {
                "id": uid(bill),
                "account_id": uid(account),
                "period": "2026-01",
                "total_amount": 12000,
                "cash_amount": 10000,
                "voucher_amount": 2000,
                "stored_value_card_amount": 0,
                "requested_amount": 10000,
                **stamps,
            },
            {
                "id": uid(other_bill),
                "account_id": uid(account),
                "period": "2026-02",
                "total_amount": 3000,
                "cash_amount": 3000,
                "voucher_amount": 0,
                "stored_value_card_amount": 0,
                "requested_amount": 0,
                **stamps,
            },
        ],
        "stored_value_card": [
            {
                "id": uid(card),
                "account_id": uid(account),
                "card_no": "SVC-OLD",
                "face_value": 50000,
                "paid_amount": 48000,
                "requested_amount": 48000,
                "purchased_at": NOW,
                "created_at": NOW,
            }
        ],
        "idempotency_key": [
            {
                "id": uid(uuid.uuid4()),
                "api_key_id": uid(key),
                "key": "old-key",
                "fingerprint": "f" * 64,
                "status": "completed",
                "response_status": 201,
                "response_body": "{}",
                "created_at": NOW,
                "locked_at": NOW,
                "expires_at": NOW,
            }
        ],
        "invoice_request": [
            {
                "id": uid(request),
                "account_id": uid(account),
                "status": "issued",
                "amount": 58000,
                "invoice_type": "vat_ordinary",
                "profile_id": uid(profile),
                "address_id": uid(address),
                "profile_snapshot": {"id": str(profile), "title": "Old Ltd."},
                "address_snapshot": {"id": str(address), "recipient": "Li Lei"},
                "remark": None,
                "carrier": None,
                "tracking_number": None,
                **stamps,
            }
        ],
        "invoice_request_item": [
            {
                "id": uid(item),
                "request_id": uid(request),
                "position": 0,
                "kind": "bill",
                "bill_id": uid(bill),
                "stored_value_card_id": None,
                "label": "Bill 2026-01",
                "amount": 10000,
            },
            {
                "id": uid(card_item),
                "request_id": uid(request),
                "position": 1,
                "kind": "stored_value_card",
                "bill_id": None,
                "stored_value_card_id": uid(card),
                "label": "Stored-value card SVC-OLD",
                "amount": 48000,
            },
        ],
        "invoice_request_event": [
            {
                "request_id": uid(request),
                "status": "pending",
                "actor_role": "customer",
                "note": None,
                "at": NOW,
            },
            {
                "request_id": uid(request),
                "status": "issued",
                "actor_role": "finance",
                "note": "INV",
                "at": NOW,
            },
        ],
        "invoice": [
            {
                "id": uid(invoice),
                "request_id": uid(request),
                "position": 0,
                "number": "OLD-0001",
                "amount": 58000,
                "issued_at": NOW,
                "file_url": None,
                "created_at": NOW,
            }
        ],
        "file_blob": [{"key": "invoices/OLD-0001.pdf", "data": b"%PDF-1.7 old", "created_at": NOW}],
        "invoice_file": [
            {
                "id": uid(uuid.uuid4()),
                "invoice_id": uid(invoice),
                "format": "pdf",
                "content_type": "application/pdf",
                "size": 12,
                "sha256": "0" * 64,
                "storage": "database",
                "storage_key": "invoices/OLD-0001.pdf",
                **stamps,
            }
        ],
        "auto_invoicing_setting": [
            {
                "account_id": uid(account),
                "enabled": True,
                "profile_id": uid(profile),
                "address_id": uid(address),
                "updated_at": NOW,
            }
        ],
        "auto_invoicing_run": [
            {
                "account_id": uid(account),
                "month": "2026-10",
                "outcome": "requested",
                "request_id": uid(request),
                "code": None,
                "created_at": NOW,
            }
        ],
        "job": [
            {
                "kind": "mail",
                "payload": {"to": "old@example.com"},
                "status": "done",
                "dedupe_key": "old-job",
                "attempts": 1,
                "run_after": NOW,
                "locked_by": None,
                "locked_until": None,
                "last_error": None,
                "finished_at": NOW,
                **stamps,
            }
        ],
        "event": [
            {
                "txid": None,
                "type": "invoice_request.issued",
                "account_id": uid(account),
                "created_at": NOW,
                "data": {"id": str(request)},
            }
        ],
    }
    with engine.begin() as connection:
        for name, values in rows.items():
            if name in t:  # tables of later revisions than the previous one are left out
                connection.execute(insert(t[name]), values)
    counts = _counts(engine)
    missing = sorted(name for name, count in counts.items() if count == 0 and name != "alembic_version")
    assert missing == [], f"tables of the previous revision this test does not seed: {missing}"
    return {"account": account, "bill": bill, "card": card, "counts": counts}


def _counts(engine: Engine) -> dict[str, int]:
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as connection:
        return {
            name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in meta.tables.items()
        }


@pytest.mark.parametrize("kind", BACKENDS)
def test_existing_data_is_carried_over_both_ways(kind: str, fresh_database_url: Any) -> None:
    url = fresh_database_url(kind)
    previous = _previous(url)
    migrate(url, previous)
    engine = create_engine(sync_url(url))
    try:
        seeded = _seed(engine)

        migrate(url, REVISION)
        after = _counts(engine)
        assert after == {**seeded["counts"], "stored_value_card_refund": 0}
        with engine.connect() as connection:
            account = connection.execute(
                select(Account.invoice_deficit).where(Account.id == seeded["account"])
            ).one()
            bill = connection.execute(
                select(Bill.requested_amount, Bill.invoiceable_amount, Bill.over_invoiced_amount).where(
                    Bill.id == seeded["bill"]
                )
            ).one()
            card = connection.execute(
                select(
                    StoredValueCard.refunded_amount,
                    StoredValueCard.invoiceable_amount,
                    StoredValueCard.over_invoiced_amount,
                ).where(StoredValueCard.id == seeded["card"])
            ).one()
        assert tuple(account) == (0,)
        assert tuple(bill) == (10000, 0, 0)
        assert tuple(card) == (0, 0, 0)

        migrate(url)  # and on to head, whatever later revisions add
        command.downgrade(alembic_config(url), previous)
        assert _counts(engine) == seeded["counts"]
        with engine.begin() as connection, pytest.raises(IntegrityError):  # the old rule is back
            connection.execute(text("UPDATE bill SET requested_amount = cash_amount + 1"))
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", BACKENDS)
def test_downgrade_refuses_while_money_needs_the_new_rules(kind: str, fresh_database_url: Any) -> None:
    url = fresh_database_url(kind)
    previous = _previous(url)
    migrate(url, previous)
    engine = create_engine(sync_url(url))
    try:
        seeded = _seed(engine)
        migrate(url, REVISION)
        with engine.begin() as connection:  # an amendment below the requested amount
            connection.execute(
                text("UPDATE bill SET cash_amount = 4000, total_amount = 6000 WHERE period = '2026-01'")
            )
        with pytest.raises(RuntimeError, match="bills requested beyond their cash part"):
            command.downgrade(alembic_config(url), previous)
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert version == REVISION
        assert _counts(engine)["bill"] == seeded["counts"]["bill"]
    finally:
        engine.dispose()
