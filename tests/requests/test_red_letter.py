"""Red-letter reversal (SPEC §7): the buyer's confirmation, its decline and expiry, and the
red-letter invoices that end it; on SQLite and PostgreSQL, with a real worker and SMTP server."""

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from app import jobs
from app.core.clock import utcnow
from app.core.settings import Settings
from app.events.models import Event
from app.mail.transport import SmtpMailer, parse_smtp_url
from app.requests.models import InvoiceRequest
from app.requests.red_letter import EXPIRY_JOB
from app.worker.models import Job
from app.worker.registry import Registry
from app.worker.runner import Worker
from tests.factories import Api, make_address, make_bill
from tests.requests.helpers import (
    Ready,
    create,
    invoice_number,
    move,
    ready_customer,
    red_invoices,
    to_status,
)
from tests.worker.smtp import Recorder, smtp_server


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Recorder, str]]:
    with smtp_server() as server:
        yield server


def _worker(app: FastAPI, url: str) -> Worker:
    settings = Settings(
        database_url=app.state.settings.database_url,
        smtp_url=url,
        mail_from="Billing Center <billing@cloud.example>",
        worker_retry_seconds="0,0",
    )
    registry = Registry()
    registry.kinds.update(jobs.load_registry().kinds)
    return Worker(
        app.state.database, settings, registry, {"mailer": SmtpMailer(parse_smtp_url(url), timeout=10)}
    )


async def _special(api: Api, **kwargs: Any) -> Ready:
    """A customer invoiced on VAT special invoices, with an address of its own email."""
    ready = await ready_customer(api, invoice_type="vat_special", **kwargs)
    ready.address = await make_address(api, ready.customer, email=f"{uuid.uuid4().hex[:10]}@acme.example")
    return ready


