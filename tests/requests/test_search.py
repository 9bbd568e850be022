"""The finance desk's search (SPEC §9): every filter of GET /v1/invoice-requests, alone and combined,
keyset-paged, and the 422s that name the field; on both databases."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.core.clock import utcnow
from app.requests.models import InvoiceRequest
from tests.factories import OTHER_TAXPAYER_ID, Api, make_bill
from tests.requests.helpers import Ready, create, issue_whole, move, ready_customer
from tests.sellers.helpers import default_seller, make_seller

_BILL_AMOUNTS = ("total_amount", "cash_amount", "voucher_amount", "stored_value_card_amount")


async def _ids(client: httpx.AsyncClient, api: Api, **params: Any) -> list[str]:
    """Every id the finance list gives for `params`, walking all pages."""
    ids: list[str] = []
    cursor = None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        response = await client.get("/v1/invoice-requests", params=query, headers=api.finance)
        assert response.status_code == 200, response.text
        page = response.json()
        ids += [row["id"] for row in page["data"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return ids


def _refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert [error["field"] for error in body["errors"]] == [field], body


async def _desk(client: httpx.AsyncClient, api: Api) -> tuple[str, Ready, list[dict[str, Any]]]:
    """A customer (a unique title with Chinese in it) with three requests of 100, 250 and 400."""
    token = uuid.uuid4().hex[:8]
    ready = await ready_customer(api, bills=0, enterprise_name=f"上海{token}云计算 Cloud Ltd.")
    made = []
    for month, cash in enumerate(("100.00", "250.00", "400.00"), start=1):
        bill = await make_bill(api, ready.customer.account_id, period=f"2026-0{month}", cash=cash)
        ready.bills.append(bill)
        made.append(await create(client, ready, bills=[bill]))
    return token, ready, made


async def test_title_is_a_case_insensitive_substring_and_pages_by_keyset(
    client: httpx.AsyncClient, api: Api
) -> None:
    token, _ready, made = await _desk(client, api)
    newest_first = [request["id"] for request in reversed(made)]
    assert await _ids(client, api, title=token.upper() + "云计算 cloud") == newest_first
    assert await _ids(client, api, title=f"{token}云", limit=1) == newest_first  # three pages
    assert await _ids(client, api, title="上海" + token) == newest_first
    assert await _ids(client, api, title=token + "x") == []
    # LIKE's wildcards are plain text in a search
    assert await _ids(client, api, title=token[:4] + "%" + token[5:]) == []
    assert await _ids(client, api, title=token[:4] + "_" + token[5:]) == []


async def test_amount_range_account_and_status_combine(client: httpx.AsyncClient, api: Api) -> None:
    token, ready, made = await _desk(client, api)
    account = ready.customer.account_id
    assert await _ids(client, api, account_id=account, amount_min="250.00") == [made[2]["id"], made[1]["id"]]
    assert await _ids(client, api, account_id=account, amount_max="250") == [made[1]["id"], made[0]["id"]]
    assert await _ids(client, api, title=token, amount_min="100.01", amount_max="399.99") == [made[1]["id"]]
    assert await _ids(client, api, account_id=account, amount_min="250.00", amount_max="250.00") == [
        made[1]["id"]
    ]
    assert (await move(client, api, made[2]["id"], "start")).status_code == 200
    assert await _ids(client, api, title=token, status="processing") == [made[2]["id"]]
    assert await _ids(client, api, title=token, status="pending", amount_min="300") == []


async def test_seller_id_keeps_one_sellers_requests(client: httpx.AsyncClient, api: Api) -> None:
    token, ready, made = await _desk(client, api)  # the default seller's
    other = await make_seller(api)
    bill = await make_bill(api, ready.customer.account_id, period="2026-05", cash="70.00")
    moved = await client.put(
        f"/v1/accounts/{ready.customer.account_id}/bills/2026-05",
        json={**{k: bill[k] for k in _BILL_AMOUNTS}, "seller_id": other["id"]},
        headers=api.billing,
    )
    assert moved.status_code == 200, moved.text
    theirs = await create(client, ready, bills=[moved.json()])
    assert theirs["seller"]["id"] == other["id"]
    default = (await default_seller(api))["id"]
    assert await _ids(client, api, title=token, seller_id=other["id"]) == [theirs["id"]]
    assert await _ids(client, api, title=token, seller_id=default) == [r["id"] for r in reversed(made)]
    assert await _ids(client, api, title=token, seller_id=str(uuid.uuid4())) == []


async def test_invoice_number_is_exact_whatever_its_case(client: httpx.AsyncClient, api: Api) -> None:
    _token, _ready, made = await _desk(client, api)
    number = "FD-" + uuid.uuid4().hex[:12].upper()
    await issue_whole(client, api, made[1], number)
    assert await _ids(client, api, invoice_number=number) == [made[1]["id"]]
    assert await _ids(client, api, invoice_number=number.lower()) == [made[1]["id"]]
    assert await _ids(client, api, invoice_number=number[:-1]) == []


async def test_taxpayer_id_and_invoice_type(client: httpx.AsyncClient, api: Api) -> None:
    token = uuid.uuid4().hex[:8]
    paper = await ready_customer(api, bills=1, enterprise_name=f"Paper {token}")
    electronic = await ready_customer(
        api,
        bills=1,
        invoice_type="electronic_ordinary",
        enterprise_name=f"Electronic {token}",
        taxpayer_id=OTHER_TAXPAYER_ID,
    )
    on_paper = await create(client, paper)
    emailed = await create(client, electronic)
    assert await _ids(client, api, title=token, taxpayer_id=OTHER_TAXPAYER_ID) == [emailed["id"]]
    assert await _ids(client, api, title=token, invoice_type="vat_ordinary") == [on_paper["id"]]
    assert await _ids(client, api, title=token, invoice_type="electronic_ordinary") == [emailed["id"]]
    assert (
        await _ids(client, api, title=token, taxpayer_id=OTHER_TAXPAYER_ID, invoice_type="vat_ordinary") == []
    )
    listed = (await client.get("/v1/invoice-requests", params={"title": token}, headers=api.finance)).json()[
        "data"
    ]
    assert {row["title"] for row in listed} == {f"Paper {token}", f"Electronic {token}"}


async def test_issued_dates_are_shanghai_days(client: httpx.AsyncClient, api: Api) -> None:
    _token, _ready, made = await _desk(client, api)
    request = made[0]
    assert (await move(client, api, request["id"], "start")).status_code == 200
    # 17:30 UTC on 10 March is 01:30 on 11 March in Shanghai.
    invoice = {
        "number": "D-" + uuid.uuid4().hex[:10],
        "amount": request["amount"],
        "issued_at": "2025-03-10T17:30:00Z",
    }
    response = await move(client, api, request["id"], "issue", {"invoices": [invoice]})
    assert response.status_code == 200, response.text
    account = request["account_id"]
    assert await _ids(client, api, account_id=account, issued_from="2025-03-11", issued_to="2025-03-11") == [
        request["id"]
    ]
    assert await _ids(client, api, account_id=account, issued_to="2025-03-10") == []
    assert await _ids(client, api, account_id=account, issued_from="2025-03-12") == []
    assert await _ids(client, api, account_id=account, issued_from="2025-03-01") == [request["id"]]


async def test_overdue_is_an_open_request_past_its_due_time(
    client: httpx.AsyncClient, api: Api, app: FastAPI
) -> None:
    token, ready, made = await _desk(client, api)
    late, on_time, ended = made
    async with app.state.database.write_session() as session, session.begin():
        for request in (late, ended):
            await session.execute(
                update(InvoiceRequest)
                .where(InvoiceRequest.id == uuid.UUID(request["id"]))
                .values(due_at=utcnow() - timedelta(hours=1))
            )
    assert await _ids(client, api, title=token, overdue="true") == [ended["id"], late["id"]]
    rejected = await move(client, api, ended["id"], "reject", {"reason": "Duplicate"})
    assert rejected.json()["overdue"] is False  # ended: it no longer ages
    assert (await move(client, api, late["id"], "start")).json()["overdue"] is True  # still open
    assert await _ids(client, api, title=token, overdue="true") == [late["id"]]
    listed = {
        row["id"]: row["overdue"]
        for row in (
            await client.get("/v1/invoice-requests", params={"title": token}, headers=api.finance)
        ).json()["data"]
    }
    assert listed == {late["id"]: True, on_time["id"]: False, ended["id"]: False}
    own = await client.get("/v1/invoice-requests", params={"overdue": "true"}, headers=ready.headers)
    assert [row["id"] for row in own.json()["data"]] == [late["id"]]  # a customer's own, too


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"amount_min": "300.00", "amount_max": "200.00"}, "query.amount_min"),
        ({"amount_min": "1.234"}, "query.amount_min"),
        ({"amount_max": "-1"}, "query.amount_max"),
        ({"issued_from": "2026-02-30"}, "query.issued_from"),
        ({"issued_to": "yesterday"}, "query.issued_to"),
        ({"issued_from": "2026-03-02", "issued_to": "2026-03-01"}, "query.issued_from"),
        ({"overdue": "false"}, "query.overdue"),
        ({"invoice_type": "paper"}, "query.invoice_type"),
        ({"invoice_number": "A B"}, "query.invoice_number"),
        ({"titel": "Acme"}, "query.titel"),
        ({"seller": "x"}, "query.seller"),
        ({"seller_id": "not-a-seller"}, "query.seller_id"),
    ],
)
async def test_bad_filters_are_422_naming_the_field(
    client: httpx.AsyncClient, api: Api, params: dict[str, str], field: str
) -> None:
    _refused(await client.get("/v1/invoice-requests", params=params, headers=api.finance), field)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"title": "Acme\x00"}, "query.title"),
        ({"title": "two\nlines"}, "query.title"),
        ({"title": "x" * 201}, "query.title"),
        ({"taxpayer_id": "91350100M000100Y4'"}, "query.taxpayer_id"),
    ],
)
async def test_search_text_no_stored_value_can_hold_is_422(
    client: httpx.AsyncClient, api: Api, params: dict[str, str], field: str
) -> None:
    _refused(await client.get("/v1/invoice-requests", params=params, headers=api.finance), field)
