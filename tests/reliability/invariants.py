"""Database invariants of the money and the request lifecycle, checked with plain SQL reads."""

import itertools
import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, select

from app.bills.models import Bill
from app.cards.models import StoredValueCard
from app.core.auth import Role
from app.core.database import sync_url
from app.requests.models import Invoice, InvoiceRequest, InvoiceRequestEvent, InvoiceRequestItem
from app.requests.states import ACTIVE, TRANSITIONS, Status

_INVOICED = frozenset({Status.issued, Status.delivered, Status.reversed})


@dataclass(frozen=True)
class Checked:
    items: int
    requests: int
    events: int
    request_ids: frozenset[str]


def _legal_path(statuses: list[tuple[str, str]], final: str) -> str | None:
    """Why a request's timeline is not a legal path of the state table (None when it is)."""
    if not statuses or statuses[0] != (Status.pending, Role.customer):
        return f"does not start with pending by the customer: {statuses[:1]}"
    for (current, _), (following, role) in itertools.pairwise(statuses):
        allowed = TRANSITIONS[Status(current)].get(Status(following))
        if allowed is None or allowed.value != role:
            return f"illegal move {current} -> {following} by {role}"
    if statuses[-1][0] != final:
        return f"ends in {statuses[-1][0]} but the request is {final}"
    return None


def check_invariants(database: str | Engine, account_ids: list[str] | None = None) -> Checked:
    """Assert, for every item and request (of the given accounts, or all):

    - no item's requested amount is below zero or above its invoiceable base (cash part / paid);
    - each item's requested amount equals the sum of its amounts over active requests;
    - a request's amount is the sum of its items, it has items and a timeline, and the timeline is
      a legal path of the state table ending in the request's status;
    - issued, delivered and reversed requests have invoices summing to their amount; others none.
    """
    accounts = [uuid.UUID(a) for a in account_ids] if account_ids is not None else None
    engine = create_engine(sync_url(database)) if isinstance(database, str) else database
    try:
        with engine.connect() as conn:

            def scoped(stmt, column):  # type: ignore[no-untyped-def]
                return stmt if accounts is None else stmt.where(column.in_(accounts))

            bills = conn.execute(
                scoped(select(Bill.id, Bill.cash_amount, Bill.requested_amount), Bill.account_id)
            ).all()
            cards = conn.execute(
                scoped(
                    select(StoredValueCard.id, StoredValueCard.paid_amount, StoredValueCard.requested_amount),
                    StoredValueCard.account_id,
                )
            ).all()
            requests = conn.execute(
                scoped(
                    select(InvoiceRequest.id, InvoiceRequest.status, InvoiceRequest.amount),
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
                select(Invoice.request_id, Invoice.amount).where(Invoice.request_id.in_(request_ids))
            ).all()
    finally:
        if isinstance(database, str):
            engine.dispose()

    status_of = {row.id: row.status for row in requests}
    held: dict[uuid.UUID, int] = defaultdict(int)
    item_sum: dict[uuid.UUID, int] = defaultdict(int)
    for request_id, bill_id, card_id, amount in items:
        item_sum[request_id] += amount
        if status_of[request_id] in ACTIVE:
            held[bill_id or card_id] += amount
    for item_id, base, requested in [*bills, *cards]:
        assert 0 <= requested <= base, f"item {item_id}: requested {requested} outside 0..{base}"
        assert requested == held.get(item_id, 0), (
            f"item {item_id}: requested {requested} but active requests hold {held.get(item_id, 0)}"
        )
    timelines: dict[uuid.UUID, list[tuple[str, str]]] = defaultdict(list)
    for request_id, status, role in events:
        timelines[request_id].append((status, role))
    invoiced: dict[uuid.UUID, int] = defaultdict(int)
    for request_id, amount in invoices:
        invoiced[request_id] += amount
    for request_id, status, amount in requests:
        assert item_sum.get(request_id) == amount, (
            f"request {request_id}: items {item_sum.get(request_id)} != {amount}"
        )
        problem = _legal_path(timelines[request_id], status)
        assert problem is None, f"request {request_id}: {problem}"
        expected = amount if status in _INVOICED else 0
        assert invoiced.get(request_id, 0) == expected, (
            f"request {request_id} ({status}): invoices {invoiced.get(request_id, 0)} != {expected}"
        )
    return Checked(
        items=len(bills) + len(cards),
        requests=len(requests),
        events=len(events),
        request_ids=frozenset(str(row.id) for row in requests),
    )
