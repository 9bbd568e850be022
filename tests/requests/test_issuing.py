"""Issuing through the tax platform (SPEC §8), end to end: the HTTP API -> a worker -> the sandbox
platform -> the invoices' files -> email to a real SMTP server (aiosmtpd); refusals, transient
faults, malformed answers, red letters and bulk issuing; on SQLite and PostgreSQL."""

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app import jobs
from app.core.auth import Role
from app.core.settings import Settings
from app.events.models import Event
from app.mail.transport import SmtpMailer, parse_smtp_url
from app.main import create_app
from app.taxplatform import Fault, SandboxProvider
from app.taxplatform.models import SandboxInvoice, SubmissionOutcome
from app.worker.registry import Registry
from app.worker.runner import Worker
from tests.factories import Api, issue_staff_key, make_address
from tests.requests.helpers import Ready, create, move, ready_customer
from tests.worker.smtp import Recorder, smtp_server


def _settings(database_url: str, **extra: Any) -> Settings:
    return Settings(
        database_url=database_url,
        log_level="WARNING",
        auth_cache_seconds=0,
        key_last_used_seconds=0,
        auth_failures_per_minute=0,
        tax_platform="sandbox",
        tax_sandbox_delay_seconds=0,
        **extra,
    )


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Recorder, str]]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
async def sandbox_app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(_settings(database_url))
    yield application
    await application.state.database.dispose()


@pytest.fixture(scope="module")
async def sandbox_api(sandbox_app: FastAPI) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        billing = await issue_staff_key(sandbox_app, Role.billing)
        finance = await issue_staff_key(sandbox_app, Role.finance)
        yield Api(http, billing, finance)


def _worker(app: FastAPI, url: str) -> Worker:
    settings = _settings(
        app.state.settings.database_url,
        smtp_url=url,
        mail_from="Billing Center <billing@cloud.example>",
        worker_retry_seconds="0,0",
    )
    registry = Registry()
    registry.kinds.update(jobs.load_registry().kinds)  # job kinds only: no periodic tasks
    return Worker(
        app.state.database, settings, registry, {"mailer": SmtpMailer(parse_smtp_url(url), timeout=10)}
    )


def _sandbox(app: FastAPI) -> SandboxProvider:
    return SandboxProvider(app.state.database, delay_seconds=0)


async def _processing(
    api: Api, invoice_type: str = "electronic_ordinary", bills: int = 1
) -> tuple[Ready, str]:
    ready = await ready_customer(api, bills=bills, invoice_type=invoice_type)
    ready.address = await make_address(api, ready.customer, email=f"{uuid.uuid4().hex[:12]}@acme.example")
    request = await create(api.client, ready)
    assert (await move(api.client, api, request["id"], "start")).status_code == 200
    return ready, request["id"]


async def _issue(api: Api, request_id: str, body: dict[str, Any] | None = None) -> httpx.Response:
    path = f"/v1/invoice-requests/{request_id}/issue"
    if body is None:
        return await api.client.post(path, headers=api.finance)
    return await api.client.post(path, json=body, headers=api.finance)


async def _read(api: Api, request_id: str) -> dict[str, Any]:
    response = await api.client.get(f"/v1/invoice-requests/{request_id}", headers=api.finance)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _feed_types(app: FastAPI, request_id: str) -> list[str]:
    """The types of the feed's events about one request, in feed order (read from the table: the
    PostgreSQL feed holds back the newest events for a moment, docs/EVENTS.md)."""
    async with app.state.database.read_session() as session:
        rows = (await session.execute(select(Event.type, Event.data).order_by(Event.id))).all()
    return [kind for kind, data in rows if data.get("id") == request_id]


async def _serials(app: FastAPI, request_id: str) -> list[str]:
    prefix = uuid.UUID(request_id).hex
    async with app.state.database.read_session() as session:
        rows = await session.scalars(
            select(SandboxInvoice.serial)
            .where(SandboxInvoice.serial.like(f"{prefix}%"))
            .order_by(SandboxInvoice.serial)
        )
        return list(rows)


