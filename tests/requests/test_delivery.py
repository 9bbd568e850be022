"""Delivery by email, end to end: the HTTP API queues it, a worker sends it to a real SMTP server
(aiosmtpd, started here), and the request shows the outcome; on SQLite and PostgreSQL."""

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app import jobs
from app.core.settings import Settings
from app.mail.transport import SmtpMailer, parse_smtp_url
from app.worker.registry import Registry
from app.worker.runner import Worker
from tests.factories import Api, make_address
from tests.requests.helpers import (
    PDF_BYTES,
    XML_BYTES,
    move,
    ofd_bytes,
    ready_customer,
    to_status,
    upload,
)
from tests.worker.smtp import Recorder, smtp_server


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Recorder, str]]:
    with smtp_server() as server:
        yield server


def _worker(app: FastAPI, url: str, retry: str = "0,0") -> Worker:
    """An in-process worker on the app's database, sending to the test SMTP server."""
    settings = Settings(
        database_url=app.state.settings.database_url,
        smtp_url=url,
        mail_from="Billing Center <billing@cloud.example>",
        worker_retry_seconds=retry,
    )
    registry = Registry()
    registry.kinds.update(jobs.load_registry().kinds)  # job kinds only: no periodic tasks here
    mailer = SmtpMailer(parse_smtp_url(url), timeout=10)
    return Worker(app.state.database, settings, registry, {"mailer": mailer})


def _email() -> str:
    return f"{uuid.uuid4().hex[:12]}@acme.example"


async def _electronic(client: httpx.AsyncClient, api: Api, **address: Any) -> tuple[Any, dict[str, Any]]:
    """An issued electronic request whose address has the given email/cc_emails, with a PDF."""
    ready = await ready_customer(api, bills=1, invoice_type="electronic_ordinary")
    ready.address = await make_address(api, ready.customer, address=None, **address)
    request = await to_status(client, api, ready, "issued")
    response = await upload(client, api, request)
    assert response.status_code == 200, response.text
    return ready, response.json()