async def _read(client: httpx.AsyncClient, headers: dict[str, str], request_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/invoice-requests/{request_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _invoiceable(client: httpx.AsyncClient, ready: Ready) -> str:
    summary = (await client.get("/v1/invoiceable-summary", headers=ready.headers)).json()
    return str(summary["invoiceable_amount"])


async def _customer(
    client: httpx.AsyncClient, ready: Ready, request_id: str, path: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post(f"/v1/invoice-requests/{request_id}/{path}", json=body, headers=ready.headers)


async def _events(app: FastAPI, account_id: str, type_: str) -> list[dict[str, Any]]:
    async with app.state.database.read_session() as session:
        rows = await session.execute(
            select(Event.data).where(Event.account_id == uuid.UUID(account_id), Event.type == type_)
        )
        return [dict(row[0]) for row in rows]


async def _make_due(app: FastAPI, request_id: str) -> None:
    """Move the red letter's deadline (and its expiry job) into the past, as if the hours went by."""
    past = utcnow() - timedelta(seconds=5)
    async with app.state.database.write_session() as session, session.begin():
        request = (
            await session.execute(select(InvoiceRequest).where(InvoiceRequest.id == uuid.UUID(request_id)))
        ).scalar_one()
        letter = {**request.red_letter, "expires_at": past.isoformat()}
        await session.execute(
            update(InvoiceRequest).where(InvoiceRequest.id == request.id).values(red_letter=letter)
        )
        await session.execute(
            update(Job)
            .where(Job.kind == EXPIRY_JOB, Job.payload["request_id"].as_string() == request_id)
            .values(run_after=past)
        )


def _to(recorder: Recorder, email: str) -> list[Any]:
    return [item.message for item in recorder.received if email in item.rcpt_tos]


async def test_a_special_invoice_awaits_the_buyer_until_the_deadline(
    client: httpx.AsyncClient, api: Api, app: FastAPI, smtp: tuple[Recorder, str]
) -> None:
    recorder, url = smtp
    ready = await _special(api, bills=1)
    delivered = await to_status(client, api, ready, "delivered")
    response = await move(client, api, delivered["id"], "reverse", {"reason": "Wrong taxpayer id"})
    assert response.status_code == 200, response.text
    reversing = response.json()
    letter = reversing["red_letter"]
    assert reversing["status"] == "reversing"
    assert {k: v for k, v in letter.items() if k not in ("requested_at", "expires_at")} == {
        "reason_code": "issue_error",
        "reason": "Wrong taxpayer id",
        "buyer_usage": "deducted",
        "confirmation": "awaiting_buyer",
        "form_no": None,
        "red_invoices": [],
        "issuing": False,
    }
    requested = datetime.fromisoformat(letter["requested_at"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(letter["expires_at"].replace("Z", "+00:00"))
    assert expires - requested == timedelta(hours=72)
    assert reversing["allowed_moves"] == []  # finance waits for the buyer
    customer = await _read(client, ready.headers, delivered["id"])
    assert customer["allowed_moves"] == ["confirm_red_letter", "decline_red_letter"]
    # Reversing still holds the amounts.
    assert await _invoiceable(client, ready) == "0.00"
    response = await move(client, api, delivered["id"], "red-invoices", {"invoices": red_invoices(delivered)})
    assert response.status_code == 409 and response.json()["code"] == "red_letter_not_confirmed"

    # The customer is asked, with the deadline.
    await _worker(app, url).drain()
    (asked,) = [m for m in _to(recorder, ready.address["email"]) if "请确认红字发票" in m["Subject"]]
    assert "confirm the red-letter reversal" in asked["Subject"]
    body = asked.get_body(("plain",)).get_content()
    assert expires.strftime("%Y-%m-%d %H:%M") in body and delivered["invoices"][0]["number"] in body


@pytest.mark.parametrize(
    ("invoice_type", "given", "usage", "confirmation"),
    [
        ("vat_ordinary", None, "none", "not_required"),
        ("electronic_ordinary", None, "none", "not_required"),
        ("vat_ordinary", "booked", "booked", "awaiting_buyer"),
        ("vat_special", "none", "none", "not_required"),
    ],
)
async def test_buyer_usage_decides_whether_the_buyer_must_agree(
    client: httpx.AsyncClient, api: Api, invoice_type: str, given: str | None, usage: str, confirmation: str
) -> None:
    ready = await ready_customer(api, bills=1, invoice_type=invoice_type)
    issued = await to_status(client, api, ready, "issued")
    body: dict[str, Any] = {"reason": "Returned", "reason_code": "sales_return"}
    if given is not None:
        body["buyer_usage"] = given
    response = await move(client, api, issued["id"], "reverse", body)
    assert response.status_code == 200, response.text
    letter = response.json()["red_letter"]
    assert (letter["buyer_usage"], letter["confirmation"], letter["reason_code"]) == (
        usage,
        confirmation,
        "sales_return",
    )
    assert (letter["expires_at"] is None) == (confirmation == "not_required")
    moves = response.json()["allowed_moves"]
    assert moves == (["record_red_invoices"] if confirmation == "not_required" else [])


_AMOUNTS = ("amount", "amount_excluding_tax", "tax_amount")


async def test_confirmed_then_recorded_red_invoices_mirror_the_blue_ones_and_release(
    client: httpx.AsyncClient, api: Api, app: FastAPI, smtp: tuple[Recorder, str]
) -> None:
    recorder, url = smtp
    ready = await _special(api, bills=2, cash="300.00")
    request = await create(client, ready)
    await move(client, api, request["id"], "start")
    blue = [invoice_number(), invoice_number()]
    body = {"invoices": [{"number": blue[0], "amount": "100.00"}, {"number": blue[1], "amount": "500.00"}]}
    issued = (await move(client, api, request["id"], "issue", body)).json()
    await move(client, api, issued["id"], "reverse", {"reason": "Wrong header"})
    response = await _customer(
        client, ready, issued["id"], "red-letter/confirm", {"form_no": "4403002412030001"}
    )
    assert response.status_code == 200, response.text
    confirmed = response.json()
    assert confirmed["red_letter"]["confirmation"] == "confirmed"
    assert confirmed["red_letter"]["form_no"] == "4403002412030001"
    last = confirmed["events"][-1]
    assert (last["status"], last["actor_role"], last["note_code"]) == (
        "reversing",
        "customer",
        "red_letter_confirmed",
    )
    assert confirmed["allowed_moves"] == []  # nothing left for the customer
    assert (await _read(client, api.finance, issued["id"]))["allowed_moves"] == ["record_red_invoices"]
    # Answered once: a second answer is not a move the table allows now.
    again = await _customer(client, ready, issued["id"], "red-letter/decline")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"

    red = [invoice_number(), invoice_number()]
    body = {
        "invoices": [
            {"number": red[0], "blue_number": blue[1].lower()},  # either case names the invoice
            {"number": red[1], "blue_number": blue[0], "issued_at": "2026-12-01T08:00:00Z"},
        ]
    }
    response = await move(client, api, issued["id"], "red-invoices", body)
    assert response.status_code == 200, response.text
    reversed_ = response.json()
    assert reversed_["status"] == "reversed"
    shown = [
        {k: v for k, v in r.items() if k != "issued_at"} for r in reversed_["red_letter"]["red_invoices"]
    ]
    assert [(r["number"], r["blue_number"], r["amount"]) for r in shown] == [
        (red[0], blue[1], "-500.00"),
        (red[1], blue[0], "-100.00"),
    ]

    def negated(figures: dict[str, str]) -> dict[str, str]:
        return {k: v if k not in _AMOUNTS else f"-{v}" for k, v in figures.items()}

    blues = {invoice["number"]: invoice for invoice in reversed_["invoices"]}
    for red_invoice in shown:  # every amount of its blue invoice negated: the totals and each line
        mirrored = blues[red_invoice["blue_number"]]
        for total in _AMOUNTS:
            assert red_invoice[total] == f"-{mirrored[total]}"
        assert red_invoice["lines"] == [negated(line) for line in mirrored["lines"]]
        assert red_invoice["lines"] and red_invoice["tax_amount"] != "0.00"
    assert reversed_["red_letter"]["red_invoices"][1]["issued_at"] == "2026-12-01T08:00:00Z"
    assert [i["number"] for i in reversed_["invoices"]] == blue  # the blue ones stay as issued
    assert reversed_["events"][-1]["note_code"] == "red_invoices_recorded"
    assert await _invoiceable(client, ready) == "600.00"
    assert await _read(client, ready.headers, issued["id"]) == {**reversed_, "allowed_moves": []}
    (event,) = await _events(app, ready.customer.account_id, "invoice_request.reversed")
    assert event["red_letter"]["red_invoices"] == reversed_["red_letter"]["red_invoices"]

    await _worker(app, url).drain()
    done = [m for m in _to(recorder, ready.address["email"]) if "冲红" in m["Subject"]]
    assert len(done) == 1 and "were reversed" in done[0]["Subject"]
    assert red[0] in done[0].get_body(("plain",)).get_content()


async def test_red_invoice_numbers_are_checked_against_the_blue_ones(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=2)
    request = await create(client, ready)
    await move(client, api, request["id"], "start")
    blue = [invoice_number(), invoice_number()]
    body = {"invoices": [{"number": blue[0], "amount": "100.00"}, {"number": blue[1], "amount": "100.00"}]}
    issued = (await move(client, api, request["id"], "issue", body)).json()
    other = await to_status(client, api, await ready_customer(api, bills=1), "issued")
    await move(client, api, issued["id"], "reverse", {"reason": "Wrong header"})

    async def record(*entries: tuple[str, str]) -> httpx.Response:
        invoices = [{"number": number, "blue_number": blue_number} for number, blue_number in entries]
        return await move(client, api, issued["id"], "red-invoices", {"invoices": invoices})

    cases = [
        ((("R1", other["invoices"][0]["number"]), ("R2", blue[1])), 422, "body.invoices.0.blue_number"),
        ((("R1", blue[0]), ("R2", blue[0])), 422, "body.invoices.1.blue_number"),
        ((("R1", blue[0]),), 422, "body.invoices"),
        (((blue[1].lower(), blue[0]), ("R2", blue[1])), 409, "body.invoices.0.number"),
        (((other["invoices"][0]["number"], blue[0]), ("R2", blue[1])), 409, "body.invoices.0.number"),
    ]
    for entries, status, field in cases:
        response = await record(
            *[(f"{n}-{uuid.uuid4().hex[:6]}" if n in ("R1", "R2") else n, b) for n, b in entries]
        )
        assert response.status_code == status, (entries, response.text)
        problem = response.json()
        assert problem["code"] == ("validation_error" if status == 422 else "duplicate_invoice_number")
        assert [error["field"] for error in problem["errors"]] == [field], problem
    # Nothing was recorded: the request still waits, and a right body ends it.
    assert (await _read(client, api.finance, issued["id"]))["status"] == "reversing"
    taken = invoice_number()
    response = await record((taken, blue[0]), (invoice_number(), blue[1]))
    assert response.status_code == 200, response.text
    # A red-letter number is taken for blue invoices too, whatever its case.
    ready = await ready_customer(api, bills=1)
    processing = await to_status(client, api, ready, "processing")
    body = {"invoices": [{"number": taken.lower(), "amount": processing["amount"]}]}
    response = await move(client, api, processing["id"], "issue", body)
    assert response.status_code == 409 and response.json()["code"] == "duplicate_invoice_number"


async def test_decline_puts_the_request_back_and_keeps_the_amounts(
    client: httpx.AsyncClient, api: Api, app: FastAPI
) -> None:
    ready = await _special(api, bills=1)
    delivered = await to_status(client, api, ready, "delivered")
    await move(client, api, delivered["id"], "reverse", {"reason": "Wrong header"})
    response = await _customer(
        client, ready, delivered["id"], "red-letter/decline", {"reason": "Already deducted"}
    )
    assert response.status_code == 200, response.text
    back = response.json()
    assert back["status"] == "delivered"
    assert back["red_letter"]["confirmation"] == "declined"
    assert back["events"][-1] == {**back["events"][-1], "status": "delivered", "actor_role": "customer"}
    assert back["events"][-1]["note"] == "Already deducted" and back["events"][-1]["note_code"] is None
    assert await _invoiceable(client, ready) == "0.00"
    (event,) = await _events(app, ready.customer.account_id, "invoice_request.reversal_declined")
    assert event["status"] == "delivered"
    # The invoices stand: finance may deliver again nothing, but may reverse again.
    assert (await _read(client, api.finance, delivered["id"]))["allowed_moves"] == ["reverse", "upload_file"]
    response = await _customer(client, ready, delivered["id"], "red-letter/confirm")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"


async def test_the_worker_expires_an_unanswered_reversal_once(
    client: httpx.AsyncClient, api: Api, app: FastAPI, smtp: tuple[Recorder, str]
) -> None:
    _, url = smtp
    ready = await _special(api, bills=1)
    issued = await to_status(client, api, ready, "issued")
    await move(client, api, issued["id"], "reverse", {"reason": "Wrong header"})
    worker = _worker(app, url)
    await worker.drain()  # not due yet: nothing happens
    assert (await _read(client, api.finance, issued["id"]))["status"] == "reversing"
    await _make_due(app, issued["id"])
    await worker.drain()
    await worker.drain()
    expired = await _read(client, ready.headers, issued["id"])
    assert expired["status"] == "issued"
    assert expired["red_letter"]["confirmation"] == "expired"
    last = expired["events"][-1]
    assert (last["status"], last["actor_role"], last["note_code"]) == ("issued", "system", "reversal_expired")
    assert expired["allowed_moves"] == ["reissue"]
    assert len(await _events(app, ready.customer.account_id, "invoice_request.reversal_expired")) == 1
    assert await _invoiceable(client, ready) == "0.00"


async def test_an_old_deadline_does_not_expire_a_later_reversal(
    client: httpx.AsyncClient, api: Api, app: FastAPI, smtp: tuple[Recorder, str]
) -> None:
    _, url = smtp
    ready = await _special(api, bills=1)
    issued = await to_status(client, api, ready, "issued")
    await move(client, api, issued["id"], "reverse", {"reason": "First try"})
    await _customer(client, ready, issued["id"], "red-letter/decline")
    await move(client, api, issued["id"], "reverse", {"reason": "Second try"})
    async with app.state.database.write_session() as session, session.begin():
        # Only the first reversal's job becomes due; the second's deadline is still ahead.
        first = (
            (
                await session.execute(
                    select(Job.id)
                    .where(Job.kind == EXPIRY_JOB, Job.payload["request_id"].as_string() == issued["id"])
                    .order_by(Job.id)
                )
            )
            .scalars()
            .first()
        )
        await session.execute(update(Job).where(Job.id == first).values(run_after=utcnow()))
    await _worker(app, url).drain()
    still = await _read(client, api.finance, issued["id"])
    assert still["status"] == "reversing" and still["red_letter"]["reason"] == "Second try"


async def test_a_reversal_that_settled_a_deficit_gives_it_back(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=0)
    account_id = ready.customer.account_id

    a = await make_bill(api, account_id, "2026-01", cash="1000.00")
    first = await create(client, ready, bills=[a])
    await move(client, api, first["id"], "start")
    await move(
        client, api, first["id"], "issue", {"invoices": [{"number": invoice_number(), "amount": "1000.00"}]}
    )
    amended = await client.put(
        f"/v1/accounts/{account_id}/bills/2026-01",
        json={
            "total_amount": "700.00",
            "cash_amount": "700.00",
            "voucher_amount": "0",
            "stored_value_card_amount": "0",
        },
        headers=api.billing,
    )
    assert amended.status_code == 200, amended.text
    b = await make_bill(api, account_id, "2026-02", cash="500.00")
    settling = (
        await to_status(client, api, ready, "issued") if False else await create(client, ready, bills=[b])
    )
    assert settling["amount"] == "200.00"  # 500.00 less the 300.00 over-invoiced on the first
    await move(client, api, settling["id"], "start")
    await move(
        client, api, settling["id"], "issue", {"invoices": [{"number": invoice_number(), "amount": "200.00"}]}
    )
    account = (await client.get("/v1/account", headers=ready.headers)).json()
    assert account["invoice_deficit"] == "0.00"
    reversing = (await move(client, api, settling["id"], "reverse", {"reason": "Re-rated"})).json()
    assert (await client.get("/v1/account", headers=ready.headers)).json()["invoice_deficit"] == "0.00"
    response = await move(client, api, settling["id"], "red-invoices", {"invoices": red_invoices(reversing)})
    assert response.status_code == 200, response.text
    assert response.json()["red_letter"]["red_invoices"][0]["amount"] == "-200.00"
    # The settled 300.00 is owed again, and bill b can be requested again.
    assert (await client.get("/v1/account", headers=ready.headers)).json()["invoice_deficit"] == "300.00"
    shown = (await client.get(f"/v1/bills/{b['id']}", headers=ready.headers)).json()
    assert shown["invoiceable_amount"] == "500.00"


async def test_red_letter_moves_need_the_right_role_and_a_reversing_request(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await _special(api, bills=1)
    issued = await to_status(client, api, ready, "issued")
    for path in ("red-letter/confirm", "red-letter/decline"):
        response = await _customer(client, ready, issued["id"], path)
        assert response.status_code == 409 and response.json()["code"] == "invalid_transition", path
        response = await move(client, api, issued["id"], path)
        assert response.status_code == 403, path
    response = await move(client, api, issued["id"], "red-invoices", {"invoices": red_invoices(issued)})
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    response = await _customer(
        client, ready, issued["id"], "red-invoices", {"invoices": red_invoices(issued)}
    )
    assert response.status_code == 403
    response = await _customer(client, ready, issued["id"], "reverse", {"reason": "x"})
    assert response.status_code == 403
    # Another account's request is not found.
    stranger = await ready_customer(api, bills=1)
    await move(client, api, issued["id"], "reverse", {"reason": "Wrong header"})
    response = await _customer(client, stranger, issued["id"], "red-letter/confirm")
    assert response.status_code == 404
    for body in ({"form_no": ""}, {"form_no": "有"}, {"extra": 1}, {"form_no": 12}):
        response = await _customer(client, ready, issued["id"], "red-letter/confirm", body)
        assert response.status_code == 422, body
    for body in ({"reason": "x", "reason_code": "other"}, {"reason": "x", "buyer_usage": "maybe"}):
        response = await move(client, api, issued["id"], "reverse", body)
        assert response.status_code == 422, body


async def test_requests_reversed_before_red_letters_keep_no_red_letter(
    client: httpx.AsyncClient, api: Api, app: FastAPI
) -> None:
    """What the migration leaves: a `reversed` request without a red letter reads as before."""
    ready = await ready_customer(api, bills=1)
    reversed_ = await to_status(client, api, ready, "reversed")
    async with app.state.database.write_session() as session, session.begin():
        await session.execute(
            update(InvoiceRequest)
            .where(InvoiceRequest.id == uuid.UUID(reversed_["id"]))
            .values(red_letter=None)
        )
    shown = await _read(client, api.finance, reversed_["id"])
    assert shown["status"] == "reversed" and shown["red_letter"] is None and shown["allowed_moves"] == []
    async with app.state.database.read_session() as session:
        count = await session.execute(select(func.count()).select_from(Event))
        assert count.scalar_one() > 0
