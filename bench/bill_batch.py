"""Month-end ingestion (issue 24, SPEC §11): `POST /v1/bills/batch` against its floor.

    python -m bench.bill_batch [--postgres URL] [--accounts N] [--calls N]

Seeds N accounts, then writes one new month's bill for every account twice over, in two ways, and
prints bills per second of wall time for each:

- floor: the same rows written by the same driver (the app's own engine) with one `executemany`
  INSERT per 1,000 bills, in one transaction per 1,000 (no API, no rules);
- batch: `POST /v1/bills/batch` with 1,000 bills a call, straight into the ASGI app in this process
  (authentication, validation, account locks, amendment rules, deficit events, the response);
- amend: the same call again with every cash part changed (every bill an update).

Verdicts: batch ≥ 0.3 x floor; on PostgreSQL also ≥ 5,000 bills/s (1M bills in under 4 minutes).
"""

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, insert

from app.accounts import service as accounts_service
from app.accounts.models import Account
from app.bills.models import Bill
from app.cli import migrate
from app.core.auth import Role
from app.core.database import sync_url
from app.core.settings import Settings
from app.main import create_app
from bench.auto_invoicing import default_terms
from bench.create_cost import _headers, call
from bench.scratch import scratch_database

NOW = datetime(2026, 11, 30, tzinfo=UTC)
PER_CALL = 1000


def seed_accounts(url: str, accounts: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(accounts)]
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            rows = [
                {
                    "id": account_id,
                    "name": f"Account {n}",
                    "external_id": f"bench-{n}",
                    "cash_balance": 0,
                    "invoice_deficit": 0,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n, account_id in enumerate(ids)
            ]
            connection.execute(insert(Account), rows)
    finally:
        engine.dispose()
    return ids


def _bill(account_id: uuid.UUID, period: str, cash: int) -> dict[str, Any]:
    return {
        "account_id": str(account_id),
        "period": period,
        "total_amount": str(cash + 1),
        "cash_amount": str(cash),
        "voucher_amount": "1",
        "stored_value_card_amount": "0",
    }


async def run(url: str, accounts: int) -> dict[str, float]:
    migrate(url)
    ids = seed_accounts(url, accounts)
    terms = default_terms(url)  # a bill that names no seller gets these, as the batch's do
    app = create_app(Settings(database_url=url, log_level="WARNING"))
    database = app.state.database
    results: dict[str, float] = {}
    try:
        async with database.write_session() as session, session.begin():
            key = (await accounts_service.issue_key(session, Role.billing, None)).key
        headers = _headers(key)

        started = time.perf_counter()
        for offset in range(0, accounts, PER_CALL):
            rows = [
                {
                    "id": uuid.uuid4(),
                    "account_id": account_id,
                    "period": "2026-09",
                    "total_amount": 10_100,
                    "cash_amount": 10_000,
                    "voucher_amount": 100,
                    "stored_value_card_amount": 0,
                    "requested_amount": 0,
                    **terms,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for account_id in ids[offset : offset + PER_CALL]
            ]
            async with database.write_session() as session, session.begin():
                connection = await session.connection()
                await connection.execute(insert(Bill), rows)
        results["floor"] = accounts / (time.perf_counter() - started)

        for name, period, cash in (("batch", "2026-10", 100), ("amend", "2026-10", 90)):
            started = time.perf_counter()
            for offset in range(0, accounts, PER_CALL):
                body = {"bills": [_bill(a, period, cash) for a in ids[offset : offset + PER_CALL]]}
                status, answer = await call(app, "POST", "/v1/bills/batch", headers, body)
                assert status == 200, answer
            results[name] = accounts / (time.perf_counter() - started)
    finally:
        await database.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bill_batch", description=__doc__)
    parser.add_argument(
        "--postgres", metavar="URL", help="a PostgreSQL server (a database is made and dropped)"
    )
    parser.add_argument("--accounts", type=int, default=20_000, help="bills per pass (one per account)")
    args = parser.parse_args(argv)
    with scratch_database(args.postgres, "bill-batch") as database_url:
        results = asyncio.run(run(database_url, args.accounts))
    backend = "postgresql" if args.postgres else "sqlite"
    floor = results["floor"]
    print(f"bill batch on {backend}, {args.accounts} bills per pass, {PER_CALL} per call")
    print(f"  floor (executemany INSERT): {floor:9.0f} bills/s")
    ok = True
    for name in ("batch", "amend"):
        ratio = results[name] / floor
        verdict = ratio >= 0.3 and (backend != "postgresql" or results[name] >= 5000)
        ok &= verdict
        target = "≥ 0.3 x floor" + (", ≥ 5,000 bills/s" if backend == "postgresql" else "")
        print(
            f"  {name:5}: {results[name]:9.0f} bills/s = {ratio:.2f} x floor "
            f"({target}: {'met' if verdict else 'MISSED'})"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
