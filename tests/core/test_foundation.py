"""Foundations every route relies on: keys at rest, request ids, problem documents for stray routes."""

import hashlib

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from app.core.database import Database
from tests.factories import Api


async def test_stored_api_key_is_only_a_sha256(app: FastAPI, client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    database: Database = app.state.database
    async with database.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT * FROM api_key"))).all()
    dump = "\n".join(repr(tuple(row)) for row in rows)
    digest = hashlib.sha256(customer.key.encode()).hexdigest()

    assert customer.key not in dump
    # Nor any long piece of it (a prefix is shown to identify the key, nothing more).
    secret = customer.key.removeprefix("ik_")
    assert all(secret[i : i + 16] not in dump for i in range(len(secret) - 15))
    assert digest in dump
    for staff_key in (api.billing_key, api.finance_key):
        assert staff_key not in dump
        assert hashlib.sha256(staff_key.encode()).hexdigest() in dump
    # The key still works: only its hash is needed to authenticate.
    assert (await client.get("/v1/account", headers=customer.headers)).status_code == 200


async def test_request_id_is_echoed_when_sent(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "trace-abc-123"})
    assert response.headers["x-request-id"] == "trace-abc-123"


async def test_request_id_is_generated_when_absent_and_on_errors(client: httpx.AsyncClient) -> None:
    first = await client.get("/v1/account")
    second = await client.get("/v1/account")
    assert first.status_code == 401
    assert first.headers["x-request-id"]
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    echoed = await client.get("/v1/account", headers={"X-Request-ID": "req-401"})
    assert echoed.headers["x-request-id"] == "req-401"
    assert echoed.json()["request_id"] == "req-401"


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    for headers in ({}, customer.headers):
        response = await client.get("/v1/no-such-thing", headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "not_found"
        assert body["status"] == 404
        assert {"type", "title", "detail"} <= set(body)


async def test_wrong_method_is_405_problem(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    response = await client.delete("/v1/certification", headers=customer.headers)
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "method_not_allowed"
    assert response.json()["status"] == 405
    assert "GET" in response.headers.get("allow", "")