async def _read(client: httpx.AsyncClient, api: Api, request_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/invoice-requests/{request_id}", headers=api.finance)
    return dict(response.json())


async def test_delivery_emails_every_file_to_the_email_and_cc_once(
    client: httpx.AsyncClient, api: Api, app: FastAPI, smtp: tuple[Recorder, str]
) -> None:
    recorder, url = smtp
    to, cc1, cc2 = _email(), _email(), _email()
    ready, request = await _electronic(client, api, email=to, cc_emails=[cc1, cc2])
    ofd = ofd_bytes()
    assert (await upload(client, api, request, "ofd", ofd)).status_code == 200
    assert (await upload(client, api, request, "xml", XML_BYTES)).status_code == 200
    number = request["invoices"][0]["number"]

    delivered = await move(client, api, request["id"], "deliver")
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["delivery"]["status"] == "queued"
    assert delivered.json()["delivery"]["to"] == [to, cc1, cc2]
    assert recorder.to(to) == []  # nothing is sent inside the API request

    worker = _worker(app, url)
    await worker.drain()
    await worker.drain()  # nothing left: the message is sent once
    [received] = recorder.to(to)
    assert sorted(received.rcpt_tos) == sorted([to, cc1, cc2])
    assert received.mail_from == "billing@cloud.example"
    message = received.message
    assert message["To"] == to
    assert message["Cc"] == f"{cc1}, {cc2}"
    assert message["Message-ID"].endswith("@cloud.example>")
    assert "发票" in message["Subject"] and "invoices" in message["Subject"]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert number in text and "您好" in text and "Dear" in text
    assert number in html and 'lang="zh-CN"' in html and 'lang="en"' in html
    attachments = {
        part.get_filename(): (part.get_content_type(), part.get_content())
        for part in message.iter_attachments()
    }
    assert attachments == {
        f"{number}.pdf": ("application/pdf", PDF_BYTES),
        f"{number}.ofd": ("application/ofd", ofd),
        f"{number}.xml": ("application/xml", XML_BYTES),
    }

    delivery = (await _read(client, api, request["id"]))["delivery"]
    assert delivery["status"] == "sent"
    assert delivery["attempts"] == 1
    assert delivery["last_error"] is None
    assert delivery["sent_at"] is not None and delivery["sent_at"].endswith("Z")
    customer_view = await client.get(f"/v1/invoice-requests/{request['id']}", headers=ready.headers)
    assert customer_view.json()["delivery"] == delivery


async def test_a_refusal_is_retried_with_the_same_message_id(
    client: httpx.AsyncClient, api: Api, app: FastAPI, smtp: tuple[Recorder, str]
) -> None:
    recorder, url = smtp
    to = _email()
    recorder.plans[to] = ["451 4.3.0 mailbox busy, try later"]
    _ready, request = await _electronic(client, api, email=to)
    assert (await move(client, api, request["id"], "deliver")).status_code == 200
    await _worker(app, url).drain()
    first, second = recorder.offered_to(to)
    assert first.message["Message-ID"] == second.message["Message-ID"]
    assert recorder.to(to) == [second]
    delivery = (await _read(client, api, request["id"]))["delivery"]
    assert (delivery["status"], delivery["attempts"], delivery["last_error"]) == ("sent", 2, None)


async def _delivery_failed_events(
    client: httpx.AsyncClient, api: Api, account_id: str
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100} | ({"after": cursor} if cursor else {})
        page = (await client.get("/v1/events", params=params, headers=api.finance)).json()
        events += [
            e
            for e in page["data"]
            if e["account_id"] == account_id and e["type"] == "invoice_request.delivery_failed"
        ]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return events


async def test_after_the_last_try_the_request_shows_failed_and_an_event_is_written(
    client: httpx.AsyncClient, api: Api, app: FastAPI, smtp: tuple[Recorder, str]
) -> None:
    recorder, url = smtp
    to = _email()
    recorder.plans[to] = ["451 4.3.0 try later", "drop", "550 5.1.1 no such user"]
    ready, request = await _electronic(client, api, email=to)
    assert (await move(client, api, request["id"], "deliver")).status_code == 200
    worker = _worker(app, url, retry="0,0")  # three tries
    await worker.drain()
    offered = recorder.offered_to(to)
    assert len(offered) == 3
    assert len({item.message["Message-ID"] for item in offered}) == 1
    assert recorder.to(to) == []
    read = await _read(client, api, request["id"])
    delivery = read["delivery"]
    assert (delivery["status"], delivery["attempts"], delivery["sent_at"]) == ("failed", 3, None)
    assert "550" in delivery["last_error"]
    assert read["status"] == "delivered"  # the invoices were issued and handed over; the email failed
    # PostgreSQL's feed serves an event once every older transaction on the server has ended.
    events: list[dict[str, Any]] = []
    for _ in range(100):
        events = await _delivery_failed_events(client, api, ready.customer.account_id)
        if events:
            break
        await asyncio.sleep(0.1)
    [event] = events
    assert event["data"]["id"] == request["id"]
    assert event["data"]["delivery"]["status"] == "failed"
    await worker.drain()
    assert len(recorder.offered_to(to)) == 3  # given up: no fourth try


async def test_resend_to_another_address_at_most_five_times_a_day(
    client: httpx.AsyncClient, api: Api, app: FastAPI, smtp: tuple[Recorder, str]
) -> None:
    recorder, url = smtp
    to, elsewhere = _email(), _email()
    ready, request = await _electronic(client, api, email=to)
    resend_url = f"/v1/invoice-requests/{request['id']}/resend"
    early = await client.post(resend_url, headers=ready.headers)
    assert early.status_code == 409  # issued, not delivered yet
    assert early.json()["code"] == "invalid_transition"
    assert (await move(client, api, request["id"], "deliver")).status_code == 200
    worker = _worker(app, url)
    await worker.drain()

    response = await client.post(resend_url, json={"email": elsewhere}, headers=ready.headers)
    assert response.status_code == 202, response.text
    assert response.json()["delivery"] == {
        "channel": "email",
        "to": [elsewhere],
        "status": "queued",
        "attempts": 0,
        "last_error": None,
        "sent_at": None,
    }
    await worker.drain()
    [received] = recorder.to(elsewhere)
    assert received.rcpt_tos == [elsewhere]
    assert [part.get_content() for part in received.message.iter_attachments()] == [PDF_BYTES]
    assert (await _read(client, api, request["id"]))["delivery"]["status"] == "sent"

    for _ in range(4):  # without a body: to the snapshot's email again
        assert (await client.post(resend_url, headers=ready.headers)).status_code == 202
    refused = await client.post(resend_url, headers=ready.headers)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 86400
    await worker.drain()
    assert len(recorder.to(to)) == 1 + 4

    other = await ready_customer(api, bills=1)
    assert (await client.post(resend_url, headers=other.headers)).status_code == 404
    assert (await client.post(resend_url, headers=api.finance)).status_code == 403
    bad = await client.post(resend_url, json={"email": "not an email"}, headers=ready.headers)
    assert bad.status_code == 422


async def test_paper_cannot_be_resent(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    request = await to_status(client, api, ready, "delivered")
    response = await client.post(f"/v1/invoice-requests/{request['id']}/resend", headers=ready.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


async def test_paper_shipments_and_rejections_are_announced_by_email(
    client: httpx.AsyncClient, api: Api, app: FastAPI, smtp: tuple[Recorder, str]
) -> None:
    recorder, url = smtp
    to, cc = _email(), _email()
    ready = await ready_customer(api, bills=2)
    ready.address = await make_address(api, ready.customer, email=to, cc_emails=[cc])
    bills = ready.bills
    ready.bills = bills[:1]
    shipped = await to_status(client, api, ready, "delivered")  # SF Express, SF1234567890
    assert shipped["delivery"] is None  # paper: no email delivery to track
    ready.bills = bills[1:]
    rejected = await to_status(client, api, ready, "rejected")  # reason "Wrong title"
    await _worker(app, url).drain()
    by_subject = {item.message["Subject"]: item for item in recorder.to(to)}
    assert len(by_subject) == 2
    paper = next(item for subject, item in by_subject.items() if "paper" in subject)
    text = paper.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "SF Express" in text and "SF1234567890" in text and "快递单号" in text
    assert sorted(paper.rcpt_tos) == sorted([to, cc])
    assert list(paper.message.iter_attachments()) == []
    rejection = next(item for subject, item in by_subject.items() if "rejected" in subject)
    text = rejection.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Wrong title" in text and "原因" in text and rejected["id"] in text
