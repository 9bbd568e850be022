"""Invoice profiles through the HTTP API: header rules, VAT-special fields, defaults, tenancy."""

import asyncio
from typing import Any

import httpx
import pytest

from tests.factories import (
    OTHER_TAXPAYER_ID,
    TAXPAYER_ID,
    VAT_SPECIAL_FIELDS,
    Api,
    Customer,
    make_profile,
)

URL = "/v1/invoice-profiles"


async def certified(api: Api) -> Customer:
    customer = await api.customer()
    await api.certify(customer)
    return customer


async def post(client: httpx.AsyncClient, customer: Customer, body: Any) -> httpx.Response:
    return await client.post(URL, json=body, headers=customer.headers)


async def patch(client: httpx.AsyncClient, customer: Customer, profile_id: str, body: Any) -> httpx.Response:
    return await client.patch(f"{URL}/{profile_id}", json=body, headers=customer.headers)


async def listed_ids(client: httpx.AsyncClient, customer: Customer) -> list[str]:
    response = await client.get(URL, headers=customer.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def error_fields(response: httpx.Response) -> list[str]:
    return sorted(error["field"] for error in response.json()["errors"])


# --- creation and the header ------------------------------------------------------------------


async def test_omitted_header_is_copied_from_the_certification(client: httpx.AsyncClient, api: Api) -> None:
    customer = await certified(api)
    response = await post(client, customer, {"invoice_type": "electronic_ordinary"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["title"] == "Acme Cloud Ltd."
    assert body["taxpayer_id"] == TAXPAYER_ID
    assert body["usable"] is True
    assert body["is_default"] is False
    assert body["bank_name"] is None
    assert set(body) == {
        "id",
        "invoice_type",
        "title",
        "taxpayer_id",
        "bank_name",
        "bank_account",
        "registered_address",
        "registered_phone",
        "is_default",
        "usable",
        "created_at",
        "updated_at",
    }
    assert (await client.get(f"{URL}/{body['id']}", headers=customer.headers)).json() == body


async def test_given_header_equal_to_certification_is_accepted(client: httpx.AsyncClient, api: Api) -> None:
    customer = await certified(api)
    response = await post(
        client,
        customer,
        {"invoice_type": "vat_ordinary", "title": " Acme Cloud Ltd. ", "taxpayer_id": TAXPAYER_ID.lower()},
    )
    assert response.status_code == 201, response.text
    assert response.json()["taxpayer_id"] == TAXPAYER_ID
    assert response.json()["title"] == "Acme Cloud Ltd."


@pytest.mark.parametrize(
    ("header", "fields"),
    [
        ({"title": "Another Company Ltd."}, ["body.title"]),
        ({"taxpayer_id": OTHER_TAXPAYER_ID}, ["body.taxpayer_id"]),
        (
            {"title": "Another Company Ltd.", "taxpayer_id": OTHER_TAXPAYER_ID},
            ["body.taxpayer_id", "body.title"],
        ),
    ],
)
async def test_different_header_is_header_mismatch(
    client: httpx.AsyncClient, api: Api, header: dict[str, str], fields: list[str]
) -> None:
    customer = await certified(api)
    response = await post(client, customer, {"invoice_type": "vat_ordinary", **header})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "header_mismatch"
    assert error_fields(response) == fields
    assert await listed_ids(client, customer) == []


async def test_without_certification_is_certification_required(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    for body in (
        {"invoice_type": "vat_ordinary"},
        {"invoice_type": "vat_ordinary", "title": "Acme Cloud Ltd.", "taxpayer_id": TAXPAYER_ID},
    ):
        response = await post(client, customer, body)
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "certification_required"


async def test_vat_special_with_all_fields_is_usable(client: httpx.AsyncClient, api: Api) -> None:
    customer = await certified(api)
    body = await make_profile(api, customer, "vat_special", bank_account="6217 0000 1234 5678")
    assert body["usable"] is True
    assert body["bank_account"] == "6217000012345678"
    assert body["registered_phone"] == "0591-87654321"


async def test_vat_special_names_every_missing_field(client: httpx.AsyncClient, api: Api) -> None:
    customer = await certified(api)
    response = await post(client, customer, {"invoice_type": "vat_special"})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert error_fields(response) == [
        "body.bank_account",
        "body.bank_name",
        "body.registered_address",
        "body.registered_phone",
    ]

    partial = {**VAT_SPECIAL_FIELDS, "bank_name": None, "registered_phone": ""}
    response = await post(client, customer, {"invoice_type": "vat_special", **partial})
    assert response.status_code == 422
    assert error_fields(response) == ["body.bank_name", "body.registered_phone"]


@pytest.mark.parametrize("invoice_type", ["vat_ordinary", "electronic_ordinary"])
async def test_other_types_may_leave_bank_fields_empty(
    client: httpx.AsyncClient, api: Api, invoice_type: str
) -> None:
    customer = await certified(api)
    response = await post(
        client, customer, {"invoice_type": invoice_type, "bank_name": "", "bank_account": None}
    )
    assert response.status_code == 201, response.text
    assert response.json()["bank_name"] is None
    assert response.json()["usable"] is True


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bank_account", "12345"),  # too short
        ("bank_account", "1" * 33),  # too long
        ("bank_account", "6217-0000-1234"),
        ("bank_account", "6217O00012345678"),
        ("bank_account", 6217000012345678),
        ("bank_account", "6217" + "".join(chr(ord(c) + 0xFEE0) for c in "000012345678")),
        ("registered_phone", "1" + "".join(chr(ord(c) + 0xFEE0) for c in "3812345678")),
        ("registered_phone", "12345"),
        ("registered_phone", "0591 8765 4321"),
        ("registered_phone", "+8613812345678"),
        ("registered_phone", "23812345678"),
        ("registered_phone", "0591-8765432100"),
        ("bank_name", "x" * 101),
        ("registered_address", "x" * 201),
        ("title", "x" * 10_000),
        ("title", 12345),
        ("title", False),
        ("taxpayer_id", "91350100M000100Y44"),
        ("taxpayer_id", 1),
        ("invoice_type", "paper"),
        ("invoice_type", None),
        ("is_default", "yes"),
        ("is_default", 1),
        ("bank_name", "Bank\x07of China"),
    ],
)
async def test_malformed_field_is_422_on_that_field(
    client: httpx.AsyncClient, api: Api, field: str, value: Any
) -> None:
    customer = await certified(api)
    body = {"invoice_type": "vat_special", **VAT_SPECIAL_FIELDS, field: value}
    response = await post(client, customer, body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert [e["field"] for e in response.json()["errors"]] == [f"body.{field}"]


@pytest.mark.parametrize(
    "phone", ["13812345678", "010-12345678", "01012345678", "0571-8888888", "05718888888"]
)
async def test_accepted_registered_phones(client: httpx.AsyncClient, api: Api, phone: str) -> None:
    customer = await certified(api)
    body = await make_profile(api, customer, "vat_special", registered_phone=phone)
    assert body["registered_phone"] == phone


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b"[1, 2]",
        b"null",
        b"{}",
        b'{"invoice_type": "vat_ordinary", "unknown": true}',
        b'{"invoice_type": "vat_ordinary", "title": "x' + b"x" * 10_000 + b'"}',
    ],
)
async def test_malformed_bodies_are_422_problems(client: httpx.AsyncClient, api: Api, content: bytes) -> None:
    customer = await certified(api)
    response = await client.post(
        URL, content=content, headers={**customer.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "validation_error"


# --- usable against the current certification ---------------------------------------------------


async def test_recertifying_with_other_data_makes_old_profiles_unusable(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer = await certified(api)
    old = await make_profile(api, customer, "vat_special")
    await api.certify(customer, name="Acme Cloud Group", taxpayer_id=OTHER_TAXPAYER_ID)

    assert (await client.get(f"{URL}/{old['id']}", headers=customer.headers)).json()["usable"] is False
    listed = (await client.get(URL, headers=customer.headers)).json()["data"]
    assert [item["usable"] for item in listed] == [False]

    new = await make_profile(api, customer, "vat_ordinary")
    assert new["title"] == "Acme Cloud Group"
    assert new["usable"] is True

    # Bringing the old profile's header in line with the new certification makes it usable again.
    response = await patch(
        client, customer, old["id"], {"title": "Acme Cloud Group", "taxpayer_id": OTHER_TAXPAYER_ID}
    )
    assert response.status_code == 200, response.text
    assert response.json()["usable"] is True


async def test_unusable_profile_stays_editable_without_touching_its_header(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer = await certified(api)
    old = await make_profile(api, customer, "vat_ordinary")
    await api.certify(customer, name="Acme Cloud Group")
    response = await patch(client, customer, old["id"], {"bank_name": "ICBC"})
    assert response.status_code == 200, response.text
    assert response.json()["bank_name"] == "ICBC"
    assert response.json()["title"] == "Acme Cloud Ltd."
    assert response.json()["usable"] is False


# --- PATCH ------------------------------------------------------------------------------------


async def test_patch_replaces_given_fields_and_keeps_the_rest(client: httpx.AsyncClient, api: Api) -> None:
    customer = await certified(api)
    created = await make_profile(api, customer, "vat_special")
    response = await patch(
        client, customer, created["id"], {"bank_name": "ICBC", "bank_account": "1234 5678"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["bank_name"] == "ICBC"
    assert body["bank_account"] == "12345678"
    assert body["registered_address"] == VAT_SPECIAL_FIELDS["registered_address"]
    assert body["created_at"] == created["created_at"]
    assert body["updated_at"] > created["updated_at"]
    assert (await client.get(f"{URL}/{created['id']}", headers=customer.headers)).json() == body


async def test_patch_null_clears_optional_fields_unless_the_type_needs_them(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer = await certified(api)
    created = await make_profile(api, customer, "vat_special")

    response = await patch(client, customer, created["id"], {"bank_name": None})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert error_fields(response) == ["body.bank_name"]

    response = await patch(
        client,
        customer,
        created["id"],
        {"invoice_type": "vat_ordinary", "bank_name": None, "bank_account": None},
    )
    assert response.status_code == 200, response.text
    assert response.json()["bank_name"] is None
    assert response.json()["bank_account"] is None
    assert response.json()["invoice_type"] == "vat_ordinary"


async def test_patch_to_vat_special_needs_the_fields(client: httpx.AsyncClient, api: Api) -> None:
    customer = await certified(api)
    created = await make_profile(api, customer, "electronic_ordinary", bank_name="ICBC")
    response = await patch(client, customer, created["id"], {"invoice_type": "vat_special"})
    assert response.status_code == 422
    assert error_fields(response) == ["body.bank_account", "body.registered_address", "body.registered_phone"]

    response = await patch(
        client, customer, created["id"], {"invoice_type": "vat_special", **VAT_SPECIAL_FIELDS}
    )
    assert response.status_code == 200, response.text
    assert response.json()["usable"] is True


async def test_patch_with_a_different_header_is_header_mismatch(client: httpx.AsyncClient, api: Api) -> None:
    customer = await certified(api)
    created = await make_profile(api, customer)
    for body in ({"title": "Someone Else Ltd."}, {"taxpayer_id": OTHER_TAXPAYER_ID}):
        response = await patch(client, customer, created["id"], body)
        assert response.status_code == 422
        assert response.json()["code"] == "header_mismatch"
    unchanged = (await client.get(f"{URL}/{created['id']}", headers=customer.headers)).json()
    assert unchanged == created


@pytest.mark.parametrize("field", ["invoice_type", "title", "taxpayer_id", "is_default"])
async def test_patch_cannot_null_required_fields(client: httpx.AsyncClient, api: Api, field: str) -> None:
    customer = await certified(api)
    created = await make_profile(api, customer)
    response = await patch(client, customer, created["id"], {field: None})
    assert response.status_code == 422
    assert error_fields(response) == [f"body.{field}"]


@pytest.mark.parametrize(
    "body", [{"unknown": 1}, {"title": 5}, {"bank_account": False}, {"registered_address": "x" * 10_000}]
)
async def test_patch_rejects_malformed_bodies(
    client: httpx.AsyncClient, api: Api, body: dict[str, Any]
) -> None:
    customer = await certified(api)
    created = await make_profile(api, customer)
    response = await patch(client, customer, created["id"], body)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


# --- defaults --------------------------------------------------------------------------------


async def test_one_default_per_account(client: httpx.AsyncClient, api: Api) -> None:
    customer = await certified(api)
    other = await certified(api)
    first = await make_profile(api, customer, is_default=True)
    others_default = await make_profile(api, other, is_default=True)
    second = await make_profile(api, customer, is_default=True)

    async def defaults(who: Customer) -> list[str]:
        items = (await client.get(URL, headers=who.headers)).json()["data"]
        return [item["id"] for item in items if item["is_default"]]

    assert await defaults(customer) == [second["id"]]

    response = await patch(client, customer, first["id"], {"is_default": True})
    assert response.status_code == 200
    assert await defaults(customer) == [first["id"]]
    assert await defaults(other) == [others_default["id"]]

    response = await patch(client, customer, first["id"], {"is_default": False})
    assert response.json()["is_default"] is False
    assert await defaults(customer) == []


async def test_deleting_the_default_leaves_none(client: httpx.AsyncClient, api: Api) -> None:
    customer = await certified(api)
    default = await make_profile(api, customer, is_default=True)
    assert (await client.delete(f"{URL}/{default['id']}", headers=customer.headers)).status_code == 204
    replacement = await make_profile(api, customer, is_default=True)
    assert replacement["is_default"] is True


# --- delete, tenancy --------------------------------------------------------------------------


async def test_soft_deleted_profile_vanishes(client: httpx.AsyncClient, api: Api) -> None:
    customer = await certified(api)
    kept = await make_profile(api, customer)
    gone = await make_profile(api, customer)
    response = await client.delete(f"{URL}/{gone['id']}", headers=customer.headers)
    assert response.status_code == 204
    assert response.content == b""

    assert await listed_ids(client, customer) == [kept["id"]]
    assert (await client.get(f"{URL}/{gone['id']}", headers=customer.headers)).status_code == 404
    assert (await patch(client, customer, gone["id"], {"bank_name": "x"})).status_code == 404
    assert (await client.delete(f"{URL}/{gone['id']}", headers=customer.headers)).status_code == 404


async def test_another_accounts_profile_is_not_found(client: httpx.AsyncClient, api: Api) -> None:
    owner = await certified(api)
    stranger = await certified(api)
    profile = await make_profile(api, owner)
    path = f"{URL}/{profile['id']}"

    for response in (
        await client.get(path, headers=stranger.headers),
        await patch(client, stranger, profile["id"], {"bank_name": "x"}),
        await client.delete(path, headers=stranger.headers),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"
    assert await listed_ids(client, stranger) == []
    assert (await client.get(path, headers=owner.headers)).json() == profile


@pytest.mark.parametrize("profile_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "x" * 500])
async def test_unknown_or_malformed_id_is_404(client: httpx.AsyncClient, api: Api, profile_id: str) -> None:
    customer = await certified(api)
    assert (await client.get(f"{URL}/{profile_id}", headers=customer.headers)).status_code == 404
    assert (await patch(client, customer, profile_id, {"bank_name": "x"})).status_code == 404
    assert (await client.delete(f"{URL}/{profile_id}", headers=customer.headers)).status_code == 404


async def test_only_customer_keys(client: httpx.AsyncClient, api: Api) -> None:
    for headers in (api.billing, api.finance):
        assert (await client.get(URL, headers=headers)).status_code == 403
        response = await client.post(URL, json={"invoice_type": "vat_ordinary"}, headers=headers)
        assert response.status_code == 403
    assert (await client.get(URL)).status_code == 401


# --- pagination -------------------------------------------------------------------------------


async def test_list_walks_pages_newest_first(client: httpx.AsyncClient, api: Api) -> None:
    customer = await certified(api)
    created = [(await make_profile(api, customer))["id"] for _ in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(URL, params=params, headers=customer.headers)).json()
        seen += [item["id"] for item in page["data"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert seen == list(reversed(created))


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"limit": "x"}, {"cursor": "tampered"}])
async def test_bad_page_parameters_are_422(
    client: httpx.AsyncClient, api: Api, params: dict[str, str | int]
) -> None:
    customer = await certified(api)
    response = await client.get(URL, params=params, headers=customer.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_concurrent_default_switches_leave_exactly_one_default(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer = await certified(api)
    ids = [(await make_profile(api, customer))["id"] for _ in range(8)]
    responses = await asyncio.gather(*(patch(client, customer, pid, {"is_default": True}) for pid in ids))
    assert [r.status_code for r in responses] == [200] * len(ids)
    items = (await client.get(URL, headers=customer.headers)).json()["data"]
    assert sum(item["is_default"] for item in items) == 1
