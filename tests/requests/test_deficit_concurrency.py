"""The invoice deficit under concurrency, against a real `invoicing serve`: PostgreSQL with four
workers, SQLite with one. Many creations at once while a deficit is owed settle it exactly once;
amendments, refunds, creations and cancels racing over the same items never break the money
invariants, checked in the database after every round."""

import asyncio
import random
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select, text

from app.cli import migrate
from app.core.auth import Role
from app.core.database import sync_url
from app.core.money import format_money
from app.events.models import Event
from app.requests.models import InvoiceRequest, InvoiceRequestItem
from tests.conftest import POSTGRES_URL
from tests.factories import Api, make_bill, make_card
from tests.reliability.invariants import check_invariants
from tests.requests.helpers import ready_customer, selection
from tests.requests.test_concurrency import _at_once, _staff_key
from tests.server import running_server

pytestmark = pytest.mark.slow

BACKENDS = [
    ("sqlite", 1),
    pytest.param(
        "postgres",
        4,
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="PostgreSQL concurrency needs INVOICING_TEST_POSTGRES_URL (CI sets it)"
        ),
    ),
]
SMALL_POOLS = {"INVOICING_DB_POOL_SIZE": "8", "INVOICING_DB_MAX_OVERFLOW": "4"}


def _amend(
    api: Api, account_id: str, period: str, cash: int
) -> tuple[str, str, dict[str, Any], dict[str, str]]:
    body = {
        "total_amount": format_money(cash),
        "cash_amount": format_money(cash),
        "voucher_amount": "0.00",
        "stored_value_card_amount": "0.00",
    }
    return ("PUT", f"/v1/accounts/{account_id}/bills/{period}", body, api.billing)


def _lines(database_url: str, account_id: str) -> list[tuple[str, str, int]]:
    """(request id, status, line amount) of every line of the account's requests."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(InvoiceRequest.id, InvoiceRequest.status, InvoiceRequestItem.amount)
                .join(InvoiceRequestItem, InvoiceRequestItem.request_id == InvoiceRequest.id)
                .where(InvoiceRequest.account_id == uuid.UUID(account_id))
            ).all()
            return [(str(r[0]), r[1], r[2]) for r in rows]
    finally:
        engine.dispose()


def _event_ids(database_url: str, account_id: str) -> list[str]:
    """Every event id of the account in the feed's order (transaction id, then id)."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Event.id)
                .where(Event.account_id == uuid.UUID(account_id))
                .order_by(Event.txid, Event.id)
            ).all()
            return [str(row[0]) for row in rows]
    finally:
        engine.dispose()


# The account row's own history of deficits, in the order its versions were written: a trigger
# stamps every change of `invoice_deficit` from a counter. Writers of one row are serialized by its
# lock, so this is the account's lock chain, recorded independently of the events and their order.
_CHAIN = {
    "postgresql": [
        "CREATE TABLE test_deficit_chain (stamp bigserial PRIMARY KEY, account_id uuid, deficit bigint)",
        "CREATE FUNCTION test_stamp_deficit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO test_deficit_chain (account_id, deficit) VALUES (NEW.id, NEW.invoice_deficit); "
        "RETURN NULL; END $$",
        "CREATE TRIGGER test_stamp_deficit AFTER UPDATE ON account FOR EACH ROW "
        "WHEN (OLD.invoice_deficit IS DISTINCT FROM NEW.invoice_deficit) "
        "EXECUTE FUNCTION test_stamp_deficit()",
    ],
    "sqlite": [
        "CREATE TABLE test_deficit_chain (stamp INTEGER PRIMARY KEY AUTOINCREMENT, account_id, deficit)",
        "CREATE TRIGGER test_stamp_deficit AFTER UPDATE OF invoice_deficit ON account "
        "WHEN OLD.invoice_deficit IS NOT NEW.invoice_deficit BEGIN "
        "INSERT INTO test_deficit_chain (account_id, deficit) VALUES (NEW.id, NEW.invoice_deficit); END",
    ],
}


