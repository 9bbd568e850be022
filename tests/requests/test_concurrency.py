"""No amount is ever requested twice: many clients at once against a real server, then the
invariant is checked in the database. PostgreSQL with four workers, SQLite with one."""

import asyncio
import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select

from app.accounts import service as accounts
from app.bills.models import Bill
from app.cards.models import StoredValueCard
from app.cli import migrate
from app.core.auth import Role
from app.core.database import Database, sync_url
from app.requests.models import InvoiceRequest, InvoiceRequestItem
from tests.conftest import POSTGRES_URL
from tests.factories import Api
from tests.requests.helpers import Ready, ready_customer, selection
from tests.server import running_server

CLIENTS = 24
ACTIVE = ("pending", "processing", "issued", "delivered")

pytestmark = pytest.mark.slow


async def _staff_key(database_url: str, role: Role) -> str:
    database = Database(database_url)
    try:
        async with database.write_session() as session, session.begin():
            issued = await accounts.issue_key(session, role, None)
        return issued.key
    finally:
        await database.dispose()


def _subset(rng: random.Random, ready: Ready) -> dict[str, Any]:
    bills = rng.sample(ready.bills, rng.randint(1, 4))
    cards = rng.sample(ready.cards, rng.randint(0, 1))
    return selection(ready, bills=bills, cards=cards)


async def _at_once(
    base_url: str, calls: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]]
) -> list[Any]:
    """Each call on its own client (its own connection), all released together."""
    clients = [httpx.AsyncClient(base_url=base_url, timeout=120) for _ in calls]
    gate = asyncio.Event()

    async def one(http: httpx.AsyncClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
        await gate.wait()
        return await http.request(method, path, json=body, headers=headers)

    try:
        tasks = [asyncio.create_task(one(http, *call)) for http, call in zip(clients, calls, strict=True)]
        await asyncio.sleep(0.05)
        gate.set()
        return list(await asyncio.gather(*tasks))
    finally:
        await asyncio.gather(*(http.aclose() for http in clients))


def _check_invariant(database_url: str, account_id: str) -> dict[str, int]:
    """requested_amount never exceeds the base and always equals the items of active requests.

    Returns each active request's amount by id."""
    account = uuid.UUID(account_id)
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            bills = conn.execute(
                select(Bill.id, Bill.cash_amount, Bill.requested_amount).where(Bill.account_id == account)
            ).all()
            cards = conn.execute(
                select(
                    StoredValueCard.id, StoredValueCard.paid_amount, StoredValueCard.requested_amount
                ).where(StoredValueCard.account_id == account)
            ).all()
            items = conn.execute(
                select(
                    InvoiceRequestItem.bill_id,
                    InvoiceRequestItem.stored_value_card_id,
                    InvoiceRequestItem.amount,
                    InvoiceRequest.id,
                    InvoiceRequest.status,
                    InvoiceRequest.amount,
                )
                .join(InvoiceRequest, InvoiceRequest.id == InvoiceRequestItem.request_id)
                .where(InvoiceRequest.account_id == account)
            ).all()
    finally:
        engine.dispose()
    assert (len(bills), len(cards)) == (10, 2)

    held: dict[Any, int] = defaultdict(int)
    active: dict[str, int] = {}
    for bill_id, card_id, amount, request_id, status, request_amount in items:
        if status in ACTIVE:
            held[bill_id or card_id] += amount
            active[str(request_id)] = request_amount
    for item_id, base, requested in [*bills, *cards]:
        assert 0 <= requested <= base, (item_id, base, requested)
        assert requested == held.get(item_id, 0), (item_id, requested, held.get(item_id, 0))
    total_requested = sum(requested for _id, _base, requested in [*bills, *cards])
    assert sum(active.values()) == total_requested
    return {request_id: amount for request_id, amount in active.items()}


def _fen(money: str) -> int:
    yuan, _, cents = money.partition(".")
    return int(yuan) * 100 + int(cents)


@pytest.mark.parametrize(
    ("kind", "workers"),
    [
        ("sqlite", 1),
        pytest.param(
            "postgres",
            4,
            marks=pytest.mark.skipif(
                not POSTGRES_URL,
                reason="PostgreSQL concurrency needs INVOICING_TEST_POSTGRES_URL (CI sets it)",
            ),
        ),
    ],
)
async def test_concurrent_requests_never_request_an_amount_twice(
    kind: str, workers: int, fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    database_url = fresh_database_url(kind)
    migrate(database_url)
    billing_key = await _staff_key(database_url, Role.billing)
    finance_key = await _staff_key(database_url, Role.finance)
    rng = random.Random(20261125)
    small_pools = {"INVOICING_DB_POOL_SIZE": "8", "INVOICING_DB_MAX_OVERFLOW": "4"}

    with running_server(database_url, tmp_path, workers=workers, extra_env=small_pools) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            api = Api(http, billing_key, finance_key)
            ready = await ready_customer(api, bills=10, cards=2, cash="123.45")
        path = "/v1/invoice-requests"

        # Round 1: every client asks for an overlapping random subset at the same moment.
        bodies = [_subset(rng, ready) for _ in range(CLIENTS)]
        responses = await _at_once(server.base_url, [("POST", path, body, ready.headers) for body in bodies])
        statuses = [r.status_code for r in responses]
        assert set(statuses) <= {201, 409}, [
            (r.status_code, r.text) for r in responses if r.status_code >= 500
        ]
        assert all(r.json()["code"] == "item_not_invoiceable" for r in responses if r.status_code == 409)
        created = {r.json()["id"]: _fen(r.json()["amount"]) for r in responses if r.status_code == 201}
        assert created, "at least one request must win"
        active = _check_invariant(database_url, ready.customer.account_id)
        assert active == created

        # Round 2: the winners are cancelled while another crowd asks again; cancelled amounts
        # may be taken by the new requests, but never twice.
        calls = [("POST", f"{path}/{request_id}/cancel", None, ready.headers) for request_id in created]
        calls += [("POST", path, _subset(rng, ready), ready.headers) for _ in range(CLIENTS)]
        responses = await _at_once(server.base_url, calls)
        assert all(r.status_code < 500 for r in responses), [
            r.text for r in responses if r.status_code >= 500
        ]
        cancels, creations = responses[: len(created)], responses[len(created) :]
        assert all(r.status_code == 200 for r in cancels), [r.text for r in cancels]
        assert {r.status_code for r in creations} <= {201, 409}
        created = {r.json()["id"]: _fen(r.json()["amount"]) for r in creations if r.status_code == 201}
        active = _check_invariant(database_url, ready.customer.account_id)
        assert active == created

        # Round 3: the customer's cancel races finance's reject on each live request: exactly one
        # wins, and the amounts are given back exactly once.
        finance = {"Authorization": f"Bearer {finance_key}"}
        calls = []
        for request_id in created:
            calls.append(("POST", f"{path}/{request_id}/cancel", None, ready.headers))
            calls.append(("POST", f"{path}/{request_id}/reject", {"reason": "race"}, finance))
        responses = await _at_once(server.base_url, calls)
        for pair in zip(responses[::2], responses[1::2], strict=True):
            assert sorted(r.status_code for r in pair) == [200, 409], [r.text for r in pair]
            assert [r.json()["code"] for r in pair if r.status_code == 409] == ["invalid_transition"]
        assert _check_invariant(database_url, ready.customer.account_id) == {}

        assert "Traceback" not in server.log()
