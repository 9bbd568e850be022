"""Benchmark the monthly automatic-invoicing job: time per account and peak memory, for N accounts.

    python -m bench.auto_invoicing --accounts 5000 [--postgres URL] [--batch 200]

Seeds a fresh database (bulk inserts) with N enabled accounts, each certified with a usable
profile, an address, three bills of earlier months and one of this month; every tenth account is in
arrears (its month is skipped, with an event and an email job). Then runs `job.run` as of
2026-12-08 twice (the second run finds every account served) and prints the figures. Peak memory
is traced with tracemalloc over the run, so it shows what grows with N and what does not.
"""

import argparse
import asyncio
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select

from app.accounts.models import Account
from app.addresses.models import MailingAddress
from app.autoinvoicing import job
from app.autoinvoicing.models import AutoInvoicingSetting
from app.bills.models import Bill
from app.certification.models import Certification
from app.cli import migrate
from app.core.database import Database, sync_url
from app.core.settings import Settings
from app.profiles.models import InvoiceProfile
from app.sellers.models import Seller

NOW = datetime(2026, 11, 20, tzinfo=UTC)
DAY = date(2026, 12, 8)
NAME, TAXPAYER_ID = "Acme Cloud Ltd.", "91350100M000100Y43"


def default_terms(url: str) -> dict[str, Any]:
    """The tax terms a bill gets when it names none: the default seller (made by `migrate`) and the
    settings' rate, code and item name."""
    engine = create_engine(sync_url(url))
    with engine.connect() as connection:
        seller_id = connection.execute(select(Seller.id).where(Seller.is_default.is_(True))).scalar_one()
    engine.dispose()
    settings = Settings(database_url=url)
    return {
        "seller_id": seller_id,
        "tax_rate": settings.default_tax_rate,
        "tax_category_code": settings.default_tax_category_code,
        "item_name": settings.default_item_name,
    }


def seed(url: str, accounts: int) -> None:
    terms = default_terms(url)
    rows: dict[Any, list[dict[str, Any]]] = {
        model: []
        for model in (Account, Certification, InvoiceProfile, MailingAddress, Bill, AutoInvoicingSetting)
    }
    for n in range(accounts):
        account_id, profile_id, address_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        stamps = {"created_at": NOW, "updated_at": NOW}
        rows[Account].append(
            {
                "id": account_id,
                "name": f"Account {n}",
                "cash_balance": -100 if n % 10 == 0 else 100_000,
                **stamps,
            }
        )
        rows[Certification].append(
            {
                "account_id": account_id,
                "enterprise_name": NAME,
                "taxpayer_id": TAXPAYER_ID,
                "certified_at": NOW,
                "updated_at": NOW,
            }
        )
        rows[InvoiceProfile].append(
            {
                "id": profile_id,
                "account_id": account_id,
                "invoice_type": "electronic_ordinary",
                "title": NAME,
                "taxpayer_id": TAXPAYER_ID,
                "is_default": True,
                **stamps,
            }
        )
        rows[MailingAddress].append(
            {
                "id": address_id,
                "account_id": account_id,
                "recipient": "Li Lei",
                "phone": "13812345678",
                "email": f"a{n}@acme.example",
                "address": "1 Software Ave",
                "is_default": True,
                **stamps,
            }
        )
        for period in ("2026-09", "2026-10", "2026-11", "2026-12"):
            rows[Bill].append(
                {
                    "id": uuid.uuid4(),
                    "account_id": account_id,
                    "period": period,
                    "total_amount": 10_000,
                    "cash_amount": 10_000,
                    "voucher_amount": 0,
                    "stored_value_card_amount": 0,
                    "requested_amount": 0,
                    **terms,
                    **stamps,
                }
            )
        rows[AutoInvoicingSetting].append(
            {
                "account_id": account_id,
                "enabled": True,
                "profile_id": profile_id,
                "address_id": address_id,
                "updated_at": NOW,
            }
        )
    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        for model, batch in rows.items():
            for start in range(0, len(batch), 5000):
                connection.execute(insert(model), batch[start : start + 5000])
    engine.dispose()


async def measure(url: str, batch: int, trace: bool) -> None:
    settings = Settings(database_url=url, log_level="WARNING", auto_invoicing_batch_size=batch)
    database = Database(url)
    try:
        for label in ("first run", "second run (nothing left)"):
            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            result = await job.run(database, settings, DAY)
            elapsed = time.perf_counter() - started
            _current, peak = tracemalloc.get_traced_memory() if trace else (0, 0)
            tracemalloc.stop()
            served = result.requested + result.skipped
            per = f", {elapsed / served * 1000:.1f} ms per account" if served else ""
            print(
                f"{label}: {result.summary()}, idle {result.idle} in {elapsed:.2f} s{per};"
                + (f" peak traced memory {peak / 1e6:.1f} MB" if trace else "")
            )
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--trace", action="store_true", help="trace memory (tracemalloc slows the run)")
    parser.add_argument("--postgres", help="a server URL; a database is created on it and dropped after")
    args = parser.parse_args()
    if args.postgres:
        import os

        os.environ["INVOICING_TEST_POSTGRES_URL"] = args.postgres
        from tests.conftest import create_postgres_database, drop_postgres_database

        url, name = create_postgres_database()
    else:
        url, name = f"sqlite:///{Path(tempfile.mkdtemp()) / 'auto.db'}", None
    try:
        migrate(url)
        started = time.perf_counter()
        seed(url, args.accounts)
        print(
            f"seeded {args.accounts} accounts in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})"
        )
        asyncio.run(measure(url, args.batch, args.trace))
    finally:
        if name:
            drop_postgres_database(name)


if __name__ == "__main__":
    main()
