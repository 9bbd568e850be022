"""Creating invoice requests: the response, the reservation, and every refusal in its order."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from app.core.settings import Settings
from app.main import create_app
from tests.factories import OTHER_TAXPAYER_ID, Api, make_address, make_bill, make_card, make_profile
from tests.requests.helpers import Ready, create, ready_customer, selection


async def _post(client: httpx.AsyncClient, ready: Ready, body: dict[str, object]) -> httpx.Response:
    return await client.post("/v1/invoice-requests", json=body, headers=ready.headers)


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code, body
    return dict(body)


async def test_request_takes_whole_invoiceable_amounts_and_starts_pending(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=2, cards=1, cash="120.50")
    body = await create(client, ready, remark="  Before month end  ")

    assert body["status"] == "pending"
    assert body["amount"] == "741.00"  # 120.50 + 120.50 + 500.00
    assert body["invoice_type"] == "vat_ordinary"
    assert body["remark"] == "Before month end"
    assert body["account_id"] == ready.customer.account_id
    # `label` is English; `period` / `card_no` let a client word the line in its own language.
    terms = ("seller_id", "tax_rate", "tax_category_code", "item_name")
    default_terms = (body["seller"]["id"], "0.06", "3040201000000000000", "*信息技术服务*云服务费")
    assert all(tuple(item[name] for name in terms) == default_terms for item in body["items"])
    assert [{k: v for k, v in item.items() if k not in terms} for item in body["items"]] == [
        {
            "kind": "bill",
            "id": ready.bills[0]["id"],
            "label": "Bill 2020-01",
            "period": "2020-01",
            "card_no": None,
            "amount": "120.50",
        },
        {
            "kind": "bill",
            "id": ready.bills[1]["id"],
            "label": "Bill 2020-02",
            "period": "2020-02",
            "card_no": None,
            "amount": "120.50",
        },
        {
            "kind": "stored_value_card",
            "id": ready.cards[0]["id"],
            "label": "Stored-value card SVC-0000",
            "period": None,
            "card_no": "SVC-0000",
            "amount": "500.00",
        },
    ]
    assert body["profile"]["id"] == ready.profile["id"]
    assert body["profile"]["title"] == "Acme Cloud Ltd."
    assert body["address"]["email"] == "invoices@acme.example"
    assert body["invoices"] == []
    assert [(e["status"], e["actor_role"]) for e in body["events"]] == [("pending", "customer")]
    assert body["created_at"] == body["updated_at"] == body["events"][0]["at"]
    assert body["created_at"].endswith("Z")

    bill = (await client.get(f"/v1/bills/{ready.bills[0]['id']}", headers=ready.headers)).json()
    assert (bill["requested_amount"], bill["invoiceable_amount"]) == ("120.50", "0.00")
    card = (await client.get(f"/v1/stored-value-cards/{ready.cards[0]['id']}", headers=ready.headers)).json()
    assert (card["requested_amount"], card["invoiceable_amount"]) == ("500.00", "0.00")

    read = await client.get(f"/v1/invoice-requests/{body['id']}", headers=ready.headers)
    assert read.status_code == 200
    assert read.json() == body


async def test_created_request_is_announced_on_the_outbox(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    body = await create(client, ready)
    feed: list[dict[str, object]] = []
    cursor = None
    mine: list[dict[str, object]] = []
    # On PostgreSQL the feed only serves transactions older than every writer still running in
    # the cluster (other tests' too), so a consumer may have to poll briefly.
    for _attempt in range(100):
        params = {"limit": 100} | ({"after": cursor} if cursor else {})
        page = (await client.get("/v1/events", params=params, headers=api.finance)).json()
        feed += page["data"]
        cursor = page["next_cursor"]
        mine = [
            e
            for e in feed
            if e["account_id"] == ready.customer.account_id and str(e["type"]).startswith("invoice")
        ]
        if mine and not page["has_more"]:
            break
        if not page["has_more"]:
            await asyncio.sleep(0.1)
    assert [e["type"] for e in mine] == ["invoice_request.created"]
    # The request as it was created; what a reader may do next is not part of the record.
    assert mine[0]["data"] == {key: value for key, value in body.items() if key != "allowed_moves"}


async def test_second_request_for_same_bill_is_refused_naming_the_item(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=2)
    await create(client, ready, bills=ready.bills[:1])
    response = await _post(client, ready, selection(ready))
    body = _problem(response, 409, "item_not_invoiceable")
    assert body["items"] == [{"kind": "bill", "id": ready.bills[0]["id"]}]
    # Nothing of the refused request was kept: the other bill is still fully invoiceable.
    other = (await client.get(f"/v1/bills/{ready.bills[1]['id']}", headers=ready.headers)).json()
    assert other["invoiceable_amount"] == "100.00"


async def test_voucher_only_bill_is_not_invoiceable(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=0)
    bill = await make_bill(api, ready.customer.account_id, period="2026-01", cash="0.00", voucher="80.00")
    body = _problem(await _post(client, ready, selection(ready, bills=[bill])), 409, "item_not_invoiceable")
    assert body["items"] == [{"kind": "bill", "id": bill["id"]}]


async def test_refusals_come_in_the_contract_order(client: httpx.AsyncClient, api: Api) -> None:
    """An account failing every check is refused for the first; fixing it reveals the next."""
    customer = await api.customer(cash_balance="-5.00")
    other = await ready_customer(api, bills=1)
    exhausted = await make_bill(api, customer.account_id, period="2026-01", cash="0.00", voucher="9.00")
    ready = Ready(customer=customer, profile={"id": str(uuid.uuid4())}, address={"id": "nope"})
    # Empty selection, a foreign bill, an unknown profile, an exhausted bill: all wrong at once.
    broken = selection(ready, bills=[], cards=[])

    _problem(await _post(client, ready, broken), 409, "certification_required")
    await api.certify(customer)
    _problem(await _post(client, ready, broken), 409, "cash_balance_not_positive")
    await client.put(
        f"/v1/accounts/{customer.account_id}/cash-balance", json={"cash_balance": "0.01"}, headers=api.billing
    )
    _problem(await _post(client, ready, broken), 422, "validation_error")

    broken["bill_ids"] = [exhausted["id"], other.bills[0]["id"]]
    _problem(await _post(client, ready, broken), 404, "not_found")  # unknown profile
    ready.profile = await make_profile(api, customer, "electronic_ordinary")
    broken["profile_id"] = ready.profile["id"]
    _problem(await _post(client, ready, broken), 404, "not_found")  # malformed address id
    ready.address = await make_address(api, customer, email=None)
    broken["address_id"] = ready.address["id"]
    _problem(await _post(client, ready, broken), 404, "not_found")  # another account's bill

    broken["bill_ids"] = [exhausted["id"]]
    await api.certify(customer, taxpayer_id=OTHER_TAXPAYER_ID)
    _problem(await _post(client, ready, broken), 409, "profile_not_usable")
    await api.certify(customer)
    _problem(await _post(client, ready, broken), 422, "address_incomplete")  # electronic, no email
    ready.address = await make_address(api, customer)
    broken["address_id"] = ready.address["id"]
    _problem(await _post(client, ready, broken), 409, "item_not_invoiceable")

    good = await make_bill(api, customer.account_id, period="2026-02", cash="1.00")
    broken["bill_ids"] = [good["id"]]
    assert (await _post(client, ready, broken)).status_code == 201


@pytest.mark.parametrize(
    ("bills", "cards", "field"),
    [
        ([], [], "body"),
        (["same", "same"], [], "body.bill_ids"),
        ([], ["c", "c"], "body.stored_value_card_ids"),
    ],
)
async def test_selection_problems_are_validation_errors(
    client: httpx.AsyncClient, api: Api, bills: list[str], cards: list[str], field: str
) -> None:
    ready = await ready_customer(api, bills=0)
    body = _problem(
        await _post(
            client, ready, selection(ready, bills=[], cards=[], bill_ids=bills, stored_value_card_ids=cards)
        ),
        422,
        "validation_error",
    )
    assert body["errors"][0]["field"] == field  # type: ignore[index]


async def test_the_same_id_spelled_twice_is_a_duplicate(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    bill_id = ready.bills[0]["id"]
    body = selection(ready, bill_ids=[bill_id, bill_id.upper()])
    _problem(await _post(client, ready, body), 422, "validation_error")


async def test_more_than_500_items_is_refused_before_looking_them_up(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=0)
    body = selection(
        ready,
        bill_ids=[str(uuid.uuid4()) for _ in range(300)],
        stored_value_card_ids=[str(uuid.uuid4()) for _ in range(201)],
    )
    _problem(await _post(client, ready, body), 422, "validation_error")
    # 1001 ids in one list is refused by the schema itself.
    body["bill_ids"] = ["x"] * 1001
    _problem(await _post(client, ready, body), 422, "validation_error")


@pytest.mark.parametrize(
    "patch",
    [
        {"bill_ids": [12345]},
        {"profile_id": 7},
        {"remark": "x" * 10_000},
        {"bill_ids": ["x" * 10_000]},
        {"unexpected": True},
        {"remark": "bell\x07"},
    ],
)
async def test_malformed_bodies_are_422(
    client: httpx.AsyncClient, api: Api, patch: dict[str, object]
) -> None:
    ready = await ready_customer(api, bills=1)
    _problem(await _post(client, ready, selection(ready) | patch), 422, "validation_error")


@pytest.mark.parametrize("what", ["profile", "address", "bill", "card"])
async def test_another_accounts_items_are_not_found(client: httpx.AsyncClient, api: Api, what: str) -> None:
    mine = await ready_customer(api, bills=1, cards=1)
    theirs = await ready_customer(api, bills=1, cards=1)
    body = selection(mine)
    if what == "profile":
        body["profile_id"] = theirs.profile["id"]
    elif what == "address":
        body["address_id"] = theirs.address["id"]
    elif what == "bill":
        body["bill_ids"] = [mine.bills[0]["id"], theirs.bills[0]["id"]]
    else:
        body["stored_value_card_ids"] = [theirs.cards[0]["id"]]
    _problem(await _post(client, mine, body), 404, "not_found")
    # Nothing was reserved by the refused request.
    bill = (await client.get(f"/v1/bills/{mine.bills[0]['id']}", headers=mine.headers)).json()
    assert bill["requested_amount"] == "0.00"


@pytest.mark.parametrize("field", ["bill_ids", "stored_value_card_ids", "profile_id", "address_id"])
async def test_malformed_ids_are_not_found(client: httpx.AsyncClient, api: Api, field: str) -> None:
    ready = await ready_customer(api, bills=1)
    body = selection(ready)
    body[field] = ["not-a-uuid"] if field.endswith("_ids") else "not-a-uuid"
    _problem(await _post(client, ready, body), 404, "not_found")


async def test_deleted_profile_and_address_are_not_found(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    profile_id = ready.profile["id"]
    assert (
        await client.delete(f"/v1/invoice-profiles/{profile_id}", headers=ready.headers)
    ).status_code == 204
    _problem(await _post(client, ready, selection(ready)), 404, "not_found")

    ready.profile = await make_profile(api, ready.customer)
    address_id = ready.address["id"]
    assert (
        await client.delete(f"/v1/mailing-addresses/{address_id}", headers=ready.headers)
    ).status_code == 204
    _problem(await _post(client, ready, selection(ready)), 404, "not_found")


async def test_paper_invoice_needs_a_postal_address(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1, invoice_type="vat_special")
    ready.address = await make_address(api, ready.customer, address=None, postal_code=None)
    _problem(await _post(client, ready, selection(ready)), 422, "address_incomplete")


async def test_snapshots_survive_profile_edit_and_address_delete(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1, invoice_type="vat_special")
    created = await create(client, ready)

    patched = await client.patch(
        f"/v1/invoice-profiles/{ready.profile['id']}",
        json={"bank_name": "Industrial Bank, Xiamen", "invoice_type": "vat_special"},
        headers=ready.headers,
    )
    assert patched.status_code == 200, patched.text
    deleted = await client.delete(f"/v1/mailing-addresses/{ready.address['id']}", headers=ready.headers)
    assert deleted.status_code == 204

    read = (await client.get(f"/v1/invoice-requests/{created['id']}", headers=ready.headers)).json()
    assert read["profile"] == created["profile"]
    assert read["profile"]["bank_name"] == "Bank of China, Fuzhou Branch"
    assert read["address"] == created["address"]
    assert read["address"]["recipient"] == "Li Lei"


async def test_cards_alone_can_be_requested(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=0)
    card = await make_card(api, ready.customer.account_id, card_no="ONLY-1", paid="88.80", face="100.00")
    body = await create(client, ready, cards=[card])
    assert body["amount"] == "88.80"
    assert [item["kind"] for item in body["items"]] == ["stored_value_card"]


@pytest.fixture
async def lenient_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The same database, served with INVOICING_REQUIRE_POSITIVE_CASH_BALANCE=false."""
    application = create_app(settings.model_copy(update={"require_positive_cash_balance": False}))
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await application.state.database.dispose()


