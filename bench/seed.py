"""Seed a benchmark database through the service's own tables (SQLAlchemy Core bulk inserts).

Deterministic (one random seed), consistent with every invariant the service keeps: each bill's
`requested_amount` is the sum of its items in active requests, request amounts are the sums of
their items, issued invoices sum to their request, timelines follow `states.TRANSITIONS`, and the
CHECK constraints hold (the database checks them as the rows go in).
"""

import random
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, create_engine, delete, event, func, select, text, update

from app.accounts.models import Account, ApiKey
from app.addresses.models import MailingAddress
from app.addresses.service import address_snapshot
from app.bills.models import Bill
from app.cards.models import StoredValueCard
from app.certification.models import Certification
from app.core.auth import Role, generate_key
from app.core.database import sync_url
from app.core.pagination import encode_cursor
from app.core.settings import Settings
from app.events.models import Event
from app.profiles.models import InvoiceProfile
from app.profiles.service import profile_snapshot
from app.requests.ageing import due_at
from app.requests.draft import tax_of
from app.requests.models import Invoice, InvoiceRequest, InvoiceRequestEvent, InvoiceRequestItem
from app.requests.states import ACTIVE, Status
from app.sellers.models import Seller
from app.sellers.service import SellerFields, seller_snapshot

TAXPAYER_ID = "91350100M000100Y43"  # a valid Unified Social Credit Code
BATCH = 10_000
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Size:
    accounts: int
    bills_per_account: int
    requests: int
    # Accounts that only the creation phase uses, each with a pool of untouched bills.
    creators: int
    bills_per_creator: int
    deep_position: int
    # Accounts that only the deficit-creation phase uses, each once: `deficit_items` over-invoiced
    # bills (requested, invoiced, then amended down) and `DEFICIT_FRESH` fresh bills to request.
    deficit_creators: int = 0
    deficit_items: int = 20

    @property
    def bills(self) -> int:
        return self.accounts * self.bills_per_account


SIZES = {
    "full": Size(
        accounts=10_000,
        bills_per_account=100,
        requests=100_000,
        creators=32,
        bills_per_creator=5_000,
        deep_position=50_000,
        deficit_creators=6_000,
    ),
    "quick": Size(
        accounts=3_000,
        bills_per_account=100,
        requests=60_000,
        creators=32,
        bills_per_creator=2_500,
        deep_position=50_000,
        deficit_creators=2_000,
    ),
}

DEFICIT_FRESH = 5  # fresh bills per deficit creator: what its one creation selects

# Shares of the seeded requests by status (sum 100).
STATUS_MIX = [
    (Status.pending, 30),
    (Status.processing, 10),
    (Status.issued, 15),
    (Status.delivered, 25),
    (Status.rejected, 5),
    (Status.cancelled, 10),
    (Status.reversed, 5),
]
TIMELINES = {
    Status.pending: [Status.pending],
    Status.processing: [Status.pending, Status.processing],
    Status.issued: [Status.pending, Status.processing, Status.issued],
    Status.delivered: [Status.pending, Status.processing, Status.issued, Status.delivered],
    Status.rejected: [Status.pending, Status.processing, Status.rejected],
    Status.cancelled: [Status.pending, Status.cancelled],
    Status.reversed: [Status.pending, Status.processing, Status.issued, Status.reversed],
}
ACTORS = {Status.pending: Role.customer, Status.cancelled: Role.customer}


