"""Benchmark the finance export and the filtered finance lists against a real `invoicing serve`.

    python -m bench.export --requests 100000 [--postgres URL]

Seeds a fresh database (bulk inserts) with N invoice requests over N/100 accounts, two lines each
(two bills), every third one issued with an invoice; then serves it (one worker) and
- exports everything as CSV and as XLSX, streaming the body to /dev/null, and prints each one's
  time, size and rows, and the server's peak RSS (VmHWM) before and after: memory must stay flat
  however many rows there are;
- times each search filter of the finance list (median of 20 first pages, and a page deep in the
  title search), the figures docs/PERFORMANCE.md compares.
"""

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert

from app.accounts.models import Account
from app.addresses.models import MailingAddress
from app.bills.models import Bill
from app.cli import main as cli
from app.cli import migrate
from app.core.database import sync_url
from app.profiles.models import InvoiceProfile
from app.requests.ageing import due_at
from app.requests.models import Invoice, InvoiceLine, InvoiceRequest, InvoiceRequestEvent, InvoiceRequestItem
from bench.seed import seller_terms
from tests.server import running_server

NOW = datetime(2026, 11, 20, tzinfo=UTC)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TAXPAYER_ID = "91350100M000100Y43"


def seed(url: str, requests: int) -> None:
    engine = create_engine(sync_url(url))
    terms = seller_terms(engine)
    rows: dict[Any, list[dict[str, Any]]] = {
        model: []
        for model in (Account, InvoiceProfile, MailingAddress, Bill, InvoiceRequest, InvoiceRequestItem)
    }
    rows[InvoiceRequestEvent] = []
    rows[Invoice] = []
    rows[InvoiceLine] = []
    accounts = max(1, requests // 100)
    owners = []
    for n in range(accounts):
        account_id, profile_id, address_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        stamps = {"created_at": NOW, "updated_at": NOW}
        title = f"福州{n:05d}网络科技有限公司"
        rows[Account].append({"id": account_id, "name": f"Account {n}", "cash_balance": 100_000, **stamps})
        rows[InvoiceProfile].append(
            {
                "id": profile_id,
                "account_id": account_id,
                "invoice_type": "vat_ordinary",
                "title": title,
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
        owners.append((account_id, profile_id, address_id, title))
    for n in range(requests):
        account_id, profile_id, address_id, title = owners[n % accounts]
        created = NOW - timedelta(minutes=n)
        request_id = uuid.uuid4()
        issued = n % 3 == 0
        amounts = [10_000 + n % 997, 2_050]
        for position, amount in enumerate(amounts):
            bill_id = uuid.uuid4()
            k = (n // accounts) * 2 + position  # the account's k-th bill: its own month
            period = f"{1800 + k // 12:04d}-{k % 12 + 1:02d}"
            rows[Bill].append(
                {
                    "id": bill_id,
                    "account_id": account_id,
                    "period": period,
                    "total_amount": amount,
                    "cash_amount": amount,
                    "voucher_amount": 0,
                    "stored_value_card_amount": 0,
                    "requested_amount": amount,
                    **terms.columns(),
                    "created_at": created,
                    "updated_at": created,
                }
            )
            rows[InvoiceRequestItem].append(
                {
                    "id": uuid.uuid4(),
                    "request_id": request_id,
                    "position": position,
                    "kind": "bill",
                    "bill_id": bill_id,
                    "label": f"Bill {period}",
                    "amount": amount,
                    **terms.columns(),
                }
            )
        snapshot = {
            "id": str(profile_id),
            "invoice_type": "vat_ordinary",
            "title": title,
            "taxpayer_id": TAXPAYER_ID,
        }
        rows[InvoiceRequest].append(
            {
                "id": request_id,
                "account_id": account_id,
                "status": "issued" if issued else "pending",
                "amount": sum(amounts),
                "invoice_type": "vat_ordinary",
                "profile_id": profile_id,
                "address_id": address_id,
                "profile_snapshot": snapshot,
                "address_snapshot": {"id": str(address_id)},
                "seller_id": terms.seller_id,
                "seller_snapshot": terms.snapshot,
                "title": title,
                "taxpayer_id": TAXPAYER_ID,
                "due_at": due_at(created, 1),
                "created_at": created,
                "updated_at": created,
            }
        )
        rows[InvoiceRequestEvent].append(
            {"request_id": request_id, "status": "pending", "actor_role": "customer", "at": created}
        )
        if issued:
            invoice_id = uuid.uuid4()
            totals, line = terms.invoice(invoice_id, sum(amounts))
            rows[Invoice].append(
                {
                    "id": invoice_id,
                    "request_id": request_id,
                    "position": 0,
                    "number": f"EXP{n:010d}",
                    **totals,
                    "issued_at": created,
                    "created_at": created,
                }
            )
            rows[InvoiceLine].append(line)
    with engine.begin() as connection:
        for model, batch in rows.items():
            for start in range(0, len(batch), 5000):
                connection.execute(insert(model), batch[start : start + 5000])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
    engine.dispose()


def _peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size so far (Linux VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM (Linux only)")


def _finance_key(url: str) -> str:
    import contextlib
    import io

    from app.core.settings import get_settings

    os.environ["INVOICING_DATABASE_URL"] = url
    get_settings.cache_clear()
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert cli(["create-key", "--role", "finance", "--name", "Bench"]) == 0
    return out.getvalue().strip().splitlines()[-1]


def _export(http: httpx.Client, accept: str | None) -> tuple[float, int, int]:
    headers = {"Accept": accept} if accept else {}
    started = time.perf_counter()
    size = lines = 0
    with http.stream("GET", "/v1/invoice-requests/export", headers=headers) as response:
        assert response.status_code == 200, response.read()[:300]
        for chunk in response.iter_bytes():
            size += len(chunk)
            lines += chunk.count(b"\n")
    return time.perf_counter() - started, size, lines


def _lists(http: httpx.Client) -> None:
    filters = {
        "no filter": {},
        "title (trigram)": {"title": "00042网络"},
        "taxpayer_id": {"taxpayer_id": TAXPAYER_ID},
        "invoice_number": {"invoice_number": "exp0000000300"},
        "amount range": {"amount_min": "110.00", "amount_max": "111.00"},
        "invoice_type": {"invoice_type": "vat_ordinary"},
        "issued_from/to": {"issued_from": "2026-11-01", "issued_to": "2026-11-20"},
        "overdue": {"overdue": "true"},
        "status + amount": {"status": "pending", "amount_min": "120.00"},
    }
    for label, params in filters.items():
        times = []
        for _ in range(20):
            started = time.perf_counter()
            response = http.get("/v1/invoice-requests", params=params)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
        count = len(response.json()["data"])
        print(f"  list {label:18} median {statistics.median(times):6.1f} ms  ({count} rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--postgres", help="a server URL; a database is created on it and dropped after")
    parser.add_argument("--no-lists", action="store_true", help="only the export")
    args = parser.parse_args()
    name = None
    if args.postgres:
        os.environ["INVOICING_TEST_POSTGRES_URL"] = args.postgres
        from tests.conftest import create_postgres_database, drop_postgres_database

        url, name = create_postgres_database()
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'export.db'}"
    try:
        migrate(url)
        started = time.perf_counter()
        seed(url, args.requests)
        print(
            f"seeded {args.requests} requests in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})"
        )
        key = _finance_key(url)
        with tempfile.TemporaryDirectory() as logs, running_server(url, Path(logs)) as server:
            http = httpx.Client(
                base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=600
            )
            http.get("/v1/invoice-requests", params={"limit": 1})  # warm: imports, pools
            print(f"server peak RSS before the exports: {_peak_rss_mb(server.process.pid):.0f} MB")
            for label, accept in (("CSV", None), ("XLSX", XLSX)):
                elapsed, size, lines = _export(http, accept)
                rows = f", {lines - 1} rows" if accept is None else ""
                print(
                    f"export {label}: {elapsed:.1f} s, {size / 1e6:.1f} MB{rows}; "
                    f"server peak RSS now {_peak_rss_mb(server.process.pid):.0f} MB"
                )
            if not args.no_lists:
                print("finance list, first page (20), one client, sequential:")
                _lists(http)
    finally:
        if name:
            drop_postgres_database(name)


if __name__ == "__main__":
    main()
