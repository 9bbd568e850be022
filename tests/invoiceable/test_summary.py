"""GET /v1/invoiceable-summary: the amount left to invoice and every reason a request would be refused."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from app.core.settings import Settings
from app.main import create_app
from tests.factories import (
    OTHER_TAXPAYER_ID,
    Api,
    Customer,
    force_requested_amount,
    make_address,
    make_bill,
    make_card,
    make_profile,
)


async def summary(client: httpx.AsyncClient, customer: Customer) -> dict[str, Any]:
    response = await client.get("/v1/invoiceable-summary", headers=customer.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def ready_customer(api: Api, cash_balance: str = "1000.00") -> tuple[Customer, dict[str, Any]]:
    """Certified, one usable profile, one address and one bill: nothing blocks a request."""
    customer = await api.customer(cash_balance=cash_balance)
    await api.certify(customer)
    profile = await make_profile(api, customer)
    address = await make_address(api, customer)
    await make_bill(api, customer.account_id, "2026-10", cash="100.00")
    return customer, {"profile": profile, "address": address}


async def test_a_new_account_shows_every_blocker(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer(cash_balance="1000.00")
    assert await summary(client, customer) == {
        "invoiceable_amount": "0.00",
        "bills": {"count": 0, "amount": "0.00"},
        "stored_value_cards": {"count": 0, "amount": "0.00"},
        "invoice_deficit": "0.00",
        "cash_balance": "1000.00",
        "can_request": False,
        # Without a certification no profile can match it, so both are reported.
        "blockers": ["certification_required", "no_usable_profile", "no_address", "nothing_invoiceable"],
        "by_seller": [],
    }
    in_arrears = await api.customer(cash_balance="-5.00")
    assert (await summary(client, in_arrears))["blockers"] == [
        "certification_required",
        "cash_balance_not_positive",
        "no_usable_profile",
        "no_address",
        "nothing_invoiceable",
    ]


async def test_ready_account_can_request(client: httpx.AsyncClient, api: Api) -> None:
    customer, _ = await ready_customer(api)
    body = await summary(client, customer)
    assert body["can_request"] is True
    assert body["blockers"] == []
    assert body["invoiceable_amount"] == "100.00"
    assert body["cash_balance"] == "1000.00"


async def test_amounts_count_only_what_is_left_to_invoice(
    client: httpx.AsyncClient, api: Api, app: FastAPI
) -> None:
    customer, _ = await ready_customer(api)
    other = await api.customer()
    await make_bill(api, other.account_id, "2026-10", cash="999.00")  # another account: never counted
    await make_card(api, other.account_id, "SVC-OTHER", paid="999.00")

    # ready_customer's 2026-10 bill (100.00) becomes fully requested: no longer counted.
    bills = (await client.get("/v1/bills", headers=customer.headers)).json()["data"]
    await force_requested_amount(app, "bill", bills[0]["id"], 10000)
    await make_bill(api, customer.account_id, "2026-01", cash="0.10", voucher="3.00", card="4.00")
    await make_bill(api, customer.account_id, "2026-02", cash="0.20")
    await make_bill(api, customer.account_id, "2026-03", cash="0.00", voucher="50.00")  # voucher only
    partly = await make_bill(api, customer.account_id, "2026-04", cash="10.00")
    await force_requested_amount(app, "bill", partly["id"], 999)  # 0.01 left
    await make_card(api, customer.account_id, "SVC-1", paid="5.00", face="6.00")
    spent = await make_card(api, customer.account_id, "SVC-2", paid="7.00")
    await force_requested_amount(app, "card", spent["id"], 700)
    await make_card(api, customer.account_id, "SVC-3", paid="0.00", face="10.00")  # a free card

    body = await summary(client, customer)
    assert body["bills"] == {"count": 3, "amount": "0.31"}
    assert body["stored_value_cards"] == {"count": 1, "amount": "5.00"}
    assert body["invoiceable_amount"] == "5.31"
    assert body["can_request"] is True


async def test_certification_required(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    await make_address(api, customer)
    await make_bill(api, customer.account_id, "2026-10")
    body = await summary(client, customer)
    # A profile can only be created (and matched) against a certification, so this pair
    # is what an otherwise ready but uncertified account shows.
    assert body["blockers"] == ["certification_required", "no_usable_profile"]
    assert body["can_request"] is False
    assert body["invoiceable_amount"] == "100.00"


@pytest.mark.parametrize("cash_balance", ["0.00", "-0.01"])
async def test_cash_balance_not_positive(client: httpx.AsyncClient, api: Api, cash_balance: str) -> None:
    customer, _ = await ready_customer(api, cash_balance=cash_balance)
    body = await summary(client, customer)
    assert body["blockers"] == ["cash_balance_not_positive"]
    assert body["can_request"] is False
    assert body["cash_balance"] == cash_balance


@pytest.fixture
async def lenient_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The same database, served with INVOICING_REQUIRE_POSITIVE_CASH_BALANCE=false."""
    lenient = create_app(settings.model_copy(update={"require_positive_cash_balance": False}))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=lenient), base_url="http://testserver"
        ) as c:
            yield c
    finally:
        await lenient.state.database.dispose()


