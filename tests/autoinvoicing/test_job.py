"""The monthly job through the HTTP API: what it requests, once a month, and what it skips."""

import asyncio
import itertools
from datetime import date

import httpx
import pytest
from fastapi import FastAPI

from app.autoinvoicing import job
from tests.autoinvoicing.helpers import (
    disable_everyone,
    enabled_customer,
    events_of,
    item_ids,
    requests_of,
    run_job,
)
from tests.factories import OTHER_TAXPAYER_ID, Api, make_bill, make_card
from tests.requests.test_queries import counted_statements
from tests.sellers.helpers import make_seller

DAY = date(2026, 12, 8)


async def test_run_requests_the_earlier_periods_bills_and_earlier_cards(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    auto = await enabled_customer(api)
    account = auto.account_id
    october = await make_bill(api, account, period="2026-10", cash="100.00")
    november = await make_bill(api, account, period="2026-11", cash="200.00")
    await make_bill(api, account, period="2026-12", cash="300.00")  # this month's: not yet
    await make_bill(api, account, period="2026-09", cash="0.00", voucher="50.00")  # nothing invoiceable
    card = await make_card(api, account, card_no="A", paid="500.00", purchased_at="2026-11-30T23:59:59Z")
    await make_card(
        api, account, card_no="B", paid="80.00", purchased_at="2026-12-01T00:00:00Z"
    )  # this month

    result = await run_job(app, DAY)
    assert (result.requested, result.skipped) == (1, 0)

    [request] = await requests_of(client, auto)
    assert item_ids(request) == [
        ("bill", october["id"]),
        ("bill", november["id"]),
        ("stored_value_card", card["id"]),
    ]
    assert request["amount"] == "800.00"
    assert request["status"] == "pending"
    assert request["profile"]["id"] == auto.profile["id"]
    assert request["address"]["id"] == auto.address["id"]
    [event] = request["events"]
    assert event["actor_role"] == "system"
    assert "automatic" in event["note"]
    assert event["note_code"] == "requested_automatically"  # a client words it in its own language
    # The customer's own reads agree: those items are now requested.
    bill = (await client.get(f"/v1/bills/{october['id']}", headers=auto.headers)).json()
    assert bill["invoiceable_amount"] == "0.00"
    created = await events_of(app, account, "invoice_request.created")
    assert [e["id"] for e in created] == [request["id"]]
    assert created[0]["events"][0]["actor_role"] == "system"


async def test_second_run_in_the_month_requests_nothing_and_next_month_picks_up_the_rest(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    auto = await enabled_customer(api)
    account = auto.account_id
    november = await make_bill(api, account, period="2026-11", cash="200.00")
    december = await make_bill(api, account, period="2026-12", cash="300.00")
    assert (await run_job(app, DAY)).requested == 1

    # Later in the month more becomes invoiceable: an amendment raises November's bill (a re-rating),
    # a late bill of an earlier period and a card come in. It all waits for next month.
    await make_bill(api, account, period="2026-11", cash="250.00")
    late = await make_bill(api, account, period="2026-08", cash="40.00")
    card = await make_card(api, account, card_no="LATE", paid="60.00", purchased_at="2026-11-15T08:00:00Z")
    for day in (DAY, date(2026, 12, 9), date(2026, 12, 31)):
        result = await run_job(app, day)
        assert (result.requested, result.skipped) == (0, 0)
    assert len(await requests_of(client, auto)) == 1

    result = await run_job(app, date(2027, 1, 8))
    assert (result.requested, result.skipped) == (1, 0)
    newest, _first = await requests_of(client, auto)
    assert item_ids(newest) == [
        ("bill", late["id"]),
        ("bill", november["id"]),
        ("bill", december["id"]),
        ("stored_value_card", card["id"]),
    ]
    assert [item["amount"] for item in newest["items"]] == ["40.00", "50.00", "300.00", "60.00"]
    assert newest["amount"] == "450.00"


async def test_items_of_two_sellers_make_one_request_per_seller(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    """A request holds one seller's items (SPEC §7): the month's run makes one per seller, each
    with the chosen profile and address, each settling only its own seller's deficit."""
    other = await make_seller(api, name="Cloud Storage Co.")
    auto = await enabled_customer(api)
    account = auto.account_id
    mine = await make_bill(api, account, period="2026-10", cash="100.00")
    theirs = await make_bill(api, account, period="2026-09", cash="70.00", seller_id=other["id"])
    later = await make_bill(api, account, period="2026-11", cash="30.00")
    await make_bill(api, account, period="2026-12", cash="300.00", seller_id=other["id"])  # this month's

    result = await run_job(app, DAY)
    assert (result.requested, result.skipped) == (1, 0)  # one account served, two requests
    requests = await requests_of(client, auto)
    # By seller (made in one transaction, they may share a timestamp).
    [first] = [r for r in requests if r["seller"]["id"] == other["id"]]
    [newest] = [r for r in requests if r["seller"]["id"] != other["id"]]
    assert item_ids(first) == [("bill", theirs["id"])]
    assert item_ids(newest) == [("bill", mine["id"]), ("bill", later["id"])]
    assert (first["amount"], newest["amount"]) == ("70.00", "130.00")
    for request in (first, newest):
        assert request["profile"]["id"] == auto.profile["id"]
        assert request["address"]["id"] == auto.address["id"]
        assert request["events"][0]["actor_role"] == "system"
    created = await events_of(app, account, "invoice_request.created")
    assert sorted(e["id"] for e in created) == sorted([first["id"], newest["id"]])
    assert await events_of(app, account, "auto_invoicing.skipped") == []
    # Once a month, for both sellers.
    assert (await run_job(app, date(2026, 12, 20))).requested == 0
    assert len(await requests_of(client, auto)) == 2


async def test_a_refusal_of_one_sellers_request_skips_the_month_for_both(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    """The month's requests are made together: when one seller's is refused, none is made."""
    other = await make_seller(api, max_invoice_amount="0.01")  # any bill needs too many invoices
    auto = await enabled_customer(api)
    mine = await make_bill(api, auto.account_id, period="2026-10", cash="100.00")
    await make_bill(api, auto.account_id, period="2026-11", cash="5.00", seller_id=other["id"])

    result = await run_job(app, DAY)
    assert (result.requested, result.skipped) == (0, 1)
    assert await requests_of(client, auto) == []
    after = (await client.get(f"/v1/bills/{mine['id']}", headers=auto.headers)).json()
    assert after["invoiceable_amount"] == "100.00"  # the first seller's request was rolled back
    assert await events_of(app, auto.account_id, "auto_invoicing.skipped") == [
        {"account_id": auto.account_id, "month": "2026-12", "code": "invoice_limit_exceeded"}
    ]


async def test_nothing_happens_before_the_day(app: FastAPI, client: httpx.AsyncClient, api: Api) -> None:
    auto = await enabled_customer(api)
    await make_bill(api, auto.account_id, period="2026-11")
    result = await run_job(app, date(2026, 12, 7))
    assert result.before_day
    assert (result.requested, result.skipped) == (0, 0)
    assert await requests_of(client, auto) == []
    # The day is a setting.
    assert (await run_job(app, date(2026, 12, 3), auto_invoicing_day=3)).requested == 1


async def test_an_account_with_nothing_to_request_is_looked_at_again_the_next_day(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    auto = await enabled_customer(api)
    result = await run_job(app, DAY)
    assert (result.requested, result.skipped, result.idle) == (0, 0, 1)
    assert await events_of(app, auto.account_id, "auto_invoicing.skipped") == []
    # The bill of November comes out on the 9th: the run of the 9th requests it.
    await make_bill(api, auto.account_id, period="2026-11")
    assert (await run_job(app, date(2026, 12, 9))).requested == 1
    assert len(await requests_of(client, auto)) == 1


async def test_disabled_accounts_are_left_alone(app: FastAPI, client: httpx.AsyncClient, api: Api) -> None:
    auto = await enabled_customer(api)
    await make_bill(api, auto.account_id, period="2026-11")
    off = await client.put("/v1/auto-invoicing", json={"enabled": False}, headers=auto.headers)
    assert off.status_code == 200
    assert (await run_job(app, DAY)).requested == 0
    assert await requests_of(client, auto) == []


@pytest.mark.parametrize(
    ("block", "code"),
    [
        ("arrears", "cash_balance_not_positive"),
        ("recertified", "profile_not_usable"),
        ("profile_deleted", "not_found"),
    ],
)
async def test_a_refused_month_is_skipped_with_an_event(
    app: FastAPI, client: httpx.AsyncClient, api: Api, block: str, code: str
) -> None:
    auto = await enabled_customer(api)
    bill = await make_bill(api, auto.account_id, period="2026-11")
    if block == "arrears":
        response = await client.put(
            f"/v1/accounts/{auto.account_id}/cash-balance",
            json={"cash_balance": "-1.00"},
            headers=api.billing,
        )
    elif block == "recertified":
        await api.certify(auto.customer, taxpayer_id=OTHER_TAXPAYER_ID)
        response = httpx.Response(200)
    else:
        response = await client.delete(f"/v1/invoice-profiles/{auto.profile['id']}", headers=auto.headers)
    assert response.status_code in (200, 204)

    result = await run_job(app, DAY)
    assert (result.requested, result.skipped) == (0, 1)
    assert await requests_of(client, auto) == []
    after = (await client.get(f"/v1/bills/{bill['id']}", headers=auto.headers)).json()
    assert after["invoiceable_amount"] == "100.00"  # nothing was reserved
    assert await events_of(app, auto.account_id, "auto_invoicing.skipped") == [
        {"account_id": auto.account_id, "month": "2026-12", "code": code}
    ]
    # Once a month: the skip is not repeated (nor retried) until next month.
    assert (await run_job(app, date(2026, 12, 20))).skipped == 0
    assert len(await events_of(app, auto.account_id, "auto_invoicing.skipped")) == 1


async def test_refusals_come_in_the_creation_order(app: FastAPI, client: httpx.AsyncClient, api: Api) -> None:
    auto = await enabled_customer(api)
    await make_bill(api, auto.account_id, period="2026-11")
    await api.certify(auto.customer, taxpayer_id=OTHER_TAXPAYER_ID)  # profile_not_usable ...
    await client.put(  # ... and cash_balance_not_positive, which a request checks first
        f"/v1/accounts/{auto.account_id}/cash-balance", json={"cash_balance": "0.00"}, headers=api.billing
    )
    assert (await run_job(app, DAY)).skipped == 1
    [skip] = await events_of(app, auto.account_id, "auto_invoicing.skipped")
    assert skip["code"] == "cash_balance_not_positive"


async def test_a_blocked_month_does_not_block_the_next(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    auto = await enabled_customer(api)
    await make_bill(api, auto.account_id, period="2026-11")
    await client.put(
        f"/v1/accounts/{auto.account_id}/cash-balance", json={"cash_balance": "-5.00"}, headers=api.billing
    )
    assert (await run_job(app, DAY)).skipped == 1
    await client.put(
        f"/v1/accounts/{auto.account_id}/cash-balance", json={"cash_balance": "5.00"}, headers=api.billing
    )
    assert (await run_job(app, date(2027, 1, 8))).requested == 1
    assert len(await requests_of(client, auto)) == 1


async def test_many_accounts_are_served_in_batches(app: FastAPI, client: httpx.AsyncClient, api: Api) -> None:
    accounts = [await enabled_customer(api) for _ in range(7)]
    for auto in accounts:
        await make_bill(api, auto.account_id, period="2026-11")
    result = await run_job(app, DAY, auto_invoicing_batch_size=3)
    assert (result.requested, result.skipped) == (7, 0)
    for auto in accounts:
        assert len(await requests_of(client, auto)) == 1


async def test_parts_side_by_side_serve_every_account_once(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    """The worker's parts (app/autoinvoicing/tasks.py) split the ids between them, run together."""
    accounts = [await enabled_customer(api) for _ in range(12)]
    for auto in accounts:
        await make_bill(api, auto.account_id, period="2026-11")
    settings = app.state.settings.model_copy(update={"auto_invoicing_batch_size": 2})
    parts = [job.Part(index, 3) for index in range(3)]
    results = await asyncio.gather(*(job.run(app.state.database, settings, DAY, part=p) for p in parts))
    assert sum(result.requested for result in results) == 12
    for auto in accounts:
        assert len(await requests_of(client, auto)) == 1
    again = [await job.run(app.state.database, settings, DAY, part=p) for p in parts]
    assert [result.requested for result in again] == [0, 0, 0]


def test_parts_cover_the_id_space_without_gaps_or_overlaps() -> None:
    for count in (1, 2, 3, 8):
        parts = [job.Part(index, count) for index in range(count)]
        assert parts[0].lower is None and parts[-1].upper is None
        for before, after in itertools.pairwise(parts):
            assert before.upper is not None and after.lower is not None
            assert after.lower.int == before.upper.int - 1  # ids > lower and < upper
    with pytest.raises(ValueError, match="no part"):
        job.Part(2, 2)


async def test_an_account_that_fails_is_left_for_the_next_run_and_the_others_are_served(
    app: FastAPI, client: httpx.AsyncClient, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = [await enabled_customer(api) for _ in range(5)]
    for auto in accounts:
        await make_bill(api, auto.account_id, period="2026-11")
    real_insert_run = job._insert_run
    calls = 0

    async def fail_on_the_third(*args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:  # the third account's request is made, its run row not yet written
            raise RuntimeError("a bug")
        await real_insert_run(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(job, "_insert_run", fail_on_the_third)
    result = await run_job(app, DAY, auto_invoicing_batch_size=2)
    assert (result.requested, result.skipped, result.failed) == (4, 0, 1)
    monkeypatch.setattr(job, "_insert_run", real_insert_run)

    served = [len(await requests_of(client, auto)) for auto in accounts]
    assert sorted(served) == [0, 1, 1, 1, 1]  # the failed account's request was rolled back with it
    result = await run_job(app, DAY, auto_invoicing_batch_size=2)
    assert (result.requested, result.skipped, result.failed) == (1, 0, 0)
    assert [len(await requests_of(client, auto)) for auto in accounts] == [1] * 5


def _split(statements: list[str]) -> tuple[int, int]:
    """(batch reads, other statements), leaving out transaction control."""
    batches = [s for s in statements if "auto_invoicing_setting.enabled" in s and "LIMIT" in s]
    others = [
        s for s in statements if s not in batches and s.split()[0] not in ("BEGIN", "COMMIT", "ROLLBACK")
    ]
    return len(batches), len(others)


async def test_each_account_costs_the_same_statements_however_many_are_enabled(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    """Keyset batches: one read per `batch_size` accounts, then a fixed cost per account."""
    one = await enabled_customer(api)
    await make_bill(api, one.account_id, period="2026-11")
    with counted_statements(app) as statements:
        assert (await run_job(app, DAY, auto_invoicing_batch_size=2)).requested == 1
    batches, single = _split(statements)
    assert batches == 1  # one account: fewer than the batch size
    # The account's lock, its setting with the month's run, its due items, the creation's seven
    # (docs/PERFORMANCE.md), the run: no savepoint, no separate reads of bills and cards (15 before).
    assert single == 11, statements
    await disable_everyone(app)

    six = [await enabled_customer(api) for _ in range(6)]
    for auto in six:
        await make_bill(api, auto.account_id, period="2026-11")
    with counted_statements(app) as statements:
        assert (await run_job(app, DAY, auto_invoicing_batch_size=2)).requested == 6
    assert _split(statements) == (4, 6 * single)  # reads of 2, 2, 2, then none
