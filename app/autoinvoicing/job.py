"""The monthly job: for every account with automatic invoicing on, one request, or one recorded
skip, per month.

The enabled accounts are walked in account-id order, a batch at a time (keyset: memory is bounded
by the batch, not by the number of accounts), and each account is served in its own short
transaction. That transaction locks the account (before anything gives it a transaction id, see
app/accounts/ledger.py), then its setting row, checks that the month has no run yet, makes the
request through the one creation path (`app.requests.create`), and inserts the month's
`auto_invoicing_run` row. A second worker waits on the account's lock and then finds the run;
the run's primary key (account, month) refuses a second row whatever happens. A crash rolls back the
account in hand; a rerun resumes with the accounts that have no run yet.
"""

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import CompoundSelect, Select, bindparam, exists, insert, literal, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import ledger
from app.autoinvoicing import notices
from app.autoinvoicing.models import AutoInvoicingRun, AutoInvoicingSetting
from app.bills.models import Bill
from app.cards.models import StoredValueCard
from app.core.database import Database
from app.core.errors import DomainError
from app.core.settings import Settings
from app.events import service as events
from app.requests import create

logger = logging.getLogger("invoicing.autoinvoicing")

SYSTEM: Final = "system"
# A refusal that only means another request took the items between our read and our lock: look again.
_RACED = "item_not_invoiceable"
_ATTEMPTS = 3


class Outcome(StrEnum):
    requested = "requested"
    skipped = "skipped"
    idle = "idle"  # nothing invoiceable, switched off meanwhile, or already served this month


@dataclass
class RunResult:
    month: str
    requested: int = 0
    skipped: int = 0
    idle: int = 0
    failed: int = 0  # an unexpected error on the account (logged); the next run tries it again
    before_day: bool = False

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    def summary(self) -> str:
        return f"requested {self.requested}, skipped {self.skipped}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_start(day: date) -> datetime:
    """Midnight UTC on the first of `day`'s month: cards bought before it are due."""
    return datetime(day.year, day.month, 1, tzinfo=UTC)


def automatic_note(month: str) -> str:
    return f"Requested automatically by monthly automatic invoicing ({month})."


