"""Database invariants of the money and the request lifecycle, checked with plain SQL reads."""

import itertools
import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, func, select

from app.accounts.models import Account
from app.bills.models import Bill
from app.cards.models import StoredValueCard, StoredValueCardRefund
from app.core.auth import Role
from app.core.database import sync_url
from app.requests.models import Invoice, InvoiceLine, InvoiceRequest, InvoiceRequestEvent, InvoiceRequestItem
from app.requests.states import ACTIVE, Status, may_follow

_INVOICED = frozenset({Status.issued, Status.delivered, Status.reversing, Status.reversed})


@dataclass(frozen=True)
class Checked:
    items: int
    requests: int
    events: int
    request_ids: frozenset[str]


def _legal_path(statuses: list[tuple[str, str]], final: str) -> str | None:
    """Why a request's timeline is not a legal path of the state table (None when it is)."""
    if not statuses or statuses[0] not in ((Status.pending, Role.customer), (Status.pending, "system")):
        return f"does not start with pending by the customer: {statuses[:1]}"
    for (current, _), (following, role) in itertools.pairwise(statuses):
        if not may_follow(Status(current), Status(following), role):
            return f"illegal move {current} -> {following} by {role}"
    if statuses[-1][0] != final:
        return f"ends in {statuses[-1][0]} but the request is {final}"
    return None


