"""The finance workflow and the customer's cancel: allowed moves, refusals, and amounts given back."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.factories import Api, make_address
from tests.requests.helpers import (
    Ready,
    create,
    invoice_number,
    issue_whole,
    move,
    move_body,
    ready_customer,
    red_invoices,
    to_status,
    upload,
)


async def _status_of(client: httpx.AsyncClient, api: Api, request_id: str) -> str:
    response = await client.get(f"/v1/invoice-requests/{request_id}", headers=api.finance)
    return str(response.json()["status"])


async def _invoiceable(client: httpx.AsyncClient, ready: Ready) -> list[str]:
    bills = [(await client.get(f"/v1/bills/{b['id']}", headers=ready.headers)).json() for b in ready.bills]
    cards = [
        (await client.get(f"/v1/stored-value-cards/{c['id']}", headers=ready.headers)).json()
        for c in ready.cards
    ]
    return [item["invoiceable_amount"] for item in bills + cards]


async def test_full_workflow_records_every_step(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=2)
    request = await create(client, ready)

    started = await move(client, api, request["id"], "start")
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "processing"

    issued = await move(
        client,
        api,
        request["id"],
        "issue",
        {
            "invoices": [
                {
                    "number": "A" + invoice_number(),
                    "amount": "150.00",
                    "file_url": "https://files.example/a.pdf",
                },
                {
                    "number": "B" + invoice_number(),
                    "amount": "50.00",
                    "issued_at": "2026-11-01T08:00:00+08:00",
                },
            ]
        },
    )
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["status"] == "issued"
    assert [invoice["amount"] for invoice in body["invoices"]] == ["150.00", "50.00"]
    assert body["invoices"][0]["file_url"] == "https://files.example/a.pdf"
    assert body["invoices"][1]["issued_at"] == "2026-11-01T00:00:00Z"

    delivered = await move(
        client, api, request["id"], "deliver", {"carrier": "SF Express", "tracking_number": "SF1234567890"}
    )
    assert delivered.status_code == 200, delivered.text
    body = delivered.json()
    assert (body["status"], body["carrier"], body["tracking_number"]) == (
        "delivered",
        "SF Express",
        "SF1234567890",
    )
    assert [(e["status"], e["actor_role"]) for e in body["events"]] == [
        ("pending", "customer"),
        ("processing", "finance"),
        ("issued", "finance"),
        ("delivered", "finance"),
    ]
    assert "SF1234567890" in body["events"][-1]["note"]
    # Delivered invoices keep their amounts: nothing can be requested again.
    assert await _invoiceable(client, ready) == ["0.00", "0.00"]
    assert body["created_at"] < body["updated_at"]


@pytest.mark.parametrize("ending", ["cancelled", "rejected", "reversed"])
async def test_ending_gives_the_amounts_back(client: httpx.AsyncClient, api: Api, ending: str) -> None:
    ready = await ready_customer(api, bills=2, cards=1, cash="33.33")
    ended = await to_status(client, api, ready, ending)
    assert await _invoiceable(client, ready) == ["33.33", "33.33", "500.00"]
    assert ended["events"][-1]["status"] == ending
    if ending != "cancelled":
        # A reversal ends when its red-letter invoices are recorded: the note lists them.
        expected = (
            "Wrong title"
            if ending == "rejected"
            else f"Red-letter invoices {ended['red_letter']['red_invoices'][0]['number']}"
        )
        assert ended["events"][-1]["note"] == expected
        assert ended["events"][-1]["actor_role"] == "finance"
    else:
        assert ended["events"][-1]["actor_role"] == "customer"

    again = await create(client, ready)
    assert again["amount"] == "566.66"
    # The ended request is unchanged by the new one, and still readable.
    assert await _status_of(client, api, ended["id"]) == ending


async def test_reverse_after_delivery_gives_the_amounts_back(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    delivered = await to_status(client, api, ready, "delivered")
    response = await move(client, api, delivered["id"], "reverse", {"reason": "Customer returned it"})
    assert response.status_code == 200, response.text
    reversing = response.json()
    # Reversing still holds the amounts: the invoices stand until their red letters exist.
    assert reversing["status"] == "reversing"
    assert await _invoiceable(client, ready) == ["0.00"]
    body = {"invoices": red_invoices(reversing)}
    response = await move(client, api, delivered["id"], "red-invoices", body)
    assert response.status_code == 200, response.text
    assert await _invoiceable(client, ready) == ["100.00"]


async def test_notes_the_service_writes_carry_a_code_and_reasons_none(
    client: httpx.AsyncClient, api: Api
) -> None:
    """`note` stays English; `note_code` says which note the service wrote, so a client can word it
    from the request's own data; a person's reason has none."""
    ready = await ready_customer(api, bills=1)
    reversed_ = await to_status(client, api, ready, "reversed")
    assert [(e["status"], e["note_code"]) for e in reversed_["events"]] == [
        ("pending", None),
        ("processing", None),
        ("issued", "invoices_issued"),
        ("reversing", None),
        ("reversed", "red_invoices_recorded"),
    ]
    assert reversed_["events"][2]["note"] == f"Invoices {reversed_['invoices'][0]['number']}"
    assert reversed_["events"][3]["note"] == "Red-letter reversal requested"
    red = reversed_["red_letter"]["red_invoices"][0]["number"]
    assert reversed_["events"][4]["note"] == f"Red-letter invoices {red}"
    ready = await ready_customer(api, bills=1)
    delivered = await to_status(client, api, ready, "delivered")
    assert delivered["events"][-1]["note_code"] == "delivered"
    assert delivered["events"][-1]["note"] == "Carrier: SF Express; Tracking number: SF1234567890"
    assert (delivered["carrier"], delivered["tracking_number"]) == ("SF Express", "SF1234567890")
    read = await client.get(f"/v1/invoice-requests/{delivered['id']}", headers=ready.headers)
    assert read.json()["events"] == delivered["events"]


# (status the request is in, action attempted) for every move the table does not allow.
INVALID = [
    ("pending", "issue"),
    ("pending", "deliver"),
    ("pending", "reverse"),
    ("processing", "start"),
    ("processing", "cancel"),
    ("processing", "deliver"),
    ("processing", "reverse"),
    ("issued", "start"),
    ("issued", "issue"),
    ("issued", "reject"),
    ("issued", "cancel"),
    ("delivered", "deliver"),
    ("delivered", "reject"),
    ("delivered", "issue"),
    ("cancelled", "start"),
    ("cancelled", "cancel"),
    ("rejected", "start"),
    ("rejected", "reject"),
    ("reversed", "reverse"),
    ("reversed", "deliver"),
    ("reversed", "cancel"),
]


@pytest.mark.parametrize(("status", "action"), INVALID)
async def test_moves_outside_the_table_are_invalid_transitions(
    client: httpx.AsyncClient, api: Api, status: str, action: str
) -> None:
    ready = await ready_customer(api, bills=1)
    request = await to_status(client, api, ready, status)
    if action == "cancel":
        response = await client.post(f"/v1/invoice-requests/{request['id']}/cancel", headers=ready.headers)
    else:
        response = await move(client, api, request["id"], action, move_body(action, request))
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "invalid_transition"
    # Nothing changed, no event appended (read with the key that made the last move).
    reader = ready.headers if request["events"][-1]["actor_role"] == "customer" else api.finance
    after = (await client.get(f"/v1/invoice-requests/{request['id']}", headers=reader)).json()
    assert after == request


@pytest.mark.parametrize(
    "amounts",
    [["100.00", "0.01"], ["99.99"], ["60.00", "39.99"], ["200.00"]],
)
async def test_split_invoices_must_sum_to_the_request(
    client: httpx.AsyncClient, api: Api, amounts: list[str]
) -> None:
    ready = await ready_customer(api, bills=1)
    request = await to_status(client, api, ready, "processing")
    invoices = [{"number": invoice_number(), "amount": amount} for amount in amounts]
    response = await move(client, api, request["id"], "issue", {"invoices": invoices})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"][0]["field"] == "body.invoices"
    assert await _status_of(client, api, request["id"]) == "processing"


async def test_a_large_request_may_be_split_across_many_invoices(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1, cash="100.00")
    request = await to_status(client, api, ready, "processing")
    invoices = [{"number": invoice_number(), "amount": "1.00"} for _ in range(100)]
    response = await move(client, api, request["id"], "issue", {"invoices": invoices})
    assert response.status_code == 200, response.text
    assert len(response.json()["invoices"]) == 100


@pytest.mark.parametrize(
    "invoices",
    [
        [],
        [{"number": "N1", "amount": "0.00"}],
        [{"number": "N1", "amount": "-1.00"}],
        [{"number": "N1", "amount": 1.5}],
        [{"number": "N1", "amount": "1.001"}],
        [{"number": "", "amount": "1.00"}],
        [{"number": "N" * 65, "amount": "1.00"}],
        [{"number": "N1", "amount": "1.00", "issued_at": "2026-11-01T08:00:00"}],
        [{"number": "N1", "amount": "1.00", "issued_at": "0001-01-01T00:00:00+01:00"}],
        [{"number": "N1", "amount": "1.00", "issued_at": 1767225600}],
        [{"number": "N1", "amount": "1.00", "file_url": "javascript:alert(1)"}],
        [{"number": f"N{i}", "amount": "1.00"} for i in range(101)],
    ],
)
async def test_malformed_invoices_are_422(
    client: httpx.AsyncClient, api: Api, invoices: list[dict[str, Any]]
) -> None:
    ready = await ready_customer(api, bills=1)
    request = await to_status(client, api, ready, "processing")
    response = await move(client, api, request["id"], "issue", {"invoices": invoices})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


async def test_invoice_numbers_are_unique(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=2)
    first = await create(client, ready, bills=ready.bills[:1])
    second = await create(client, ready, bills=ready.bills[1:])
    number = invoice_number()
    await issue_whole(client, api, first, number)
    assert (await move(client, api, second["id"], "start")).status_code == 200

    response = await move(
        client, api, second["id"], "issue", {"invoices": [{"number": number, "amount": second["amount"]}]}
    )
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "duplicate_invoice_number"

    twice = {
        "invoices": [{"number": "Z" + number, "amount": "50.00"}, {"number": "Z" + number, "amount": "50.00"}]
    }
    response = await move(client, api, second["id"], "issue", twice)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "duplicate_invoice_number"
    assert await _status_of(client, api, second["id"]) == "processing"


async def test_invoice_numbers_are_unique_whatever_their_case(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=2)
    first = await create(client, ready, bills=ready.bills[:1])
    second = await create(client, ready, bills=ready.bills[1:])
    number = "inv-" + invoice_number()
    await issue_whole(client, api, first, number.upper())
    assert (await move(client, api, second["id"], "start")).status_code == 200

    for taken in (number, number.lower(), number.upper(), number.swapcase()):
        body = {"invoices": [{"number": taken, "amount": second["amount"]}]}
        response = await move(client, api, second["id"], "issue", body)
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "duplicate_invoice_number"
    twice = {
        "invoices": [
            {"number": "ab-" + number, "amount": "50.00"},
            {"number": "AB-" + number, "amount": "50.00"},
        ]
    }
    response = await move(client, api, second["id"], "issue", twice)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "duplicate_invoice_number"


async def test_a_duplicate_invoice_number_problem_names_every_number_and_its_fields(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=2)
    first = await create(client, ready, bills=ready.bills[:1])
    second = await create(client, ready, bills=ready.bills[1:])
    taken = [invoice_number(), invoice_number()]
    halves = [{"number": number, "amount": "50.00"} for number in taken]
    assert (await move(client, api, first["id"], "start")).status_code == 200
    assert (await move(client, api, first["id"], "issue", {"invoices": halves})).status_code == 200
    assert (await move(client, api, second["id"], "start")).status_code == 200

    fresh = invoice_number()
    body = {
        "invoices": [{"number": fresh, "amount": "40.00"}, *[{**half, "amount": "30.00"} for half in halves]]
    }
    problem = (await move(client, api, second["id"], "issue", body)).json()
    assert problem["code"] == "duplicate_invoice_number"
    assert problem["numbers"] == sorted(taken)
    assert all(number in problem["detail"] for number in taken) and fresh not in problem["detail"]
    assert [error["field"] for error in problem["errors"]] == [
        "body.invoices.1.number",
        "body.invoices.2.number",
    ]

    # Given twice in one body: each place it is given is named.
    twice = {
        "invoices": [
            {"number": fresh, "amount": "20.00"},
            {"number": "N" + fresh, "amount": "60.00"},
            {"number": fresh, "amount": "20.00"},
        ]
    }
    problem = (await move(client, api, second["id"], "issue", twice)).json()
    assert problem["code"] == "duplicate_invoice_number" and problem["numbers"] == [fresh]
    assert [error["field"] for error in problem["errors"]] == [
        "body.invoices.0.number",
        "body.invoices.2.number",
    ]
    assert await _status_of(client, api, second["id"]) == "processing"


async def test_paper_delivery_needs_a_tracking_number(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1, invoice_type="vat_special")
    request = await to_status(client, api, ready, "issued")
    for body in (None, {}, {"carrier": "SF Express"}):
        response = await move(client, api, request["id"], "deliver", body)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert problem["errors"] == [
            {"field": "body.tracking_number", "message": problem["errors"][0]["message"]}
        ]
    assert await _status_of(client, api, request["id"]) == "issued"


async def test_electronic_invoice_is_delivered_to_the_snapshot_email(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=1, invoice_type="electronic_ordinary")
    ready.address = await make_address(api, ready.customer, email="finance@acme.example", address=None)
    request = await to_status(client, api, ready, "issued")
    # Editing the address afterwards does not change where the invoice went.
    patched = await client.patch(
        f"/v1/mailing-addresses/{ready.address['id']}",
        json={"email": "new@acme.example"},
        headers=ready.headers,
    )
    assert patched.status_code == 200, patched.text

    # Electronic invoices go by email with their PDF: not deliverable until every invoice has one.
    assert "deliver" not in request["allowed_moves"]
    response = await move(client, api, request["id"], "deliver")
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "invoice_file_missing"
    assert response.json()["invoices"] == [request["invoices"][0]["number"]]
    uploaded = await upload(client, api, request)
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["allowed_moves"] == ["deliver", "reverse", "upload_file"]

    response = await move(client, api, request["id"], "deliver")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "delivered"
    assert body["tracking_number"] is None
    assert "finance@acme.example" in body["events"][-1]["note"]
    assert body["delivery"] == {
        "channel": "email",
        "to": ["finance@acme.example"],
        "status": "queued",
        "attempts": 0,
        "last_error": None,
        "sent_at": None,
    }


@pytest.mark.parametrize("action", ["reject", "reverse"])
@pytest.mark.parametrize("body", [None, {}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}])
async def test_reject_and_reverse_need_a_reason(
    client: httpx.AsyncClient, api: Api, action: str, body: dict[str, Any] | None
) -> None:
    ready = await ready_customer(api, bills=1)
    request = await to_status(client, api, ready, "pending" if action == "reject" else "issued")
    response = await move(client, api, request["id"], action, body)
    assert response.status_code == 422, response.text


async def test_reject_while_processing(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    request = await to_status(client, api, ready, "processing")
    response = await move(client, api, request["id"], "reject", {"reason": "Duplicate of another request"})
    assert response.status_code == 200, response.text
    assert response.json()["events"][-1] == {
        "status": "rejected",
        "at": response.json()["updated_at"],
        "actor_role": "finance",
        "actor": {"role": "finance", "name": None},  # the fixture's key has no name
        "note_code": None,  # a person's reason: shown as written
        "note": "Duplicate of another request",
    }
    assert await _invoiceable(client, ready) == ["100.00"]


async def test_every_move_is_announced_on_the_outbox(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    reversed_ = await to_status(client, api, ready, "reversed")
    events: list[dict[str, Any]] = []
    cursor = None
    # On PostgreSQL the feed only serves transactions older than every writer still running in
    # the cluster (other tests' too), so a consumer may have to poll briefly.
    for _attempt in range(100):
        params: dict[str, Any] = {"limit": 100} | ({"after": cursor} if cursor else {})
        page = (await client.get("/v1/events", params=params, headers=api.billing)).json()
        events += [e for e in page["data"] if e["account_id"] == ready.customer.account_id]
        cursor = page["next_cursor"]
        if page["has_more"]:
            continue
        if any(e["type"] == "invoice_request.reversed" for e in events):
            break
        await asyncio.sleep(0.1)
    assert [e["type"] for e in events if e["type"].startswith("invoice_request.")] == [
        "invoice_request.created",
        "invoice_request.processing",
        "invoice_request.issued",
        "invoice_request.reversing",
        "invoice_request.reversed",
    ]
    # The request as it was after the move; what a reader may do next is not part of the record.
    assert events[-1]["data"] == {key: value for key, value in reversed_.items() if key != "allowed_moves"}


async def test_unknown_and_malformed_request_ids_are_not_found(client: httpx.AsyncClient, api: Api) -> None:
    for request_id in (str(uuid.uuid4()), "not-an-id"):
        response = await move(client, api, request_id, "start")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


async def test_requests_made_again_after_release_are_independent(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    first = await to_status(client, api, ready, "cancelled")
    second = await create(client, ready)
    # Rejecting the second releases only its own reservation once.
    response = await move(client, api, second["id"], "reject", {"reason": "No"})
    assert response.status_code == 200
    assert await _invoiceable(client, ready) == ["100.00"]
    third = await create(client, ready)
    assert len({first["id"], second["id"], third["id"]}) == 3