@dataclass
class Fixtures:
    """What the load generator needs: keys and ids of the seeded rows it asks for."""

    finance_key: str = ""
    customer_key: str = ""
    customer_account_id: str = ""
    customer_request_ids: list[str] = field(default_factory=list)
    creators: list[dict[str, Any]] = field(default_factory=list)
    deficit_creators: list[dict[str, Any]] = field(default_factory=list)
    deficit_items: int = 0
    deep_cursor: str = ""
    deep_position: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class Rows:
    """Buffers rows per table and bulk-inserts them in batches, parents before children."""

    ORDER = [
        Account.__table__,
        ApiKey.__table__,
        Certification.__table__,
        InvoiceProfile.__table__,
        MailingAddress.__table__,
        Bill.__table__,
        StoredValueCard.__table__,
        InvoiceRequest.__table__,
        InvoiceRequestItem.__table__,
        InvoiceRequestEvent.__table__,
        Invoice.__table__,
    ]

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.defaults = tax_defaults(engine)
        self.buffers: dict[Table, list[dict[str, Any]]] = {table: [] for table in self.ORDER}  # type: ignore[misc]
        self.counts: dict[str, int] = {table.name: 0 for table in self.ORDER}  # type: ignore[attr-defined]

    def add(self, table: Any, row: dict[str, Any]) -> None:
        # Every item, line and request is the default seller's, at the default tax terms.
        defaults = self.defaults.get(table.name)
        if defaults:
            row = {**defaults, **row}
        if table is Invoice.__table__ and "tax_amount" not in row:
            row["tax_amount"] = tax_of(row["amount"], self.defaults["bill"]["tax_rate"])
            row["amount_excluding_tax"] = row["amount"] - row["tax_amount"]
        self.buffers[table].append(row)

    def maybe_flush(self) -> None:
        """Called between accounts, when every buffered child row has its parent buffered too."""
        if any(len(rows) >= BATCH for rows in self.buffers.values()):
            self.flush()

    def flush(self) -> None:
        with self.engine.begin() as connection:
            for table in self.ORDER:
                rows = self.buffers[table]  # type: ignore[index]
                for start in range(0, len(rows), BATCH):
                    connection.execute(table.insert(), rows[start : start + BATCH])
                self.counts[table.name] += len(rows)  # type: ignore[attr-defined]
                rows.clear()


def tax_defaults(engine: Engine) -> dict[str, dict[str, Any]]:
    """The columns seeded rows leave out: the default seller (made by `invoicing migrate`) and the
    settings' default tax terms, per table."""
    with engine.connect() as connection:
        seller = connection.execute(select(Seller).where(Seller.is_default.is_(True))).one()
    settings = Settings()  # the default tax terms (INVOICING_DEFAULT_TAX_*), as the service uses them
    terms = {
        "seller_id": seller.id,
        "tax_rate": settings.default_tax_rate,
        "tax_category_code": settings.default_tax_category_code,
        "item_name": settings.default_item_name,
    }
    fields = {
        name: getattr(seller, name)
        for name in (
            "name",
            "taxpayer_id",
            "address",
            "phone",
            "bank_name",
            "bank_account",
            "max_invoice_amount",
        )
    }
    request = {"seller_id": seller.id, "seller_snapshot": seller_snapshot(seller.id, SellerFields(**fields))}
    return {
        "bill": terms,
        "stored_value_card": terms,
        "invoice_request_item": terms,
        "invoice_request": request,
    }


def _months(count: int, last: tuple[int, int] = (2026, 10)) -> list[str]:
    year, month = last
    periods = []
    for _ in range(count):
        periods.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return periods


def _creator_periods(count: int) -> list[str]:
    # Years 1000 on: never collide with the real months, always a valid YYYY-MM.
    return [f"{1000 + i // 12:04d}-{i % 12 + 1:02d}" for i in range(count)]