async def test_an_electronic_request_is_issued_by_the_sandbox_and_emailed_with_its_pdf(
    sandbox_app: FastAPI, sandbox_api: Api, smtp: tuple[Recorder, str]
) -> None:
    recorder, url = smtp
    api = sandbox_api
    ready, request_id = await _processing(api, bills=2)
    response = await _issue(api, request_id)
    assert response.status_code == 202, response.text
    issuing = response.json()
    assert issuing["status"] == "issuing"
    assert issuing["allowed_moves"] == []
    assert issuing["issue_error"] is None
    assert issuing["invoices"] == []

    await _worker(sandbox_app, url).drain()
    done = await _read(api, request_id)
    assert done["status"] == "delivered", done
    assert [event["status"] for event in done["events"]] == [
        "pending",
        "processing",
        "issuing",
        "issued",
        "delivered",
    ]
    assert [event["actor_role"] for event in done["events"]][-2:] == ["system", "system"]
    [invoice] = done["invoices"]
    assert len(invoice["number"]) == 20 and invoice["number"].isdigit()
    assert invoice["amount"] == done["amount"]
    draft = done["draft"]["invoices"][0]
    assert invoice["lines"] == draft["lines"]
    assert invoice["tax_amount"] == draft["tax_amount"]
    assert {file["format"] for file in invoice["files"]} == {"pdf", "xml"}

    # The customer downloads the sandbox's PDF like any invoice file.
    number = invoice["number"]
    pdf = await api.client.get(
        f"/v1/invoice-requests/{request_id}/invoices/{number}/files/pdf", headers=ready.headers
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xml = await api.client.get(
        f"/v1/invoice-requests/{request_id}/invoices/{number}/files/xml", headers=ready.headers
    )
    assert xml.status_code == 200 and number.encode() in xml.content

    [received] = recorder.to(ready.address["email"])
    attachments = {part.get_filename(): part.get_content() for part in received.message.iter_attachments()}
    assert attachments[f"{number}.pdf"] == pdf.content
    assert attachments[f"{number}.xml"] == xml.content
    assert (await _read(api, request_id))["delivery"]["status"] == "sent"
    assert await _serials(sandbox_app, request_id) == [f"{uuid.UUID(request_id).hex}B00001"]

    assert await _feed_types(sandbox_app, request_id) == [
        "invoice_request.created",
        "invoice_request.processing",
        "invoice_request.issuing",
        "invoice_request.issued",
        "invoice_request.delivered",
    ]


async def test_a_refusal_returns_the_request_to_processing_and_the_next_round_takes_new_serials(
    sandbox_app: FastAPI, sandbox_api: Api, smtp: tuple[Recorder, str]
) -> None:
    _, url = smtp
    api = sandbox_api
    _, request_id = await _processing(api, invoice_type="vat_ordinary")
    await _sandbox(sandbox_app).inject_fault(Fault("refuse"))
    assert (await _issue(api, request_id, {"via": "tax_platform"})).status_code == 202
    await _worker(sandbox_app, url).drain()
    refused = await _read(api, request_id)
    assert refused["status"] == "processing"
    assert refused["issue_error"]["code"] == "quota_exhausted"
    assert "开票额度不足" in refused["issue_error"]["message"]
    assert refused["invoices"] == []
    assert "issue" in refused["allowed_moves"]
    assert (await _feed_types(sandbox_app, request_id))[-2:] == [
        "invoice_request.issuing",
        "invoice_request.issue_failed",
    ]

    assert (await _issue(api, request_id, {})).status_code == 202
    await _worker(sandbox_app, url).drain()
    issued = await _read(api, request_id)
    assert issued["status"] == "issued" and issued["issue_error"] is None  # paper: finance posts it
    hex_id = uuid.UUID(request_id).hex
    assert await _serials(sandbox_app, request_id) == [f"{hex_id}B00001", f"{hex_id}B01001"]


async def test_transient_faults_and_a_lost_answer_are_retried_with_the_same_serial_and_issued_once(
    sandbox_app: FastAPI, sandbox_api: Api, smtp: tuple[Recorder, str]
) -> None:
    _, url = smtp
    api = sandbox_api
    _, request_id = await _processing(api, invoice_type="vat_ordinary")
    sandbox = _sandbox(sandbox_app)
    await sandbox.inject_fault(Fault("lost_answer", operation="submit"))
    await sandbox.inject_fault(Fault("transient", operation="query"))
    assert (await _issue(api, request_id)).status_code == 202
    await _worker(sandbox_app, url).drain()
    issued = await _read(api, request_id)
    assert issued["status"] == "issued", issued
    assert await _serials(sandbox_app, request_id) == [f"{uuid.UUID(request_id).hex}B00001"]
    async with sandbox_app.state.database.read_session() as session:
        numbers = await session.scalar(
            select(func.count())
            .select_from(SandboxInvoice)
            .where(SandboxInvoice.number == issued["invoices"][0]["number"])
        )
        outcomes = dict(
            (await session.execute(select(SubmissionOutcome.outcome, SubmissionOutcome.count))).all()
        )
    assert numbers == 1
    assert outcomes["transient"] >= 2 and outcomes["issued"] >= 1 and outcomes["accepted"] >= 1


async def test_a_malformed_answer_is_never_recorded(
    sandbox_app: FastAPI, sandbox_api: Api, smtp: tuple[Recorder, str]
) -> None:
    _, url = smtp
    api = sandbox_api
    _, request_id = await _processing(api, invoice_type="vat_ordinary")
    await _sandbox(sandbox_app).inject_fault(Fault("malformed", times=3))  # every try ("0,0": 3)
    assert (await _issue(api, request_id)).status_code == 202
    await _worker(sandbox_app, url).drain()
    failed = await _read(api, request_id)
    assert failed["status"] == "processing"
    assert failed["invoices"] == []
    assert failed["issue_error"]["code"] == "malformed_answer"
    assert "amount" in failed["issue_error"]["message"]


async def test_issuing_needs_a_platform_and_manual_issuing_stays(
    client: httpx.AsyncClient, api: Api, sandbox_api: Api
) -> None:
    # The session's app runs with INVOICING_TAX_PLATFORM=manual.
    _, request_id = await _processing(api, invoice_type="vat_ordinary")
    response = await _issue(api, request_id)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "tax_platform_not_configured"
    assert (await _read(api, request_id))["status"] == "processing"
    # With the sandbox configured, numbers typed by finance still issue at once.
    _, other = await _processing(sandbox_api, invoice_type="vat_ordinary")
    amount = (await _read(sandbox_api, other))["amount"]
    number = str(uuid.uuid4().int)[:20]
    manual = await _issue(sandbox_api, other, {"invoices": [{"number": number, "amount": amount}]})
    assert manual.status_code == 200, manual.text
    assert manual.json()["status"] == "issued"
    both = await _issue(
        sandbox_api, other, {"via": "tax_platform", "invoices": [{"number": "1", "amount": amount}]}
    )
    assert both.status_code == 422


async def test_red_letter_invoices_are_issued_through_the_sandbox(
    sandbox_app: FastAPI, sandbox_api: Api, smtp: tuple[Recorder, str]
) -> None:
    _, url = smtp
    api = sandbox_api
    _, request_id = await _processing(api, invoice_type="vat_ordinary", bills=2)
    assert (await _issue(api, request_id)).status_code == 202
    worker = _worker(sandbox_app, url)
    await worker.drain()
    issued = await _read(api, request_id)
    assert issued["status"] == "issued"
    reversing = await move(api.client, api, request_id, "reverse", {"reason": "Wrong title"})
    assert reversing.status_code == 200, reversing.text
    assert reversing.json()["red_letter"]["confirmation"] == "not_required"
    response = await api.client.post(f"/v1/invoice-requests/{request_id}/red-invoices", headers=api.finance)
    assert response.status_code == 202, response.text
    assert response.json()["red_letter"]["issuing"] is True
    assert "record_red_invoices" not in response.json()["allowed_moves"]
    again = await api.client.post(
        f"/v1/invoice-requests/{request_id}/red-invoices", json={}, headers=api.finance
    )
    assert again.status_code == 409
    await worker.drain()
    reversed_ = await _read(api, request_id)
    assert reversed_["status"] == "reversed", reversed_
    [red] = reversed_["red_letter"]["red_invoices"]
    [blue] = issued["invoices"]
    assert red["blue_number"] == blue["number"]
    assert red["amount"] == "-" + blue["amount"]
    assert len(red["number"]) == 20 and red["number"] != blue["number"]
    assert reversed_["red_letter"]["issuing"] is False
    hex_id = uuid.UUID(request_id).hex
    assert await _serials(sandbox_app, request_id) == [f"{hex_id}B00001", f"{hex_id}R00001"]


async def test_bulk_issue_submits_each_request_on_its_own(
    sandbox_app: FastAPI, sandbox_api: Api, smtp: tuple[Recorder, str]
) -> None:
    _, url = smtp
    api = sandbox_api
    _, first = await _processing(api, invoice_type="vat_ordinary")
    _, second = await _processing(api, invoice_type="vat_ordinary")
    unknown = str(uuid.uuid4())
    headers = {**api.finance, "Idempotency-Key": uuid.uuid4().hex}
    body = {"ids": [first, unknown, second]}
    response = await api.client.post("/v1/invoice-requests/bulk/issue", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["results"] == [
        {"id": first, "ok": True, "code": None, "status": "issuing"},
        {"id": unknown, "ok": False, "code": "not_found", "status": None},
        {"id": second, "ok": True, "code": None, "status": "issuing"},
    ]
    replay = await api.client.post("/v1/invoice-requests/bulk/issue", json=body, headers=headers)
    assert replay.json() == response.json()
    await _worker(sandbox_app, url).drain()
    assert (await _read(api, first))["status"] == "issued"
    assert (await _read(api, second))["status"] == "issued"
    again = await api.client.post(
        "/v1/invoice-requests/bulk/issue", json={"ids": [first]}, headers=api.finance
    )
    assert again.json()["results"] == [
        {"id": first, "ok": False, "code": "invalid_transition", "status": "issued"}
    ]


async def test_readyz_names_the_platform_and_metrics_show_issuing(
    sandbox_app: FastAPI, sandbox_api: Api, smtp: tuple[Recorder, str]
) -> None:
    api = sandbox_api
    ready = await api.client.get("/readyz")
    assert ready.json() == {"status": "ready", "tax_platform": "sandbox"}
    _, request_id = await _processing(api, invoice_type="vat_ordinary")
    assert (await _issue(api, request_id)).status_code == 202
    figures = (await api.client.get("/metrics")).text
    assert "invoicing_tax_issuing_requests " in figures
    waiting = [
        line for line in figures.splitlines() if line.startswith('invoicing_tax_issue_jobs{status="queued"}')
    ]
    assert waiting and float(waiting[0].split()[-1]) >= 1
    await _worker(sandbox_app, smtp[1]).drain()
    figures = (await api.client.get("/metrics")).text
    assert 'invoicing_tax_submissions_total{outcome="issued",provider="sandbox"}' in figures


async def test_a_recording_that_fails_before_its_commit_leaves_nothing_and_is_done_again(
    sandbox_app: FastAPI, sandbox_api: Api, smtp: tuple[Recorder, str]
) -> None:
    """The database failing while the worker records: the recording transaction rolls back whole (no
    invoice, no file, no move), and the job's next run records the platform's same invoice once."""
    from app.requests import issuing

    api = sandbox_api
    _, request_id = await _processing(api, invoice_type="vat_ordinary")
    assert (await _issue(api, request_id)).status_code == 202
    database = sandbox_app.state.database
    plan = await issuing._plan(database, uuid.UUID(request_id), "blue", 0)
    assert plan is not None
    sandbox = _sandbox(sandbox_app)
    await sandbox.submit(plan[0].serial, plan[0].document)
    answer = await sandbox.query(plan[0].serial)
    assert answer.__class__.__name__ == "Issued"
    with pytest.raises(ConnectionError):
        async with database.write_session() as session, session.begin():
            await issuing._record(session, uuid.UUID(request_id), "blue", 0, plan, [answer], "sandbox")  # type: ignore[list-item]
            raise ConnectionError("the database went away before the commit")
    halfway = await _read(api, request_id)
    assert halfway["status"] == "issuing" and halfway["invoices"] == []

    await _worker(sandbox_app, smtp[1]).drain()
    issued = await _read(api, request_id)
    assert issued["status"] == "issued"
    assert [invoice["number"] for invoice in issued["invoices"]] == [answer.number]  # type: ignore[attr-defined]
    assert await _serials(sandbox_app, request_id) == [plan[0].serial]