async def test_cash_balance_rule_can_be_turned_off(
    client: httpx.AsyncClient, lenient_client: httpx.AsyncClient, api: Api
) -> None:
    customer, _ = await ready_customer(api, cash_balance="-100.00")
    assert (await summary(client, customer))["blockers"] == ["cash_balance_not_positive"]
    body = await summary(lenient_client, customer)
    assert body["blockers"] == []
    assert body["can_request"] is True
    assert body["cash_balance"] == "-100.00"


async def test_no_usable_profile_when_the_only_profile_is_deleted(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer, made = await ready_customer(api)
    deleted = await client.delete(f"/v1/invoice-profiles/{made['profile']['id']}", headers=customer.headers)
    assert deleted.status_code == 204
    body = await summary(client, customer)
    assert body["blockers"] == ["no_usable_profile"]
    assert body["can_request"] is False


async def test_no_usable_profile_after_recertifying_with_other_data(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer, _ = await ready_customer(api)
    await api.certify(customer, name="Acme Cloud Holdings Ltd.", taxpayer_id=OTHER_TAXPAYER_ID)
    assert (await summary(client, customer))["blockers"] == ["no_usable_profile"]
    # A profile matching the new certification clears it.
    await make_profile(api, customer, "vat_special")
    assert (await summary(client, customer))["blockers"] == []


async def test_no_address(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    await api.certify(customer)
    await make_profile(api, customer)
    await make_bill(api, customer.account_id, "2026-10")
    assert (await summary(client, customer))["blockers"] == ["no_address"]

    address = await make_address(api, customer)
    assert (await summary(client, customer))["blockers"] == []
    deleted = await client.delete(f"/v1/mailing-addresses/{address['id']}", headers=customer.headers)
    assert deleted.status_code == 204
    assert (await summary(client, customer))["blockers"] == ["no_address"]


async def test_nothing_invoiceable(client: httpx.AsyncClient, api: Api, app: FastAPI) -> None:
    customer = await api.customer()
    await api.certify(customer)
    await make_profile(api, customer)
    await make_address(api, customer)
    await make_bill(api, customer.account_id, "2026-09", cash="0.00", voucher="80.00", card="20.00")
    body = await summary(client, customer)
    assert body["blockers"] == ["nothing_invoiceable"]
    assert body["invoiceable_amount"] == "0.00"
    assert body["bills"] == {"count": 0, "amount": "0.00"}

    card = await make_card(api, customer.account_id, paid="3.00")
    assert (await summary(client, customer))["blockers"] == []
    await force_requested_amount(app, "card", card["id"], 300)
    body = await summary(client, customer)
    assert body["blockers"] == ["nothing_invoiceable"]
    assert body["can_request"] is False


async def test_query_count_does_not_grow_with_the_number_of_items(
    client: httpx.AsyncClient, api: Api, app: FastAPI
) -> None:
    small, _ = await ready_customer(api)
    large, _ = await ready_customer(api)
    for month in range(1, 10):
        for year in (2023, 2024, 2025):
            await make_bill(api, large.account_id, f"{year}-{month:02d}", cash="1.00")
    for n in range(10):
        await make_card(api, large.account_id, f"SVC-{n}", paid="2.00")
    for _ in range(5):
        await make_profile(api, large)
        await make_address(api, large)

    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = app.state.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        small_body = await summary(client, small)
        small_count = len(statements)
        statements.clear()
        large_body = await summary(client, large)
        large_count = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert small_body["bills"]["count"] == 1
    assert large_body["bills"] == {"count": 28, "amount": "127.00"}
    assert large_body["stored_value_cards"] == {"count": 10, "amount": "20.00"}
    assert large_count == small_count


async def test_only_customers_read_the_summary(client: httpx.AsyncClient, api: Api) -> None:
    assert (await client.get("/v1/invoiceable-summary", headers=api.billing)).status_code == 403
    assert (await client.get("/v1/invoiceable-summary", headers=api.finance)).status_code == 403
    anonymous = await client.get("/v1/invoiceable-summary")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthenticated"
