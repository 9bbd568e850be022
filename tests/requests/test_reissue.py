"""Re-issue (换开, SPEC §7): the reversal and the replacing request made in one transaction; the
amounts handed over without ever being free; the replacement waiting for the reversal, or
cancelled by the service when the reversal is declined or expires."""

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from app.core.clock import utcnow
from app.requests.models import InvoiceRequest
from app.requests.red_letter import EXPIRY_JOB
from app.worker.models import Job
from tests.factories import Api, make_address, make_profile
from tests.requests.helpers import (
    Ready,
    create,
    invoice_number,
    move,
    ready_customer,
    red_invoices,
    to_status,
)
from tests.requests.test_red_letter import _worker
from tests.worker.smtp import Recorder, smtp_server


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Recorder, str]]:
    with smtp_server() as server:
        yield server


async def _reissue(client: httpx.AsyncClient, ready: Ready, request_id: str, **body: Any) -> httpx.Response:
    return await client.post(
        f"/v1/invoice-requests/{request_id}/reissue",
        json={"reason": "The header must be the subsidiary's", **body},
        headers=ready.headers,
    )


async def _read(client: httpx.AsyncClient, headers: dict[str, str], request_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/invoice-requests/{request_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _items(client: httpx.AsyncClient, ready: Ready) -> list[tuple[str, str]]:
    bills = [(await client.get(f"/v1/bills/{b['id']}", headers=ready.headers)).json() for b in ready.bills]
    return [(bill["requested_amount"], bill["invoiceable_amount"]) for bill in bills]


async def test_reissue_reverses_and_requests_the_same_again(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=2, cash="150.00")
    old = await to_status(client, api, ready, "delivered")
    profile = await make_profile(api, ready.customer, "electronic_ordinary")
    response = await _reissue(client, ready, old["id"], profile_id=profile["id"])
    assert response.status_code == 201, response.text
    new = response.json()
    assert new["status"] == "pending" and new["replaces_request_id"] == old["id"]
    assert new["replaced_by_request_id"] is None
    assert [(i["id"], i["amount"], i["label"]) for i in new["items"]] == [
        (i["id"], i["amount"], i["label"]) for i in old["items"]
    ]
    assert new["amount"] == old["amount"] == "300.00"
    assert new["profile"]["id"] == profile["id"] and new["invoice_type"] == "electronic_ordinary"
    assert new["address"] == old["address"]  # the same address unless another is chosen
    assert new["allowed_moves"] == ["cancel"]
    assert [(e["status"], e["actor_role"]) for e in new["events"]] == [("pending", "customer")]

    shown = await _read(client, ready.headers, old["id"])
    assert shown["status"] == "reversing" and shown["replaced_by_request_id"] == new["id"]
    letter = shown["red_letter"]
    assert (letter["reason_code"], letter["buyer_usage"], letter["confirmation"]) == (
        "issue_error",
        "none",
        "not_required",
    )
    assert shown["events"][-1]["actor_role"] == "customer"
    # Held once, by the replacement: nothing became invoiceable, nothing was requested twice.
    assert await _items(client, ready) == [("150.00", "0.00"), ("150.00", "0.00")]

    # The replacement waits for the reversal.
    assert (await move(client, api, new["id"], "start")).status_code == 200
    finance = await _read(client, api.finance, new["id"])
    assert finance["allowed_moves"] == ["reject"]  # `issue` waits for the replaced request
    body = {"invoices": [{"number": invoice_number(), "amount": new["amount"]}]}
    response = await move(client, api, new["id"], "issue", body)
    assert response.status_code == 409 and response.json()["code"] == "replaced_request_not_reversed"

    response = await move(client, api, old["id"], "red-invoices", {"invoices": red_invoices(old)})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "reversed"
    # Reversed, but the amounts stay with the replacement.
    assert await _items(client, ready) == [("150.00", "0.00"), ("150.00", "0.00")]
    assert (await _read(client, api.finance, new["id"]))["allowed_moves"] == ["issue", "reject"]
    response = await move(client, api, new["id"], "issue", body)
    assert response.status_code == 200, response.text
    # Issued: the replacement holds them as any issued request does.
    assert await _items(client, ready) == [("150.00", "0.00"), ("150.00", "0.00")]


@pytest.mark.parametrize("answer", ["decline", "expire"])
async def test_a_declined_or_expired_reversal_cancels_the_replacement(
    client: httpx.AsyncClient, api: Api, app: FastAPI, smtp: tuple[Recorder, str], answer: str
) -> None:
    ready = await ready_customer(api, bills=1, invoice_type="vat_special")
    old = await to_status(client, api, ready, "issued")
    new = (await _reissue(client, ready, old["id"])).json()
    reversing = await _read(client, ready.headers, old["id"])
    assert reversing["red_letter"]["confirmation"] == "awaiting_buyer"
    assert reversing["allowed_moves"] == ["confirm_red_letter", "decline_red_letter"]
    if answer == "decline":
        response = await client.post(
            f"/v1/invoice-requests/{old['id']}/red-letter/decline", headers=ready.headers
        )
        assert response.status_code == 200, response.text
    else:
        past = utcnow() - timedelta(seconds=5)
        async with app.state.database.write_session() as session, session.begin():
            row = (
                await session.execute(select(InvoiceRequest).where(InvoiceRequest.id == uuid.UUID(old["id"])))
            ).scalar_one()
            letter = {**row.red_letter, "expires_at": past.isoformat()}
            await session.execute(
                update(InvoiceRequest).where(InvoiceRequest.id == row.id).values(red_letter=letter)
            )
            await session.execute(
                update(Job)
                .where(Job.kind == EXPIRY_JOB, Job.payload["request_id"].as_string() == old["id"])
                .values(run_after=past)
            )
        await _worker(app, smtp[1]).drain()
    back = await _read(client, ready.headers, old["id"])
    assert back["status"] == "issued"
    assert back["red_letter"]["confirmation"] == ("declined" if answer == "decline" else "expired")
    cancelled = await _read(client, ready.headers, new["id"])
    assert cancelled["status"] == "cancelled"
    last = cancelled["events"][-1]
    assert (last["status"], last["actor_role"], last["note_code"]) == (
        "cancelled",
        "system",
        "replacement_cancelled",
    )
    # The amounts stayed with the old request: still held, still not invoiceable.
    assert await _items(client, ready) == [("100.00", "0.00")]
    # And it can be re-issued again.
    again = await _reissue(client, ready, old["id"])
    assert again.status_code == 201, again.text
    assert (await _read(client, api.finance, old["id"]))["replaced_by_request_id"] == again.json()["id"]


async def test_cancelling_the_replacement_leaves_the_amounts_with_the_reversal(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=1)
    old = await to_status(client, api, ready, "issued")
    new = (await _reissue(client, ready, old["id"])).json()
    response = await client.post(f"/v1/invoice-requests/{new['id']}/cancel", headers=ready.headers)
    assert response.status_code == 200, response.text
    assert await _items(client, ready) == [("100.00", "0.00")]  # the reversing request holds them
    response = await move(client, api, old["id"], "red-invoices", {"invoices": red_invoices(old)})
    assert response.status_code == 200, response.text
    assert await _items(client, ready) == [("0.00", "100.00")]  # now nobody does


async def test_reissue_refusals(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    pending = await create(client, ready)
    response = await _reissue(client, ready, pending["id"])
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    await client.post(f"/v1/invoice-requests/{pending['id']}/cancel", headers=ready.headers)
    issued = await to_status(client, api, ready, "issued")
    response = await client.post(
        f"/v1/invoice-requests/{issued['id']}/reissue", json={"reason": "x"}, headers=api.finance
    )
    assert response.status_code == 403
    for body in ({"profile_id": str(uuid.uuid4())}, {"address_id": "not-an-id"}):
        response = await _reissue(client, ready, issued["id"], **body)
        assert response.status_code == 404 and response.json()["code"] == "not_found", body
    no_email = await make_address(api, ready.customer, email=None)
    electronic = await make_profile(api, ready.customer, "electronic_ordinary")
    response = await _reissue(
        client, ready, issued["id"], profile_id=electronic["id"], address_id=no_email["id"]
    )
    assert response.status_code == 422 and response.json()["code"] == "address_incomplete"
    other = await ready_customer(api, bills=1)
    response = await _reissue(client, other, issued["id"])
    assert response.status_code == 404
    response = await client.post(
        f"/v1/invoice-requests/{issued['id']}/reissue", json={"profile_id": None}, headers=ready.headers
    )
    assert response.status_code == 422  # a reason is required
    # Nothing happened.
    shown = await _read(client, api.finance, issued["id"])
    assert shown["status"] == "issued" and shown["replaced_by_request_id"] is None
    assert shown["events"] == issued["events"]
