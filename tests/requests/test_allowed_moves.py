"""`allowed_moves`: every response says which moves the caller's role may make now, and exactly
those moves succeed for that role; every other one is refused. The actions that keep the status
(`resend`, `upload_file`) are listed the same way, and so is whether delivery needs a tracking number."""

from typing import Any

import httpx
import pytest

from tests.factories import Api
from tests.requests.helpers import (
    PDF_BYTES,
    Ready,
    create,
    move_body,
    ready_customer,
    red_invoices,
    to_status,
)

MOVES = [
    "cancel",
    "start",
    "issue",
    "deliver",
    "reject",
    "reverse",
    "confirm_red_letter",
    "decline_red_letter",
    "record_red_invoices",
    "reissue",
]
ACTIONS = ["resend", "upload_file"]
CUSTOMER_MOVES = {"cancel", "confirm_red_letter", "decline_red_letter", "reissue"}
# Where each move is posted (`POST /v1/invoice-requests/{id}/<path>`).
PATHS = {
    "confirm_red_letter": "red-letter/confirm",
    "decline_red_letter": "red-letter/decline",
    "record_red_invoices": "red-invoices",
}

# Written out by hand from SPEC §3 and §7 (not read from app/requests/states.py), so the table is
# checked. A paper request: `upload_file` while the invoices stand, never `resend` (only email is
# resent). `vat_ordinary`: its reversal needs no confirmation of the buyer (`reversing` lists the
# recording at once); a special invoice's does (`reversing*`: awaiting the buyer).
EXPECTED: dict[str, dict[str, list[str]]] = {
    "pending": {"customer": ["cancel"], "finance": ["start", "reject"]},
    "processing": {"customer": [], "finance": ["issue", "reject"]},
    "issued": {"customer": ["reissue"], "finance": ["deliver", "reverse", "upload_file"]},
    "delivered": {"customer": ["reissue"], "finance": ["reverse", "upload_file"]},
    "reversing": {"customer": [], "finance": ["record_red_invoices"]},
    "reversing*": {"customer": ["confirm_red_letter", "decline_red_letter"], "finance": []},
    "cancelled": {"customer": [], "finance": []},
    "rejected": {"customer": [], "finance": []},
    "reversed": {"customer": [], "finance": []},
}


async def _at(client: httpx.AsyncClient, api: Api, status: str) -> tuple[Ready, dict[str, Any]]:
    """A request in `status` (`reversing*`: a special invoice's reversal awaiting the buyer)."""
    awaiting = status == "reversing*"
    ready = await ready_customer(api, bills=1, invoice_type="vat_special" if awaiting else "vat_ordinary")
    return ready, await to_status(client, api, ready, status.rstrip("*"))


def _status_of(moved: dict[str, Any]) -> str:
    letter = moved["red_letter"]
    awaiting = moved["status"] == "reversing" and letter["confirmation"] == "awaiting_buyer"
    return "reversing*" if awaiting else str(moved["status"])


def _headers(api: Api, ready: Ready, role: str) -> dict[str, str]:
    return ready.headers if role == "customer" else api.finance


async def _attempt(
    client: httpx.AsyncClient, api: Api, ready: Ready, role: str, request: dict[str, Any], action: str
) -> httpx.Response:
    body = {
        "decline_red_letter": {"reason": "We keep the invoice"},
        # A request without invoices names one it does not have: the status refuses it first.
        "record_red_invoices": {
            "invoices": red_invoices(request) or [{"number": "R-1", "blue_number": "B-1"}]
        },
        "reissue": {"reason": "Wrong header"},
    }.get(action, move_body(action, request))
    return await client.post(
        f"/v1/invoice-requests/{request['id']}/{PATHS.get(action, action)}",
        json=body,
        headers=_headers(api, ready, role),
    )


@pytest.mark.parametrize("status", list(EXPECTED))
async def test_every_read_lists_the_moves_the_role_may_make(
    client: httpx.AsyncClient, api: Api, status: str
) -> None:
    ready, request = await _at(client, api, status)
    for role in ("customer", "finance"):
        headers = _headers(api, ready, role)
        one = (await client.get(f"/v1/invoice-requests/{request['id']}", headers=headers)).json()
        assert one["allowed_moves"] == EXPECTED[status][role], role
        # The list's summaries leave the moves to the full object.
        params = {"status": request["status"]}
        page = (await client.get("/v1/invoice-requests", params=params, headers=headers)).json()
        listed = next(row for row in page["data"] if row["id"] == request["id"])
        assert "allowed_moves" not in listed and listed["status"] == request["status"], role


@pytest.mark.parametrize("status", list(EXPECTED))
async def test_moves_not_listed_are_refused_for_that_role(
    client: httpx.AsyncClient, api: Api, status: str
) -> None:
    ready, request = await _at(client, api, status)
    for role in ("customer", "finance"):
        for action in MOVES:
            if action in EXPECTED[status][role]:
                continue
            response = await _attempt(client, api, ready, role, request, action)
            # A move of the other role is refused by the key's role (403); a move of this role that
            # the status does not allow, by the table (409; recording red-letter invoices before the
            # buyer agreed says so).
            own = (action in CUSTOMER_MOVES) == (role == "customer")
            assert response.status_code == (409 if own else 403), (role, action, response.text)
            if own:
                waiting = action == "record_red_invoices" and status == "reversing*"
                expected = "red_letter_not_confirmed" if waiting else "invalid_transition"
                assert response.json()["code"] == expected, (role, action, response.text)
    after = (await client.get(f"/v1/invoice-requests/{request['id']}", headers=api.finance)).json()
    assert after["status"] == request["status"] and after["events"] == request["events"]