def _record_deficit_chain(database_url: str) -> None:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as conn:
            for statement in _CHAIN[conn.dialect.name]:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def _deficit_chain(database_url: str) -> list[str]:
    """Every deficit the (one) account had, in the order of its lock chain."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT deficit FROM test_deficit_chain ORDER BY stamp")).all()
            return [format_money(row[0]) for row in rows]
    finally:
        engine.dispose()


def _deficit_events(database_url: str, account_id: str) -> list[str]:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Event.data)
                .where(
                    Event.account_id == uuid.UUID(account_id), Event.type == "account.invoice_deficit_changed"
                )
                .order_by(Event.txid, Event.id)
            ).all()
            return [row[0]["invoice_deficit"] for row in rows]
    finally:
        engine.dispose()


async def _feed(
    http: httpx.AsyncClient, headers: dict[str, str], account_id: str, expected: int
) -> list[dict[str, Any]]:
    """The account's events from the feed, resuming from each page's cursor (polling: on PostgreSQL
    the feed holds back while any transaction in the cluster is still running)."""
    seen: list[dict[str, Any]] = []
    cursor = None
    for _attempt in range(200):
        params: dict[str, Any] = {"limit": 7} | ({"after": cursor} if cursor else {})
        page = (await http.get("/v1/events", params=params, headers=headers)).json()
        seen += [e for e in page["data"] if e["account_id"] == account_id]
        cursor = page["next_cursor"] or cursor
        if not page["has_more"] and len(seen) >= expected:
            return seen
        if not page["has_more"]:
            await asyncio.sleep(0.1)
    raise AssertionError(f"the feed did not catch up: {len(seen)} events")


@pytest.mark.parametrize(("kind", "workers"), BACKENDS)
async def test_parallel_creations_settle_a_deficit_exactly_once(
    kind: str, workers: int, fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    database_url = fresh_database_url(kind)
    migrate(database_url)
    billing_key = await _staff_key(database_url, Role.billing)
    finance_key = await _staff_key(database_url, Role.finance)

    with running_server(database_url, tmp_path, workers=workers, extra_env=SMALL_POOLS) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            api = Api(http, billing_key, finance_key)
            ready = await ready_customer(api, bills=0)
            account_id = ready.customer.account_id
            over = await make_bill(api, account_id, "2019-01", cash="1000.00")
            response = await http.post(
                "/v1/invoice-requests", json=selection(ready, bills=[over], cards=[]), headers=ready.headers
            )
            assert response.status_code == 201, response.text
            await make_bill(api, account_id, "2019-01", cash="700.00")  # deficit 300.00
            # Fresh bills, one per client: some below the deficit (refused until it is settled),
            # most above it.
            fresh = [
                await make_bill(api, account_id, f"{2020 + n // 12}-{n % 12 + 1:02d}", cash=cash)
                for n, cash in enumerate(["200.00", "500.00", "500.00", "200.00"] * 6)
            ]

        calls = [
            ("POST", "/v1/invoice-requests", selection(ready, bills=[bill], cards=[]), ready.headers)
            for bill in fresh
        ]
        responses = await _at_once(server.base_url, calls)
        assert all(r.status_code in (201, 409) for r in responses), [r.text for r in responses]
        assert all(r.json()["code"] == "invoice_deficit" for r in responses if r.status_code == 409)
        created = [r.json() for r in responses if r.status_code == 201]
        settling = [c for c in created if any(i["amount"].startswith("-") for i in c["items"])]
        assert len(settling) == 1, settling
        assert settling[0]["items"][-1]["amount"] == "-300.00"
        assert settling[0]["items"][-1]["id"] == over["id"]

        lines = _lines(database_url, account_id)
        assert [amount for _, _, amount in lines if amount < 0] == [-300_00]
        checked = check_invariants(database_url, [account_id])
        assert checked.requests == 1 + len(created)
        assert _deficit_events(database_url, account_id) == ["300.00", "0.00"]

        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            account = (await http.get("/v1/account", headers=ready.headers)).json()
        assert account["invoice_deficit"] == "0.00"
        assert "Traceback" not in server.log()


@pytest.mark.parametrize(("kind", "workers"), BACKENDS)
async def test_parallel_amendments_refunds_and_creations_keep_the_money_invariants(
    kind: str, workers: int, fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    database_url = fresh_database_url(kind)
    migrate(database_url)
    _record_deficit_chain(database_url)
    billing_key = await _staff_key(database_url, Role.billing)
    finance_key = await _staff_key(database_url, Role.finance)
    rng = random.Random(20261125)
    periods = [f"2021-{month:02d}" for month in range(1, 11)]

    with running_server(database_url, tmp_path, workers=workers, extra_env=SMALL_POOLS) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            api = Api(http, billing_key, finance_key)
            ready = await ready_customer(api, bills=0)
            account_id = ready.customer.account_id
            for period in periods:
                ready.bills.append(await make_bill(api, account_id, period, cash="300.00"))
            for number in range(3):
                ready.cards.append(await make_card(api, account_id, card_no=f"SVC-{number}", paid="400.00"))
        finance = {"Authorization": f"Bearer {finance_key}"}
        path = "/v1/invoice-requests"
        live: list[str] = []
        outcomes: dict[str, int] = {}

        for round_ in range(4):
            async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
                api = Api(http, billing_key, finance_key)
                # Each round starts with a deficit owed (a requested bill re-rated to zero) and two
                # fresh bills large enough to settle it, so settlement races every round.
                listed = (await http.get("/v1/bills?limit=100", headers=ready.headers)).json()["data"]
                requested = [b for b in listed if b["period"] in periods and b["requested_amount"] != "0.00"]
                if requested:
                    await make_bill(api, account_id, requested[0]["period"], cash="0.00")
                fresh = [
                    await make_bill(api, account_id, f"2030-{round_ * 2 + n + 1:02d}", cash="5000.00")
                    for n in range(2)
                ]
            calls: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]] = [
                ("POST", path, selection(ready, bills=[bill], cards=[]), ready.headers) for bill in fresh
            ]
            for _ in range(8):  # creations over overlapping random subsets
                bills = rng.sample(ready.bills, rng.randint(1, 4))
                cards = rng.sample(ready.cards, rng.randint(0, 1))
                calls.append(("POST", path, selection(ready, bills=bills, cards=cards), ready.headers))
            for period in rng.sample(periods, 6):  # the billing engine re-rates, mostly down
                calls.append(_amend(api, account_id, period, rng.choice([0, 5000, 15000, 30000, 45000])))
            for card in rng.sample(ready.cards, 2):  # and refunds (422 once nothing is left to refund)
                calls.append(
                    (
                        "POST",
                        f"/v1/accounts/{account_id}/stored-value-cards/{card['id']}/refunds",
                        {"amount": "60.00"},
                        api.billing,
                    )
                )
            for request_id in rng.sample(live, min(len(live), 4)):  # releases race too
                if rng.random() < 0.5:
                    calls.append(("POST", f"{path}/{request_id}/cancel", None, ready.headers))
                else:
                    calls.append(("POST", f"{path}/{request_id}/reject", {"reason": "race"}, finance))
            rng.shuffle(calls)

            responses = await _at_once(server.base_url, calls)
            for (method, url, _body, _headers), response in zip(calls, responses, strict=True):
                assert response.status_code < 500, (method, url, response.text)
                code = response.json().get("code", "") if response.status_code >= 400 else ""
                what = url.split("/")[-1] if method == "POST" else "bills"
                key = f"{method} {what} {response.status_code} {code}".strip()
                outcomes[key] = outcomes.get(key, 0) + 1
                if method == "POST" and url == path:
                    assert response.status_code in (201, 409), response.text
                    if response.status_code == 201:
                        live.append(response.json()["id"])
                    else:
                        assert response.json()["code"] in ("item_not_invoiceable", "invoice_deficit")
                elif method == "PUT":
                    assert response.status_code == 200, response.text
            check_invariants(database_url, [account_id])

        # The account's deficit events, in feed order, are its lock chain: each says the deficit
        # that its change left, in the order the changes were made (not only the last one, which
        # is the deficit the account shows). And the feed, read through the API in small pages,
        # gives every event of the account once, in that order.
        events = _deficit_events(database_url, account_id)
        chain = _deficit_chain(database_url)
        assert len(chain) > 8, chain  # the rounds moved the deficit many times
        assert events == chain
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            account = (await http.get("/v1/account", headers=ready.headers)).json()
            stored = _event_ids(database_url, account_id)
            fed = await _feed(http, {"Authorization": f"Bearer {billing_key}"}, account_id, len(stored))
        assert events and events[-1] == account["invoice_deficit"], (events, account)
        assert [e["id"] for e in fed] == stored  # none missed, twice or moved
        assert [
            e["data"]["invoice_deficit"] for e in fed if e["type"] == "account.invoice_deficit_changed"
        ] == events
        print(outcomes)
        assert any(amount < 0 for _, _, amount in _lines(database_url, account_id)), outcomes
        assert "Traceback" not in server.log()
