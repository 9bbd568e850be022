"""Mailing addresses through the HTTP API: formats, email-or-address, defaults, tenancy, paging."""

import asyncio
from typing import Any

import httpx
import pytest

from tests.factories import Api, Customer, make_address

URL = "/v1/mailing-addresses"


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


BASE = {"recipient": "Li Lei", "phone": "13812345678", "email": "invoices@acme.example"}


async def post(client: httpx.AsyncClient, customer: Customer, body: Any) -> httpx.Response:
    return await client.post(URL, json=body, headers=customer.headers)


async def patch(client: httpx.AsyncClient, customer: Customer, address_id: str, body: Any) -> httpx.Response:
    return await client.patch(f"{URL}/{address_id}", json=body, headers=customer.headers)


async def listed_ids(client: httpx.AsyncClient, customer: Customer) -> list[str]:
    response = await client.get(URL, headers=customer.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def error_fields(response: httpx.Response) -> list[str]:
    return sorted(error["field"] for error in response.json()["errors"])


# --- creation ---------------------------------------------------------------------------------


async def test_create_and_read_back(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    response = await post(
        client,
        customer,
        {
            "recipient": "  Li Lei ",
            "phone": "13812345678",
            "email": "Invoices@ACME.example",
            "address": "1 Software Ave, Gulou District, Fuzhou",
            "postal_code": "350001",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["recipient"] == "Li Lei"
    assert body["email"] == "Invoices@acme.example"  # the domain is normalized, the local part kept
    assert body["postal_code"] == "350001"
    assert body["is_default"] is False
    assert body["created_at"] == body["updated_at"]
    assert set(body) == {
        "id",
        "recipient",
        "phone",
        "email",
        "cc_emails",
        "address",
        "postal_code",
        "is_default",
        "created_at",
        "updated_at",
    }
    assert body["cc_emails"] == []
    assert (await client.get(f"{URL}/{body['id']}", headers=customer.headers)).json() == body


async def test_email_only_and_address_only_are_both_fine(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    electronic = await make_address(api, customer, address=None, postal_code=None)
    assert electronic["address"] is None
    paper = await make_address(api, customer, email=None)
    assert paper["email"] is None


@pytest.mark.parametrize(
    "destination",
    [{}, {"email": None, "address": None}, {"email": "", "address": "   "}, {"postal_code": "350001"}],
)
async def test_needs_an_email_or_an_address(
    client: httpx.AsyncClient, api: Api, destination: dict[str, Any]
) -> None:
    customer = await api.customer()
    body = {"recipient": "Li Lei", "phone": "13812345678", **destination}
    response = await post(client, customer, body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert error_fields(response) == ["body.address", "body.email"]


@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "19912345678",
        "010-12345678",
        "01012345678",
        "0571-88888888",
        "057188888888",
        "0739-1234567",
    ],
)
async def test_accepted_phones(client: httpx.AsyncClient, api: Api, phone: str) -> None:
    customer = await api.customer()
    assert (await make_address(api, customer, phone=phone))["phone"] == phone


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "1381234567"),  # 10 digits
        ("phone", "138123456789"),  # 12 digits
        ("phone", "23812345678"),
        ("phone", "+86 13812345678"),
        ("phone", "0571 8888 8888"),  # spaces are not accepted
        ("phone", "(0571)88888888"),
        ("phone", "0571-888888"),  # 6-digit local number
        ("phone", "0571-888888888"),  # 9-digit local number
        ("phone", "10-12345678"),  # area code without its 0
        ("phone", "010-12345678-123"),  # extensions are not accepted
        ("phone", full_width("13812345678")),
        ("phone", "1" + full_width("3812345678")),
        ("phone", "010-" + full_width("12345678")),
        ("postal_code", full_width("350001")),
        ("postal_code", "35000" + full_width("1")),
        ("phone", 13812345678),
        ("phone", None),
        ("email", "not-an-email"),
        ("email", "a@b"),
        ("email", "x" * 10_000),
        ("email", 5),
        ("postal_code", "35000"),
        ("postal_code", "3500011"),
        ("postal_code", "35000A"),
        ("postal_code", 350001),
        ("recipient", ""),
        ("recipient", "x" * 101),
        ("recipient", "x" * 10_000),
        ("recipient", False),
        ("recipient", "Li\nLei"),
        ("address", "x" * 301),
        ("address", 42),
        ("address", "line\x00two"),
        ("is_default", "true"),
    ],
)
async def test_malformed_field_is_422_on_that_field(
    client: httpx.AsyncClient, api: Api, field: str, value: Any
) -> None:
    customer = await api.customer()
    body = {**BASE, "address": "1 Software Ave", field: value}
    response = await post(client, customer, body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert [e["field"] for e in response.json()["errors"]] == [f"body.{field}"]


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b"\xff\xfe",
        b"[]",
        b"true",
        b'{"recipient": "Li Lei"}',
        b'{"recipient": "Li Lei", "phone": "13812345678", "email": "a@acme.example", "fax": "1"}',
    ],
)
async def test_malformed_bodies_are_422_problems(client: httpx.AsyncClient, api: Api, content: bytes) -> None:
    customer = await api.customer()
    response = await client.post(
        URL, content=content, headers={**customer.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "validation_error"


# --- PATCH ------------------------------------------------------------------------------------


async def test_patch_replaces_given_fields(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    created = await make_address(api, customer)
    response = await patch(client, customer, created["id"], {"phone": "0591-87654321", "postal_code": None})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["phone"] == "0591-87654321"
    assert body["postal_code"] is None
    assert body["recipient"] == created["recipient"]
    assert body["email"] == created["email"]
    assert body["updated_at"] > created["updated_at"]
    assert (await client.get(f"{URL}/{created['id']}", headers=customer.headers)).json() == body


async def test_patch_may_clear_one_destination_but_not_both(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    created = await make_address(api, customer)
    response = await patch(client, customer, created["id"], {"email": None})
    assert response.status_code == 200
    assert response.json()["email"] is None

    response = await patch(client, customer, created["id"], {"address": None})
    assert response.status_code == 422
    assert error_fields(response) == ["body.address", "body.email"]

    response = await patch(client, customer, created["id"], {"address": None, "email": "post@acme.example"})
    assert response.status_code == 200
    assert response.json()["address"] is None
    assert response.json()["email"] == "post@acme.example"


@pytest.mark.parametrize("field", ["recipient", "phone", "is_default"])
async def test_patch_cannot_null_required_fields(client: httpx.AsyncClient, api: Api, field: str) -> None:
    customer = await api.customer()
    created = await make_address(api, customer)
    response = await patch(client, customer, created["id"], {field: None})
    assert response.status_code == 422
    assert error_fields(response) == [f"body.{field}"]


@pytest.mark.parametrize(
    "body", [{"unknown": 1}, {"phone": "12"}, {"recipient": 7}, {"address": "x" * 10_000}]
)
async def test_patch_rejects_malformed_bodies(
    client: httpx.AsyncClient, api: Api, body: dict[str, Any]
) -> None:
    customer = await api.customer()
    created = await make_address(api, customer)
    response = await patch(client, customer, created["id"], body)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert (await client.get(f"{URL}/{created['id']}", headers=customer.headers)).json() == created


# --- defaults --------------------------------------------------------------------------------


async def test_one_default_per_account(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    other = await api.customer()
    first = await make_address(api, customer, is_default=True)
    others_default = await make_address(api, other, is_default=True)
    second = await make_address(api, customer, is_default=True)

    async def defaults(who: Customer) -> list[str]:
        items = (await client.get(URL, headers=who.headers)).json()["data"]
        return [item["id"] for item in items if item["is_default"]]

    assert await defaults(customer) == [second["id"]]
    assert (await patch(client, customer, first["id"], {"is_default": True})).status_code == 200
    assert await defaults(customer) == [first["id"]]
    assert await defaults(other) == [others_default["id"]]

    assert (await client.delete(f"{URL}/{first['id']}", headers=customer.headers)).status_code == 204
    assert await defaults(customer) == []
    assert (await make_address(api, customer, is_default=True))["is_default"] is True


# --- delete, tenancy --------------------------------------------------------------------------


async def test_soft_deleted_address_vanishes(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    kept = await make_address(api, customer)
    gone = await make_address(api, customer)
    response = await client.delete(f"{URL}/{gone['id']}", headers=customer.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert await listed_ids(client, customer) == [kept["id"]]
    assert (await client.get(f"{URL}/{gone['id']}", headers=customer.headers)).status_code == 404
    assert (await patch(client, customer, gone["id"], {"recipient": "x"})).status_code == 404
    assert (await client.delete(f"{URL}/{gone['id']}", headers=customer.headers)).status_code == 404


async def test_another_accounts_address_is_not_found(client: httpx.AsyncClient, api: Api) -> None:
    owner = await api.customer()
    stranger = await api.customer()
    address = await make_address(api, owner)
    path = f"{URL}/{address['id']}"
    for response in (
        await client.get(path, headers=stranger.headers),
        await patch(client, stranger, address["id"], {"recipient": "x"}),
        await client.delete(path, headers=stranger.headers),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"
    assert await listed_ids(client, stranger) == []
    assert (await client.get(path, headers=owner.headers)).json() == address


@pytest.mark.parametrize("address_id", ["nope", "00000000-0000-0000-0000-000000000000"])
async def test_unknown_or_malformed_id_is_404(client: httpx.AsyncClient, api: Api, address_id: str) -> None:
    customer = await api.customer()
    assert (await client.get(f"{URL}/{address_id}", headers=customer.headers)).status_code == 404
    assert (await patch(client, customer, address_id, {"recipient": "x"})).status_code == 404
    assert (await client.delete(f"{URL}/{address_id}", headers=customer.headers)).status_code == 404


async def test_only_customer_keys(client: httpx.AsyncClient, api: Api) -> None:
    for headers in (api.billing, api.finance):
        assert (await client.get(URL, headers=headers)).status_code == 403
        assert (await client.post(URL, json=BASE, headers=headers)).status_code == 403
    assert (await client.get(URL)).status_code == 401


# --- pagination -------------------------------------------------------------------------------


async def test_25_addresses_walk_in_three_pages_each_exactly_once(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer = await api.customer()
    other = await api.customer()
    await make_address(api, other)
    created = [(await make_address(api, customer, recipient=f"Recipient {n}"))["id"] for n in range(25)]

    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 10}
        if cursor is not None:
            params["cursor"] = cursor
        response = await client.get(URL, params=params, headers=customer.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append([item["id"] for item in page["data"]])
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        assert page["next_cursor"]
        cursor = page["next_cursor"]

    assert [len(page) for page in pages] == [10, 10, 5]
    seen = [address_id for page in pages for address_id in page]
    assert seen == list(reversed(created))  # newest first, each exactly once


async def test_inserts_between_pages_do_not_shift_the_walk(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    created = [(await make_address(api, customer))["id"] for _ in range(4)]
    first = (await client.get(URL, params={"limit": 2}, headers=customer.headers)).json()
    await make_address(api, customer)  # newer than everything: must not appear on later pages
    rest = (
        await client.get(URL, params={"limit": 10, "cursor": first["next_cursor"]}, headers=customer.headers)
    ).json()
    assert [item["id"] for item in first["data"] + rest["data"]] == list(reversed(created))


async def test_default_page_size_is_20(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    for _ in range(21):
        await make_address(api, customer)
    page = (await client.get(URL, headers=customer.headers)).json()
    assert len(page["data"]) == 20
    assert page["has_more"] is True


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": -1},
        {"limit": "ten"},
        {"cursor": "tampered"},
        {"cursor": "eyJ4Ijp0cnVlfQ"},  # base64 of a JSON object, not a cursor
        {"cursor": "WyJub3QtYS1kYXRlIiwibm90LWEtdXVpZCJd"},  # ["not-a-date","not-a-uuid"]
        {"cursor": "!!!"},
        {"cursor": "x" * 201},
    ],
)
async def test_bad_page_parameters_are_422(
    client: httpx.AsyncClient, api: Api, params: dict[str, str | int]
) -> None:
    customer = await api.customer()
    await make_address(api, customer)
    response = await client.get(URL, params=params, headers=customer.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "validation_error"


async def test_a_cursor_from_a_real_page_with_its_last_item_changed_is_harmless(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer = await api.customer()
    for _ in range(3):
        await make_address(api, customer)
    page = (await client.get(URL, params={"limit": 1}, headers=customer.headers)).json()
    tampered = page["next_cursor"][:-2] + ("AA" if not page["next_cursor"].endswith("AA") else "BB")
    response = await client.get(URL, params={"cursor": tampered}, headers=customer.headers)
    assert response.status_code in (200, 422)


async def test_concurrent_default_creations_leave_exactly_one_default(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer = await api.customer()
    responses = await asyncio.gather(
        *(post(client, customer, {**BASE, "is_default": True}) for _ in range(8))
    )
    assert [r.status_code for r in responses] == [201] * 8
    items = (await client.get(URL, headers=customer.headers)).json()["data"]
    assert len(items) == 8
    assert sum(item["is_default"] for item in items) == 1