ALLOWED = [
    (status, role, action)
    for status, by_role in EXPECTED.items()
    for role, actions in by_role.items()
    for action in actions
    if action in MOVES
]


@pytest.mark.parametrize(("status", "role", "action"), ALLOWED)
async def test_each_listed_move_succeeds_and_the_answer_lists_the_next_ones(
    client: httpx.AsyncClient, api: Api, status: str, role: str, action: str
) -> None:
    ready, request = await _at(client, api, status)
    response = await _attempt(client, api, ready, role, request, action)
    assert response.status_code == (201 if action == "reissue" else 200), response.text
    moved = response.json()
    assert moved["allowed_moves"] == EXPECTED[_status_of(moved)][role]


async def test_a_new_request_lists_what_its_customer_may_do(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    assert (await create(client, ready))["allowed_moves"] == ["cancel"]


async def test_the_document_names_the_moves(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    field = schemas["InvoiceRequestOut"]["properties"]["allowed_moves"]
    assert "allowed_moves" in schemas["InvoiceRequestOut"]["required"]
    moves = schemas[field["items"]["$ref"].rsplit("/", 1)[-1]]
    assert moves["enum"] == MOVES + ACTIONS
    assert "tracking_number_required" in schemas["InvoiceRequestOut"]["required"]


async def _upload_pdf(client: httpx.AsyncClient, api: Api, request: dict[str, Any]) -> httpx.Response:
    number = request["invoices"][0]["number"]
    return await client.put(
        f"/v1/invoice-requests/{request['id']}/invoices/{number}/files/pdf",
        content=PDF_BYTES,
        headers={**api.finance, "Content-Type": "application/pdf"},
    )


@pytest.mark.parametrize("status", ["issued", "delivered", "reversed"])
async def test_upload_file_is_listed_exactly_while_an_upload_succeeds(
    client: httpx.AsyncClient, api: Api, status: str
) -> None:
    ready = await ready_customer(api, bills=1)
    request = await to_status(client, api, ready, status)
    listed = "upload_file" in request["allowed_moves"]
    response = await _upload_pdf(client, api, request)
    assert response.status_code == (200 if listed else 409), response.text
    assert listed == (status != "reversed")
    if listed:
        assert "upload_file" in response.json()["allowed_moves"]
    # The customer never uploads: not listed for it.
    customer = (await client.get(f"/v1/invoice-requests/{request['id']}", headers=ready.headers)).json()
    assert "upload_file" not in customer["allowed_moves"]


async def test_an_electronic_request_lists_resend_once_delivered_and_resend_succeeds(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=1, invoice_type="electronic_ordinary")
    request = await to_status(client, api, ready, "processing")
    assert request["tracking_number_required"] is False
    response = await client.post(
        f"/v1/invoice-requests/{request['id']}/issue", json=move_body("issue", request), headers=api.finance
    )
    issued = response.json()
    # Electronic: deliver is offered only once every invoice has its PDF; the upload is.
    assert issued["allowed_moves"] == ["reverse", "upload_file"]
    customer = (await client.get(f"/v1/invoice-requests/{request['id']}", headers=ready.headers)).json()
    assert customer["allowed_moves"] == ["reissue"]
    uploaded = (await _upload_pdf(client, api, issued)).json()
    assert uploaded["allowed_moves"] == ["deliver", "reverse", "upload_file"]
    response = await client.post(f"/v1/invoice-requests/{request['id']}/deliver", headers=api.finance)
    assert response.status_code == 200, response.text
    delivered = (await client.get(f"/v1/invoice-requests/{request['id']}", headers=ready.headers)).json()
    assert delivered["allowed_moves"] == ["reissue", "resend"]
    response = await client.post(f"/v1/invoice-requests/{request['id']}/resend", headers=ready.headers)
    assert response.status_code == 202, response.text
    assert response.json()["allowed_moves"] == ["reissue", "resend"]
    finance = (await client.get(f"/v1/invoice-requests/{request['id']}", headers=api.finance)).json()
    assert finance["allowed_moves"] == ["reverse", "upload_file"]


async def test_a_delivered_paper_request_does_not_list_resend_and_resend_is_refused(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=1, invoice_type="vat_special")
    request = await to_status(client, api, ready, "delivered")
    assert request["tracking_number_required"] is True
    customer = (await client.get(f"/v1/invoice-requests/{request['id']}", headers=ready.headers)).json()
    assert customer["allowed_moves"] == ["reissue"] and customer["tracking_number_required"] is True
    response = await client.post(f"/v1/invoice-requests/{request['id']}/resend", headers=ready.headers)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "invalid_transition"