def check_invariants(database: str | Engine, account_ids: list[str] | None = None) -> Checked:
    """Assert, for every item, request and account (of the given accounts, or all):

    - each item's requested amount equals the sum of its lines (negative ones too) over active
      requests, and its invoiceable and over-invoiced amounts are max(0, base - requested) and
      max(0, requested - base) (base: a bill's cash part, a card's paid amount less refunds);
    - a card's refunded amount is the sum of its refunds, within 0..paid;
    - each account's stored invoice deficit is the sum of its items' over-invoiced amounts (so
      never negative), and the money balances: the sum of its active request amounts plus the sum
      of its invoiceable amounts, less its deficit, equals the sum of its bases;
    - a request's amount is the sum of its items, it has items and a timeline, and the timeline is
      a legal path of the state table ending in the request's status;
    - issued, delivered, reversing and reversed requests have invoices summing to their amount;
      others none; reversed ones red-letter invoices summing to minus it;
    - each invoice's amount, amount excluding tax and tax are the sums of its stored lines (a blue
      one's lines positive, a red one's negative);
    - of a re-issued request being reversed and its active replacement, only the replacement holds
      the amounts (the sums above count it alone).
    """
    accounts = [uuid.UUID(a) for a in account_ids] if account_ids is not None else None
    engine = create_engine(sync_url(database)) if isinstance(database, str) else database
    try:
        with engine.connect() as conn:

            def scoped(stmt, column):  # type: ignore[no-untyped-def]
                return stmt if accounts is None else stmt.where(column.in_(accounts))

            bills = conn.execute(
                scoped(
                    select(
                        Bill.id,
                        Bill.account_id,
                        Bill.cash_amount.label("base"),
                        Bill.requested_amount,
                        Bill.invoiceable_amount.label("invoiceable"),
                        Bill.over_invoiced_amount.label("over"),
                    ),
                    Bill.account_id,
                )
            ).all()
            cards = conn.execute(
                scoped(
                    select(
                        StoredValueCard.id,
                        StoredValueCard.account_id,
                        (StoredValueCard.paid_amount - StoredValueCard.refunded_amount).label("base"),
                        StoredValueCard.requested_amount,
                        StoredValueCard.invoiceable_amount.label("invoiceable"),
                        StoredValueCard.over_invoiced_amount.label("over"),
                    ),
                    StoredValueCard.account_id,
                )
            ).all()
            refunds = conn.execute(
                scoped(
                    select(
                        StoredValueCard.id,
                        StoredValueCard.paid_amount,
                        StoredValueCard.refunded_amount,
                        func.coalesce(func.sum(StoredValueCardRefund.amount), 0).label("refunds"),
                    )
                    .outerjoin(StoredValueCardRefund, StoredValueCardRefund.card_id == StoredValueCard.id)
                    .group_by(
                        StoredValueCard.id, StoredValueCard.paid_amount, StoredValueCard.refunded_amount
                    ),
                    StoredValueCard.account_id,
                )
            ).all()
            deficits = conn.execute(scoped(select(Account.id, Account.invoice_deficit), Account.id)).all()
            requests = conn.execute(
                scoped(
                    select(
                        InvoiceRequest.id,
                        InvoiceRequest.account_id,
                        InvoiceRequest.status,
                        InvoiceRequest.amount,
                        InvoiceRequest.replaced_by_request_id,
                    ),
                    InvoiceRequest.account_id,
                )
            ).all()
            request_ids = [row.id for row in requests]
            items = conn.execute(
                select(
                    InvoiceRequestItem.request_id,
                    InvoiceRequestItem.bill_id,
                    InvoiceRequestItem.stored_value_card_id,
                    InvoiceRequestItem.amount,
                ).where(InvoiceRequestItem.request_id.in_(request_ids))
            ).all()
            events = conn.execute(
                select(
                    InvoiceRequestEvent.request_id, InvoiceRequestEvent.status, InvoiceRequestEvent.actor_role
                )
                .where(InvoiceRequestEvent.request_id.in_(request_ids))
                .order_by(InvoiceRequestEvent.id)
            ).all()
            invoices = conn.execute(
                select(
                    Invoice.id,
                    Invoice.request_id,
                    Invoice.amount,
                    Invoice.amount_excluding_tax,
                    Invoice.tax_amount,
                    Invoice.blue_invoice_id,
                ).where(Invoice.request_id.in_(request_ids))
            ).all()
            lines = conn.execute(
                select(
                    InvoiceLine.invoice_id,
                    InvoiceLine.amount,
                    InvoiceLine.amount_excluding_tax,
                    InvoiceLine.tax_amount,
                )
                .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
                .where(Invoice.request_id.in_(request_ids))
            ).all()
    finally:
        if isinstance(database, str):
            engine.dispose()

    status_of = {row.id: row.status for row in requests}
    # A re-issued request being reversed hands its amounts to its replacement: of the two active
    # requests, only the replacement holds them.
    holders = {
        row.id
        for row in requests
        if row.status in ACTIVE
        and not (
            row.replaced_by_request_id is not None and status_of.get(row.replaced_by_request_id) in ACTIVE
        )
    }
    held: dict[uuid.UUID, int] = defaultdict(int)
    item_sum: dict[uuid.UUID, int] = defaultdict(int)
    for request_id, bill_id, card_id, amount in items:
        item_sum[request_id] += amount
        if request_id in holders:
            held[bill_id or card_id] += amount
    over: dict[uuid.UUID, int] = defaultdict(int)
    balance: dict[uuid.UUID, int] = defaultdict(int)  # active + invoiceable - deficit - bases: 0
    for item in [*bills, *cards]:
        holding = held.get(item.id, 0)
        assert item.requested_amount == holding, (
            f"item {item.id}: requested {item.requested_amount} but active requests hold {holding}"
        )
        assert item.invoiceable == max(0, item.base - item.requested_amount), item
        assert item.over == max(0, item.requested_amount - item.base), item
        over[item.account_id] += item.over
        balance[item.account_id] += item.invoiceable - item.base
    for card_id, paid, refunded, refunded_sum in refunds:
        assert 0 <= refunded <= paid and refunded == refunded_sum, (card_id, paid, refunded, refunded_sum)
    for account_id, deficit in deficits:
        assert deficit == over.get(account_id, 0) >= 0, (
            f"account {account_id}: deficit {deficit}, items over-invoiced by {over.get(account_id, 0)}"
        )
        balance[account_id] -= deficit
    for row in requests:
        if row.id in holders:
            balance[row.account_id] += row.amount
    assert all(value == 0 for value in balance.values()), f"money does not balance: {dict(balance)}"
    timelines: dict[uuid.UUID, list[tuple[str, str]]] = defaultdict(list)
    for request_id, status, role in events:
        timelines[request_id].append((status, role))
    invoiced: dict[uuid.UUID, int] = defaultdict(int)
    red: dict[uuid.UUID, int] = defaultdict(int)
    line_sums: dict[uuid.UUID, tuple[int, int, int]] = {}
    for invoice_id, amount, excluding, tax in lines:
        assert amount != 0 and amount == excluding + tax, (invoice_id, amount, excluding, tax)
        total = line_sums.get(invoice_id, (0, 0, 0))
        line_sums[invoice_id] = (total[0] + amount, total[1] + excluding, total[2] + tax)
    for invoice_id, request_id, amount, excluding, tax, blue_invoice_id in invoices:
        (invoiced if blue_invoice_id is None else red)[request_id] += amount
        # An invoice's figures are the sums of its stored lines (a red one's: its blue one's negated).
        assert line_sums.get(invoice_id) == (amount, excluding, tax), (invoice_id, line_sums.get(invoice_id))
        assert (amount > 0) == (blue_invoice_id is None), (invoice_id, amount)
    for request_id, _account_id, status, amount, _replaced_by in requests:
        assert item_sum.get(request_id) == amount, (
            f"request {request_id}: items {item_sum.get(request_id)} != {amount}"
        )
        problem = _legal_path(timelines[request_id], status)
        assert problem is None, f"request {request_id}: {problem}"
        expected = amount if status in _INVOICED else 0
        assert invoiced.get(request_id, 0) == expected, (
            f"request {request_id} ({status}): invoices {invoiced.get(request_id, 0)} != {expected}"
        )
        # A reversal ends with red-letter invoices mirroring the blue ones.
        expected = -amount if status == Status.reversed else 0
        assert red.get(request_id, 0) == expected, (
            f"request {request_id} ({status}): red-letter invoices {red.get(request_id, 0)} != {expected}"
        )
    return Checked(
        items=len(bills) + len(cards),
        requests=len(requests),
        events=len(events),
        request_ids=frozenset(str(row.id) for row in requests),
    )