@dataclass(frozen=True, slots=True)
class Part:
    """Part `index` of `count` of the account ids (equal ranges of the 128-bit id space; ids are
    random, so the parts hold about as many accounts each): workers serve parts side by side."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"no part {self.index} of {self.count}")

    @property
    def lower(self) -> uuid.UUID | None:
        """The last id before the part (None: the part starts at the first id)."""
        return None if self.index == 0 else uuid.UUID(int=(self.index << 128) // self.count - 1)

    @property
    def upper(self) -> uuid.UUID | None:
        """The first id after the part (None: the part runs to the last id)."""
        last = self.index + 1 == self.count
        return None if last else uuid.UUID(int=((self.index + 1) << 128) // self.count)


WHOLE = Part()


async def run(
    database: Database,
    settings: Settings,
    today: date,
    *,
    batch_size: int | None = None,
    part: Part = WHOLE,
) -> RunResult:
    """Serve every enabled account (of `part`) not yet served this month; safe to run any number
    of times, and side by side with other runs of the same or other parts."""
    result = RunResult(month=month_of(today))
    if today.day < settings.auto_invoicing_day:
        result.before_day = True
        return result
    size = batch_size or settings.auto_invoicing_batch_size
    # Accounts are independent (each locks only its own rows), so on PostgreSQL a few are served at
    # once, each in its own transaction on its own connection: the process waits on the database's
    # round trips and commits of one while it works on another. SQLite has one writer at a time.
    in_flight = asyncio.Semaphore(settings.auto_invoicing_concurrency if database.dialect != "sqlite" else 1)

    async def serve(account_id: uuid.UUID) -> None:
        async with in_flight:
            try:
                result.count(await _serve(database, settings, account_id, today))
            except Exception:
                # One account's bug or bad data must not hold up every account after it; its
                # transaction rolled back, so the next run (or the worker's retry) tries it again.
                result.failed += 1
                logger.exception(
                    "auto-invoicing failed for an account", extra={"account_id": str(account_id)}
                )

    after = part.lower
    while True:
        batch = await _next_batch(database, result.month, after, part.upper, size)
        await asyncio.gather(*(serve(account_id) for account_id in batch))
        if len(batch) < size:
            return result
        after = batch[-1]


def _batch_statement(after: bool, before: bool) -> Select[uuid.UUID]:
    due = select(AutoInvoicingSetting.account_id).where(
        AutoInvoicingSetting.enabled.is_(True),
        ~exists().where(
            AutoInvoicingRun.account_id == AutoInvoicingSetting.account_id,
            AutoInvoicingRun.month == bindparam("month"),
        ),
    )
    if after:
        due = due.where(AutoInvoicingSetting.account_id > bindparam("after"))
    if before:
        due = due.where(AutoInvoicingSetting.account_id < bindparam("before"))
    return due.order_by(AutoInvoicingSetting.account_id).limit(bindparam("size"))


# Built once; only the month, the bounds (the last account of the previous batch, the end of the
# part) and the size vary.
_BATCHES = {
    (after, before): _batch_statement(after, before) for after in (False, True) for before in (False, True)
}


async def _next_batch(
    database: Database, month: str, after: uuid.UUID | None, before: uuid.UUID | None, size: int
) -> list[uuid.UUID]:
    """The next accounts due, in id order (a short read; each account is re-checked under its lock)."""
    async with database.read_session() as session:
        stmt = _BATCHES[after is not None, before is not None]
        values = {"month": month, "after": after, "before": before, "size": size}
        return list((await session.execute(stmt, values)).scalars())


async def _serve(database: Database, settings: Settings, account_id: uuid.UUID, today: date) -> Outcome:
    """One account: its requests (one per seller of the items due), or the refusal recorded as a
    skip, each in one short transaction. The month's requests are made together: a refusal of any
    of them rolls them all back and skips the month (nothing is requested).

    The request is made without a savepoint (two statements an account): a refusal rolls the
    whole transaction back, and the skip is recorded in a transaction of its own, which locks the
    account and checks its setting and the month's run again. A refusal that only means another
    request took the items in between (`item_not_invoiceable`) is tried again from the start.
    """
    month = month_of(today)
    for attempt in range(_ATTEMPTS):
        refusal: DomainError | None = None
        async with database.write_session() as session:
            setting = await _locked_setting(session, account_id, month)
            if setting is None:
                return Outcome.idle  # switched off, or already served this month
            selections = await _selections(session, account_id, today)
            if not selections:
                return Outcome.idle  # nothing to request yet: the next day's run looks again
            try:
                made = [await _create(session, settings, setting, one, month) for one in selections]
            except DomainError as error:
                await session.rollback()
                refusal = error
            else:
                await _insert_run(session, account_id, month, Outcome.requested, request_id=made[0])
                if not await _committed(session):
                    return Outcome.idle
                logger.info("auto-invoicing requested", extra={"account_id": str(account_id), "month": month})
                return Outcome.requested
        if refusal.code == _RACED and attempt + 1 < _ATTEMPTS:
            continue
        return await _skip(database, account_id, month, refusal.code)
    raise AssertionError("unreachable")  # pragma: no cover - the last attempt returns


async def _committed(session: AsyncSession) -> bool:
    try:
        await session.commit()
    except IntegrityError:
        # Unreachable while every run locks the setting first; the key still decides.
        await session.rollback()
        return False
    return True


async def _skip(database: Database, account_id: uuid.UUID, month: str, code: str) -> Outcome:
    """The refusal recorded: the run, the event and the email, in a transaction of its own."""
    async with database.write_session() as session:
        setting = await _locked_setting(session, account_id, month)
        if setting is None:
            return Outcome.idle
        await _record_skip(session, setting, month, code)
        if not await _committed(session):
            return Outcome.idle
    logger.info("auto-invoicing skipped", extra={"account_id": str(account_id), "month": month})
    return Outcome.skipped


# The setting, locked, and whether the month has a run already: one statement.
_SETTING_AND_RAN = (
    select(
        AutoInvoicingSetting,
        exists()
        .where(
            AutoInvoicingRun.account_id == AutoInvoicingSetting.account_id,
            AutoInvoicingRun.month == bindparam("month"),
        )
        .label("ran"),
    )
    .where(AutoInvoicingSetting.account_id == bindparam("account_id"))
    .with_for_update(of=AutoInvoicingSetting)
    .execution_options(populate_existing=True)
)


async def _locked_setting(
    session: AsyncSession, account_id: uuid.UUID, month: str
) -> AutoInvoicingSetting | None:
    """The account locked (first, as every change of it: app/accounts/ledger.py; locking the
    setting row first would give the transaction its id before it waits for the account, and the
    feed could then list this month's events before a change made ahead of them), then its
    setting; None when it is off or the month has its run."""
    await ledger.lock_account(session, account_id)
    row = (await session.execute(_SETTING_AND_RAN, {"account_id": account_id, "month": month})).one_or_none()
    if row is None or row.ran or not row[0].enabled:
        return None
    setting: AutoInvoicingSetting = row[0]
    return setting


async def _create(
    session: AsyncSession,
    settings: Settings,
    setting: AutoInvoicingSetting,
    selection: create.Selection,
    month: str,
) -> uuid.UUID:
    """The request, through the customer's creation path (a refusal raises its DomainError)."""
    assert setting.profile_id is not None and setting.address_id is not None  # CHECK when enabled
    out = await create.create_request(
        session,
        setting.account_id,
        selection,
        profile_id=setting.profile_id,
        address_id=setting.address_id,
        require_positive_cash_balance=settings.require_positive_cash_balance,
        sla_business_days=settings.sla_business_days,
        actor_role=SYSTEM,
        note=automatic_note(month),
    )
    return out.id


def _due_statement() -> CompoundSelect[str, uuid.UUID, uuid.UUID]:
    """The account's invoiceable bills of an earlier period and cards bought before the month, in
    one statement (each part in its own order).

    "Invoiceable" is the items' own expression (their `invoiceable_amount` column property); at most
    one item of each kind more than a request may hold is read, so creation refuses an oversized
    selection (validation_error) as it would a customer's.
    """
    limit = create.MAX_ITEMS + 1
    due_bills = (
        select(literal("bill").label("kind"), Bill.id.label("id"), Bill.seller_id.label("seller_id"))
        .where(
            Bill.account_id == bindparam("account_id"),
            Bill.period < bindparam("month"),
            Bill.invoiceable_amount > 0,
        )
        .order_by(Bill.period, Bill.id)
        .limit(limit)
        .subquery()
    )
    due_cards = (
        select(
            literal("card").label("kind"),
            StoredValueCard.id.label("id"),
            StoredValueCard.seller_id.label("seller_id"),
        )
        .where(
            StoredValueCard.account_id == bindparam("account_id"),
            StoredValueCard.purchased_at < bindparam("month_start"),
            StoredValueCard.invoiceable_amount > 0,
        )
        .order_by(StoredValueCard.purchased_at, StoredValueCard.id)
        .limit(limit)
        .subquery()
    )
    return union_all(select(due_bills), select(due_cards))


_DUE = _due_statement()  # built once; only the account and the month vary


async def _selections(session: AsyncSession, account_id: uuid.UUID, today: date) -> list[create.Selection]:
    """This month's requests: one selection per seller of the items due, in the order the sellers'
    first items come (a request holds one seller's items); none when nothing is invoiceable yet.

    When more items are due than one request may hold (the statement reads at most one more of
    each kind), they go to creation as one selection, which refuses it (validation_error) as today.
    """
    connection = await session.connection()  # plain columns: no ORM objects for the items
    values = {"account_id": account_id, "month": month_of(today), "month_start": month_start(today)}
    rows = (await connection.execute(_DUE, values)).tuples().all()
    by_seller: dict[uuid.UUID | None, tuple[list[uuid.UUID], list[uuid.UUID]]] = {}
    oversized = sum(kind == "bill" for kind, _, _ in rows) > create.MAX_ITEMS or (
        sum(kind == "card" for kind, _, _ in rows) > create.MAX_ITEMS
    )
    for kind, item_id, seller_id in rows:
        bill_ids, card_ids = by_seller.setdefault(None if oversized else seller_id, ([], []))
        (bill_ids if kind == "bill" else card_ids).append(item_id)
    return [
        create.Selection(bill_ids=bills, stored_value_card_ids=cards) for bills, cards in by_seller.values()
    ]


_INSERT_RUN = insert(AutoInvoicingRun)


async def _insert_run(
    session: AsyncSession,
    account_id: uuid.UUID,
    month: str,
    outcome: Outcome,
    *,
    request_id: uuid.UUID | None = None,
    code: str | None = None,
) -> None:
    connection = await session.connection()
    await connection.execute(
        _INSERT_RUN,
        {
            "account_id": account_id,
            "month": month,
            "outcome": outcome.value,
            "request_id": request_id,
            "code": code,
            "created_at": datetime.now(UTC),
        },
    )


async def _record_skip(session: AsyncSession, setting: AutoInvoicingSetting, month: str, code: str) -> None:
    """Nothing requested: the run, the event and the email to the customer, in one transaction."""
    account_id = setting.account_id
    await _insert_run(session, account_id, month, Outcome.skipped, code=code)
    data = {"account_id": str(account_id), "month": month, "code": code}
    await events.record(session, "auto_invoicing.skipped", account_id, data)
    await notices.skipped(session, setting, month, code)