async def test_arrears_can_be_allowed_by_configuration(
    client: httpx.AsyncClient, lenient_client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=1, cash_balance="-100.00")
    _problem(await _post(client, ready, selection(ready)), 409, "cash_balance_not_positive")
    response = await _post(lenient_client, ready, selection(ready))
    assert response.status_code == 201, response.text


async def test_refusals_and_creations_are_counted_in_metrics(client: httpx.AsyncClient, api: Api) -> None:
    def value(text: str, name: str) -> float:
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        return 0.0

    refused = 'invoicing_invoice_requests_refused_total{code="item_not_invoiceable"}'
    before = (await client.get("/metrics")).text
    ready = await ready_customer(api, bills=1)
    await create(client, ready)
    await _post(client, ready, selection(ready))
    after = (await client.get("/metrics")).text
    assert value(after, "invoicing_invoice_requests_created_total") == (
        value(before, "invoicing_invoice_requests_created_total") + 1
    )
    assert value(after, refused) == value(before, refused) + 1


async def test_a_retried_request_with_the_same_idempotency_key_is_made_once(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=2)
    headers = ready.headers | {"Idempotency-Key": f"retry-{uuid.uuid4()}"}
    first = await client.post("/v1/invoice-requests", json=selection(ready), headers=headers)
    second = await client.post("/v1/invoice-requests", json=selection(ready), headers=headers)
    assert first.status_code == second.status_code == 201, second.text
    assert second.json() == first.json()
    assert second.headers.get("idempotent-replayed") == "true"
    listed = (await client.get("/v1/invoice-requests", headers=ready.headers)).json()
    assert [r["id"] for r in listed["data"]] == [first.json()["id"]]