class Seeder:
    def __init__(self, engine: Engine, size: Size, seed: int = 20261120) -> None:
        self.engine = engine
        self.size = size
        self.rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
        self.rows = Rows(engine)
        self.fixtures = Fixtures(deep_position=size.deep_position)
        self.invoice_number = 0

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def key(self, role: Role, account_id: uuid.UUID | None) -> str:
        new = generate_key()
        self.rows.add(
            ApiKey.__table__,
            {
                "id": self.new_id(),
                "role": role.value,
                "account_id": account_id,
                "prefix": new.prefix,
                "key_hash": new.key_hash,
                "created_at": NOW,
                "revoked_at": None,
            },
        )
        return new.key

    # --- one account and what hangs off it ---------------------------------------------------

    def account(
        self, index: int, *, cash_balance: int | None = None, invoice_deficit: int = 0
    ) -> dict[str, Any]:
        rng = self.rng
        account_id = self.new_id()
        name = f"Bench Enterprise {index:05d} Co., Ltd."
        created = NOW - timedelta(days=3000 + rng.randrange(400))
        if cash_balance is None:
            cash_balance = rng.randrange(-50_000, 0) if rng.random() < 0.05 else rng.randrange(1, 10**8)
        self.rows.add(
            Account.__table__,
            {
                "id": account_id,
                "name": name,
                "external_id": f"bench-{index}",
                "cash_balance": cash_balance,
                "invoice_deficit": invoice_deficit,
                "created_at": created,
                "updated_at": created,
            },
        )
        self.rows.add(
            Certification.__table__,
            {
                "account_id": account_id,
                "enterprise_name": name,
                "taxpayer_id": TAXPAYER_ID,
                "certified_at": created,
                "updated_at": created,
            },
        )
        special = rng.random() < 0.3
        profile = {
            "id": self.new_id(),
            "account_id": account_id,
            "invoice_type": "vat_special" if special else "electronic_ordinary",
            "title": name,
            "taxpayer_id": TAXPAYER_ID,
            "bank_name": "Industrial Bank, Fuzhou Branch" if special else None,
            "bank_account": f"1170{index:012d}" if special else None,
            "registered_address": "88 Wusi Road, Gulou District, Fuzhou" if special else None,
            "registered_phone": "0591-87654321" if special else None,
            "is_default": True,
            "created_at": created,
            "updated_at": created,
            "deleted_at": None,
        }
        address = {
            "id": self.new_id(),
            "account_id": account_id,
            "recipient": "Li Lei",
            "phone": "13800138000",
            "email": f"finance{index}@bench.example",
            "address": "88 Wusi Road, Gulou District, Fuzhou",
            "postal_code": "350001",
            "cc_emails": None,
            "is_default": True,
            "created_at": created,
            "updated_at": created,
            "deleted_at": None,
        }
        self.rows.add(InvoiceProfile.__table__, profile)
        self.rows.add(MailingAddress.__table__, address)
        for card in range(2):
            paid = rng.randrange(10_000, 1_000_000)
            purchased = created + timedelta(days=rng.randrange(2500))
            self.rows.add(
                StoredValueCard.__table__,
                {
                    "id": self.new_id(),
                    "account_id": account_id,
                    "card_no": f"SVC{index:06d}{card}",
                    "face_value": paid + rng.randrange(0, 5_000),
                    "paid_amount": paid,
                    "requested_amount": 0,
                    "purchased_at": purchased,
                    "created_at": purchased,
                },
            )
        return {"id": account_id, "profile": profile, "address": address}

    def bills(
        self, account_id: uuid.UUID, periods: Iterable[str], *, all_cash: bool = False
    ) -> list[dict[str, Any]]:
        rng = self.rng
        bills = []
        for period in periods:
            voucher_only = not all_cash and rng.random() < 0.05
            cash = 0 if voucher_only else rng.randrange(100, 5_000_000)
            voucher = rng.randrange(1, 200_000) if voucher_only or rng.random() < 0.3 else 0
            card = rng.randrange(0, 100_000) if rng.random() < 0.2 else 0
            year, month = int(period[:4]), int(period[5:])
            created = datetime(min(year, 2026), month, 1, 2, 0, tzinfo=UTC) + timedelta(days=31)
            bills.append(
                {
                    "id": self.new_id(),
                    "account_id": account_id,
                    "period": period,
                    "total_amount": cash + voucher + card,
                    "cash_amount": cash,
                    "voucher_amount": voucher,
                    "stored_value_card_amount": card,
                    "requested_amount": 0,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        return bills

    def request(self, account: dict[str, Any], bills: list[dict[str, Any]], status: Status) -> uuid.UUID:
        """One request over `bills` (unrequested, with cash), its items, timeline and invoices."""
        rng = self.rng
        request_id = self.new_id()
        profile, address = account["profile"], account["address"]
        created = NOW - timedelta(seconds=rng.randrange(1, 730 * 86_400), microseconds=rng.randrange(10**6))
        amount = 0
        for position, bill in enumerate(bills):
            amount += bill["cash_amount"]
            if status in ACTIVE:
                bill["requested_amount"] = bill["cash_amount"]
            self.rows.add(
                InvoiceRequestItem.__table__,
                {
                    "id": self.new_id(),
                    "request_id": request_id,
                    "position": position,
                    "kind": "bill",
                    "bill_id": bill["id"],
                    "stored_value_card_id": None,
                    "label": f"Bill {bill['period']}",
                    "amount": bill["cash_amount"],
                },
            )
        at = created
        paper = profile["invoice_type"] != "electronic_ordinary"
        for step in TIMELINES[status]:
            note = None
            if step is Status.issued:
                parts = self._invoices(request_id, amount, at)
                note = "Invoices " + ", ".join(parts)
            elif step is Status.delivered:
                note = "Tracking number: SF1234567890" if paper else f"Emailed to {address['email']}"
            elif step in (Status.rejected, Status.reversed):
                note = "The title does not match the business licence"
            self.rows.add(
                InvoiceRequestEvent.__table__,
                {
                    "request_id": request_id,
                    "status": step.value,
                    "actor_role": ACTORS.get(step, Role.finance).value,
                    "note": note,
                    "at": at,
                },
            )
            updated = at
            at += timedelta(hours=rng.randrange(1, 72))
        delivered = status is Status.delivered
        self.rows.add(
            InvoiceRequest.__table__,
            {
                "id": request_id,
                "account_id": account["id"],
                "status": status.value,
                "amount": amount,
                "invoice_type": profile["invoice_type"],
                "profile_id": profile["id"],
                "address_id": address["id"],
                "profile_snapshot": profile_snapshot(_Obj(profile)),  # type: ignore[arg-type]
                "address_snapshot": address_snapshot(_Obj(address)),  # type: ignore[arg-type]
                "remark": "Please issue before month end" if rng.random() < 0.2 else None,
                "title": profile["title"],
                "taxpayer_id": profile["taxpayer_id"],
                "due_at": due_at(created, 1),
                "carrier": "SF Express" if delivered and paper else None,
                "tracking_number": "SF1234567890" if delivered and paper else None,
                "created_at": created,
                "updated_at": updated,
            },
        )
        return request_id

    def _invoices(self, request_id: uuid.UUID, amount: int, at: datetime) -> list[str]:
        parts = 1 if amount < 1_000_000 or self.rng.random() < 0.5 else 2
        amounts = [amount] if parts == 1 else [amount // 2, amount - amount // 2]
        numbers = []
        for position, part in enumerate(amounts):
            self.invoice_number += 1
            number = f"INV{self.invoice_number:010d}"
            numbers.append(number)
            self.rows.add(
                Invoice.__table__,
                {
                    "id": self.new_id(),
                    "request_id": request_id,
                    "position": position,
                    "number": number,
                    "amount": part,
                    "issued_at": at,
                    "file_url": f"https://files.bench.example/invoices/{number}.pdf",
                    "created_at": at,
                },
            )
        return numbers

    def _status(self) -> Status:
        roll = self.rng.randrange(100)
        for status, share in STATUS_MIX:
            if roll < share:
                return status
            roll -= share
        raise AssertionError("shares must sum to 100")

    # --- the whole data set ------------------------------------------------------------------

    def run(self) -> Fixtures:
        started = time.perf_counter()
        size, rng, fixtures = self.size, self.rng, self.fixtures
        fixtures.finance_key = self.key(Role.finance, None)
        periods = _months(size.bills_per_account)
        # How many requests each account has; account 0 is the bench customer, with a dozen.
        per_account = [0] * size.accounts
        per_account[0] = 12
        for _ in range(size.requests - 12):
            per_account[rng.randrange(1, size.accounts)] += 1
        for index in range(size.accounts):
            account = self.account(index, cash_balance=12_345_600 if index == 0 else None)
            bills = self.bills(account["id"], periods)
            free = [bill for bill in bills if bill["cash_amount"] > 0]
            rng.shuffle(free)
            ids = []
            for _ in range(per_account[index]):
                take = 5 if index == 0 else rng.randint(1, 5)
                if len(free) < take:
                    break  # the account has nothing left to request: fewer requests, never a broken total
                chosen, free = free[:take], free[take:]
                status = STATUS_MIX[len(ids) % len(STATUS_MIX)][0] if index == 0 else self._status()
                ids.append(self.request(account, chosen, status))
            for bill in bills:  # after the requests: requested_amount is now final
                self.rows.add(Bill.__table__, bill)
            self.rows.maybe_flush()
            if index == 0:
                fixtures.customer_account_id = str(account["id"])
                fixtures.customer_key = self.key(Role.customer, account["id"])
                fixtures.customer_request_ids = [str(i) for i in ids]
        for creator in range(size.creators):
            account = self.account(size.accounts + creator, cash_balance=99_999_900)
            bills = self.bills(account["id"], _creator_periods(size.bills_per_creator), all_cash=True)
            for bill in bills:
                self.rows.add(Bill.__table__, bill)
            self.rows.maybe_flush()
            fixtures.creators.append(
                {
                    "account_id": str(account["id"]),
                    "key": self.key(Role.customer, account["id"]),
                    "profile_id": str(account["profile"]["id"]),
                    "address_id": str(account["address"]["id"]),
                    "bill_ids": [str(bill["id"]) for bill in bills],
                }
            )
        fixtures.deficit_items = size.deficit_items
        for index in range(size.deficit_creators):
            fixtures.deficit_creators.append(self.deficit_creator(size.accounts + size.creators + index))
            self.rows.maybe_flush()
        self.rows.flush()
        fixtures.counts = dict(self.rows.counts)
        # Never deeper than the list (an account with too few bills gets fewer requests).
        fixtures.deep_position = min(size.deep_position, self.rows.counts["invoice_request"] - 100)
        fixtures.deep_cursor = deep_cursor(self.engine, fixtures.deep_position)
        fixtures.seconds = round(time.perf_counter() - started, 1)
        return fixtures

    def deficit_creator(self, index: int) -> dict[str, Any]:
        """An account owing an invoice deficit over `deficit_items` bills, and fresh bills to request.

        The over-invoiced bills were requested in full by an issued request, then amended down by
        1-99 fen each (so any DEFICIT_FRESH fresh bills, each at least 100.00, settle it).
        """
        size = self.size
        periods = _creator_periods(size.deficit_items + DEFICIT_FRESH)
        cuts = [self.rng.randrange(1, 100) for _ in range(size.deficit_items)]
        account = self.account(index, cash_balance=99_999_900, invoice_deficit=sum(cuts))
        bills = self.bills(account["id"], periods, all_cash=True)
        over, fresh = bills[: size.deficit_items], bills[size.deficit_items :]
        for bill in over:
            bill["cash_amount"] = max(bill["cash_amount"], 1_000)
            bill["total_amount"] = (
                bill["cash_amount"] + bill["voucher_amount"] + bill["stored_value_card_amount"]
            )
        self.request(account, over, Status.issued)  # requested_amount = cash_amount
        for bill, cut in zip(over, cuts, strict=True):  # the billing engine amends them down
            bill["cash_amount"] -= cut
            bill["total_amount"] -= cut
        for bill in fresh:
            bill["cash_amount"] = max(bill["cash_amount"], 10_000)
            bill["total_amount"] = (
                bill["cash_amount"] + bill["voucher_amount"] + bill["stored_value_card_amount"]
            )
        for bill in bills:
            self.rows.add(Bill.__table__, bill)
        return {
            "account_id": str(account["id"]),
            "key": self.key(Role.customer, account["id"]),
            "profile_id": str(account["profile"]["id"]),
            "address_id": str(account["address"]["id"]),
            "bill_ids": [str(bill["id"]) for bill in fresh],
        }


class _Obj:
    """Attribute access over a row dict, for the service's snapshot helpers."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.__dict__.update(row)


def deep_cursor(engine: Engine, position: int) -> str:
    """The cursor that starts the finance list (newest first) at `position`."""
    stmt = (
        select(InvoiceRequest.created_at, InvoiceRequest.id)
        .order_by(InvoiceRequest.created_at.desc(), InvoiceRequest.id.desc())
        .offset(position - 1)
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(stmt).one()
    return encode_cursor([row.created_at, row.id])


def bulk_engine(url: str) -> Engine:
    """A sync engine for loading: on SQLite, no fsync while seeding (the file is rebuilt on failure)."""
    engine = create_engine(sync_url(url))
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA cache_size=-262144")
            cursor.close()

    return engine


def analyze(engine: Engine) -> None:
    """Fresh planner statistics, as a production database would have after its first day."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def reset_creators(url: str, account_ids: list[str]) -> None:
    """Give the creation phase its bills back: drop what earlier runs created for the creators."""
    ids = [uuid.UUID(value) for value in account_ids]
    engine = bulk_engine(url)
    try:
        with engine.begin() as connection:
            made = select(InvoiceRequest.id).where(InvoiceRequest.account_id.in_(ids))
            for child in (InvoiceRequestItem, InvoiceRequestEvent, Invoice):
                connection.execute(delete(child).where(child.request_id.in_(made)))
            connection.execute(delete(InvoiceRequest).where(InvoiceRequest.account_id.in_(ids)))
            connection.execute(delete(Event).where(Event.account_id.in_(ids)))
            connection.execute(update(Bill).where(Bill.account_id.in_(ids)).values(requested_amount=0))
    finally:
        engine.dispose()


def reset_deficit_creators(url: str, account_ids: list[str]) -> None:
    """Give the deficit-creation phase its deficits back: drop the requests earlier runs created
    (the seeded ones are older than NOW), then recompute what each bill has requested and what each
    account owes from the requests that remain."""
    ids = [uuid.UUID(value) for value in account_ids]
    engine = bulk_engine(url)
    active = [status.value for status in ACTIVE]
    try:
        with engine.begin() as connection:
            made = select(InvoiceRequest.id).where(
                InvoiceRequest.account_id.in_(ids), InvoiceRequest.created_at > NOW
            )
            for child in (InvoiceRequestItem, InvoiceRequestEvent, Invoice):
                connection.execute(delete(child).where(child.request_id.in_(made)))
            connection.execute(
                delete(InvoiceRequest).where(
                    InvoiceRequest.account_id.in_(ids), InvoiceRequest.created_at > NOW
                )
            )
            connection.execute(delete(Event).where(Event.account_id.in_(ids)))
            requested = (
                select(func.coalesce(func.sum(InvoiceRequestItem.amount), 0))
                .join(InvoiceRequest, InvoiceRequest.id == InvoiceRequestItem.request_id)
                .where(InvoiceRequestItem.bill_id == Bill.id, InvoiceRequest.status.in_(active))
                .scalar_subquery()
            )
            connection.execute(
                update(Bill).where(Bill.account_id.in_(ids)).values(requested_amount=requested)
            )
            owed = (
                select(func.coalesce(func.sum(Bill.requested_amount - Bill.cash_amount), 0))
                .where(Bill.account_id == Account.id, Bill.requested_amount > Bill.cash_amount)
                .scalar_subquery()
            )
            connection.execute(update(Account).where(Account.id.in_(ids)).values(invoice_deficit=owed))
    finally:
        engine.dispose()


def seed(url: str, size: Size) -> Fixtures:
    engine = bulk_engine(url)
    try:
        fixtures = Seeder(engine, size).run()
        analyze(engine)
        return fixtures
    finally:
        engine.dispose()


def chunks(values: list[str], n: int) -> Iterator[list[str]]:
    for start in range(0, len(values) - n + 1, n):
        yield values[start : start + n]
