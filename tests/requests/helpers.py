"""Shared set-up for invoice-request tests: a customer who could request right now."""

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.factories import TAXPAYER_ID, Api, Customer, make_address, make_bill, make_card, make_profile


@dataclass
class Ready:
    customer: Customer
    profile: dict[str, Any]
    address: dict[str, Any]
    bills: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return self.customer.headers


async def ready_customer(
    api: Api,
    *,
    bills: int = 2,
    cards: int = 0,
    cash: str = "100.00",
    invoice_type: str = "vat_ordinary",
    cash_balance: str | None = "1000.00",
    account_name: str | None = None,
    enterprise_name: str = "Acme Cloud Ltd.",
    taxpayer_id: str = TAXPAYER_ID,
) -> Ready:
    """Certified (as `enterprise_name`, the profile's title), with a usable profile, an address with
    email and postal address, and items."""
    customer = await api.customer(cash_balance=cash_balance, name=account_name)
    await api.certify(customer, name=enterprise_name, taxpayer_id=taxpayer_id)
    ready = Ready(
        customer=customer,
        profile=await make_profile(api, customer, invoice_type),
        address=await make_address(api, customer),
    )
    for month in range(bills):
        year, index = divmod(month, 12)
        period = f"{2020 + year}-{index + 1:02d}"
        ready.bills.append(await make_bill(api, customer.account_id, period=period, cash=cash))
    for number in range(cards):
        ready.cards.append(await make_card(api, customer.account_id, card_no=f"SVC-{number:04d}"))
    return ready


def selection(
    ready: Ready,
    bills: list[dict[str, Any]] | None = None,
    cards: list[dict[str, Any]] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "bill_ids": [bill["id"] for bill in (ready.bills if bills is None else bills)],
        "stored_value_card_ids": [card["id"] for card in (ready.cards if cards is None else cards)],
        "profile_id": ready.profile["id"],
        "address_id": ready.address["id"],
    }
    body.update(overrides)
    return body


async def create(client: httpx.AsyncClient, ready: Ready, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/invoice-requests", json=selection(ready, **overrides), headers=ready.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def move(
    client: httpx.AsyncClient, api: Api, request_id: str, action: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post(f"/v1/invoice-requests/{request_id}/{action}", json=body, headers=api.finance)


async def issue_whole(
    client: httpx.AsyncClient, api: Api, request: dict[str, Any], number: str
) -> dict[str, Any]:
    """start then issue one invoice for the whole amount."""
    response = await move(client, api, request["id"], "start")
    assert response.status_code == 200, response.text
    response = await move(
        client, api, request["id"], "issue", {"invoices": [{"number": number, "amount": request["amount"]}]}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def invoice_number() -> str:
    return uuid.uuid4().hex[:20].upper()


def move_body(action: str, request: dict[str, Any]) -> dict[str, Any] | None:
    """A body that lets `action` succeed on `request` (a paper invoice)."""
    return {
        "issue": {"invoices": [{"number": invoice_number(), "amount": request["amount"]}]},
        "deliver": {"carrier": "SF Express", "tracking_number": "SF1234567890"},
        "reject": {"reason": "Wrong title"},
        "reverse": {"reason": "Red-letter reversal requested"},
        "red-invoices": {"invoices": red_invoices(request)},
    }.get(action)


def red_invoices(request: dict[str, Any]) -> list[dict[str, str]]:
    """One red-letter invoice (a fresh number) per blue invoice of `request`."""
    return [{"number": invoice_number(), "blue_number": blue["number"]} for blue in request["invoices"]]


async def to_status(client: httpx.AsyncClient, api: Api, ready: Ready, status: str) -> dict[str, Any]:
    """A fresh request over all of `ready`'s items, moved to `status` the ordinary way."""
    request = await create(client, ready)
    path = {
        "pending": [],
        "processing": ["start"],
        "issued": ["start", "issue"],
        "delivered": ["start", "issue", "deliver"],
        "cancelled": ["cancel"],
        "rejected": ["reject"],
        "reversing": ["start", "issue", "reverse"],
        "reversed": ["start", "issue", "reverse", "red-invoices"],
    }[status]
    for action in path:
        if action == "cancel":
            response = await client.post(
                f"/v1/invoice-requests/{request['id']}/cancel", headers=ready.headers
            )
        else:
            response = await move(client, api, request["id"], action, move_body(action, request))
        assert response.status_code == 200, response.text
        request = response.json()
    assert request["status"] == status
    return request


# Smallest bodies each format check accepts (app/requests/filetypes.py).
PDF_BYTES = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
XML_BYTES = b'<?xml version="1.0" encoding="UTF-8"?><EInvoice><Number>1</Number></EInvoice>'


def ofd_bytes() -> bytes:
    """An OFD container: a ZIP with OFD.xml at its root."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OFD.xml", '<?xml version="1.0"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>')
        archive.writestr("Doc_0/Document.xml", "<Document/>")
    return buffer.getvalue()


CONTENT_TYPES = {"pdf": "application/pdf", "ofd": "application/ofd", "xml": "application/xml"}


async def upload(
    client: httpx.AsyncClient,
    api: Api,
    request: dict[str, Any],
    file_format: str = "pdf",
    data: bytes = PDF_BYTES,
    *,
    number: str | None = None,
    content_type: str | None = None,
) -> httpx.Response:
    """PUT a file for one of the request's invoices (the first unless `number` is given)."""
    number = number or request["invoices"][0]["number"]
    return await client.put(
        f"/v1/invoice-requests/{request['id']}/invoices/{number}/files/{file_format}",
        content=data,
        headers={**api.finance, "Content-Type": content_type or CONTENT_TYPES[file_format]},
    )


async def reverse_fully(
    client: httpx.AsyncClient, api: Api, request_id: str, reason: str = "Red-letter reversal requested"
) -> httpx.Response:
    """Reverse a request whose buyer need not agree (not a special invoice): `reverse`, then its
    red-letter invoices; the last answer."""
    response = await move(client, api, request_id, "reverse", {"reason": reason})
    if response.status_code != 200:
        return response
    return await move(client, api, request_id, "red-invoices", {"invoices": red_invoices(response.json())})
