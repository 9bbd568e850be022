"""Enterprise certification through the HTTP API: validation, re-certification, the outbox."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.core.database import Database
from app.events.models import Event
from tests.factories import OTHER_TAXPAYER_ID, TAXPAYER_ID, Api, Customer


async def certification_events(app: FastAPI, account_id: str) -> list[dict[str, Any]]:
    database: Database = app.state.database
    async with database.read_session() as session:
        rows = (
            await session.execute(
                select(Event)
                .where(Event.account_id == uuid.UUID(account_id), Event.type == "certification.updated")
                .order_by(Event.id)
            )
        ).scalars()
        return [row.data for row in rows]


async def put(client: httpx.AsyncClient, customer: Customer, body: Any) -> httpx.Response:
    return await client.put("/v1/certification", json=body, headers=customer.headers)


async def test_uncertified_account_reads_status_with_null_fields(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    response = await client.get("/v1/certification", headers=customer.headers)
    assert response.status_code == 200
    assert response.json() == {
        "status": "uncertified",
        "enterprise_name": None,
        "taxpayer_id": None,
        "certified_at": None,
    }


async def test_certify_trims_name_upper_cases_taxpayer_id_and_shows_on_account(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer = await api.customer()
    response = await put(
        client, customer, {"enterprise_name": "  Acme Cloud Ltd.  ", "taxpayer_id": TAXPAYER_ID.lower()}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "certified"
    assert body["enterprise_name"] == "Acme Cloud Ltd."
    assert body["taxpayer_id"] == TAXPAYER_ID
    assert body["certified_at"].endswith("Z")

    assert (await client.get("/v1/certification", headers=customer.headers)).json() == body
    account = (await client.get("/v1/account", headers=customer.headers)).json()
    assert account["certification_status"] == "certified"


async def test_each_change_writes_one_certification_updated_event(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    customer = await api.customer()
    first = await api.certify(customer)
    assert await certification_events(app, customer.account_id) == [first]

    second = await api.certify(customer, name="Acme Cloud Group", taxpayer_id=OTHER_TAXPAYER_ID)
    assert second["enterprise_name"] == "Acme Cloud Group"
    assert second["taxpayer_id"] == OTHER_TAXPAYER_ID
    assert second["certified_at"] > first["certified_at"]
    assert await certification_events(app, customer.account_id) == [first, second]


async def test_repeating_identical_data_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    customer = await api.customer()
    first = await api.certify(customer)
    again = await api.certify(customer, name=" Acme Cloud Ltd. ", taxpayer_id=TAXPAYER_ID.lower())
    assert again == first
    assert len(await certification_events(app, customer.account_id)) == 1


async def test_recertifying_only_the_name_is_a_change(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    customer = await api.customer()
    await api.certify(customer)
    renamed = await api.certify(customer, name="Acme Cloud (Fujian) Ltd.")
    assert renamed["enterprise_name"] == "Acme Cloud (Fujian) Ltd."
    assert len(await certification_events(app, customer.account_id)) == 2


async def test_certification_is_per_account(client: httpx.AsyncClient, api: Api) -> None:
    certified = await api.customer()
    other = await api.customer()
    await api.certify(certified)
    response = await client.get("/v1/certification", headers=other.headers)
    assert response.json()["status"] == "uncertified"


@pytest.mark.parametrize(
    "taxpayer_id",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y431",  # 19 characters
        "91350100M000I00Y43",  # I is not in the alphabet
        "91350100M000O00Y43",  # O is not in the alphabet
        "91350100M000100Z43",  # Z is not in the alphabet
        "9135 0100M000100Y43",  # a space
        "91350100-M000100Y4",  # a hyphen
        " 91350100M000100Y43",
        "",
        "X" * 10_000,
        "".join(chr(ord(c) + 0xFEE0) for c in TAXPAYER_ID),  # full-width
        123456789012345678,
        None,
        True,
        ["91350100M000100Y43"],
    ],
)
async def test_invalid_taxpayer_id_is_422_on_the_field(
    client: httpx.AsyncClient, api: Api, taxpayer_id: Any
) -> None:
    customer = await api.customer()
    response = await put(client, customer, {"enterprise_name": "Acme Cloud Ltd.", "taxpayer_id": taxpayer_id})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_error"
    assert [error["field"] for error in body["errors"]] == ["body.taxpayer_id"]
    assert (await client.get("/v1/certification", headers=customer.headers)).json()["status"] == "uncertified"


@pytest.mark.parametrize(
    "name",
    ["A", "  A  ", "", "   ", "x" * 101, "x" * 10_000, "Acme\nCloud", "Acme\x00Cloud", 42, False, None],
)
async def test_invalid_enterprise_name_is_422_on_the_field(
    client: httpx.AsyncClient, api: Api, name: Any
) -> None:
    customer = await api.customer()
    response = await put(client, customer, {"enterprise_name": name, "taxpayer_id": TAXPAYER_ID})
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["body.enterprise_name"]


@pytest.mark.parametrize("name", ["AB", "x" * 100, "  " + "x" * 100 + "  ", "阿克米云计算有限公司"])
async def test_enterprise_name_bounds_are_inclusive(client: httpx.AsyncClient, api: Api, name: str) -> None:
    customer = await api.customer()
    response = await put(client, customer, {"enterprise_name": name, "taxpayer_id": TAXPAYER_ID})
    assert response.status_code == 200, response.text
    assert response.json()["enterprise_name"] == name.strip()


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b"not json",
        b"[]",
        b'"text"',
        b"null",
        b'{"enterprise_name": "Acme Cloud Ltd."}',
        b'{"enterprise_name": "Acme Cloud Ltd.", "taxpayer_id": "91350100M000100Y43", "extra": 1}',
    ],
)
async def test_malformed_bodies_are_422_problems(client: httpx.AsyncClient, api: Api, content: bytes) -> None:
    customer = await api.customer()
    response = await client.put(
        "/v1/certification",
        content=content,
        headers={**customer.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "validation_error"


async def test_only_customer_keys_may_certify(client: httpx.AsyncClient, api: Api) -> None:
    body = {"enterprise_name": "Acme Cloud Ltd.", "taxpayer_id": TAXPAYER_ID}
    for headers in (api.billing, api.finance):
        assert (await client.put("/v1/certification", json=body, headers=headers)).status_code == 403
        assert (await client.get("/v1/certification", headers=headers)).status_code == 403
    response = await client.put("/v1/certification", json=body)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


async def test_concurrent_first_certifications_all_succeed_once(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    customer = await api.customer()
    body = {"enterprise_name": "Acme Cloud Ltd.", "taxpayer_id": TAXPAYER_ID}
    responses = await asyncio.gather(*(put(client, customer, body) for _ in range(6)))
    assert [r.status_code for r in responses] == [200] * 6
    assert len(await certification_events(app, customer.account_id)) == 1
