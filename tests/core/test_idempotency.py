"""Idempotency-Key: replay, reuse refusal, in-flight refusal, scoping, and one outcome under a race."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, select

from app.accounts.models import Account
from app.cli import migrate
from app.core import idempotency
from app.core.auth import Role
from app.core.database import Database
from app.core.handlers import problem_response
from app.core.idempotency_models import IdempotencyKey
from app.core.settings import Settings
from app.main import create_app
from tests.factories import Api, bearer, issue_staff_key
from tests.server import running_server


async def _count_accounts(app: FastAPI, external_id: str) -> int:
    async with app.state.database.read_session() as session:
        return int(
            (
                await session.execute(
                    select(func.count()).select_from(Account).where(Account.external_id == external_id)
                )
            ).scalar_one()
        )


async def test_same_key_and_body_replays_first_response(
    client: httpx.AsyncClient, api: Api, app: FastAPI
) -> None:
    external_id = uuid.uuid4().hex
    headers = api.billing | {"Idempotency-Key": uuid.uuid4().hex}
    body = {"name": "Replay Ltd.", "external_id": external_id}
    first = await client.post("/v1/accounts", json=body, headers=headers)
    second = await client.post("/v1/accounts", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _count_accounts(app, external_id) == 1


async def test_same_key_with_other_body_is_refused(client: httpx.AsyncClient, api: Api) -> None:
    headers = api.billing | {"Idempotency-Key": uuid.uuid4().hex}
    assert (await client.post("/v1/accounts", json={"name": "A"}, headers=headers)).status_code == 201
    response = await client.post("/v1/accounts", json={"name": "B"}, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "idempotency_key_reused"


async def test_same_key_on_another_path_is_refused(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    key = uuid.uuid4().hex
    first = await client.post(
        "/v1/accounts", json={"role": "customer"}, headers=api.billing | {"Idempotency-Key": key}
    )
    assert first.status_code == 422  # wrong body for this path; the outcome is still remembered
    response = await client.post(
        f"/v1/accounts/{account_id}/api-keys",
        json={"role": "customer"},
        headers=api.billing | {"Idempotency-Key": key},
    )
    assert response.json()["code"] == "idempotency_key_reused"


async def test_refusals_are_replayed_too(client: httpx.AsyncClient, api: Api) -> None:
    headers = api.billing | {"Idempotency-Key": uuid.uuid4().hex}
    body = {"name": ""}
    first = await client.post("/v1/accounts", json=body, headers=headers)
    second = await client.post("/v1/accounts", json=body, headers=headers)
    assert first.status_code == second.status_code == 422
    assert second.json()["code"] == "validation_error"
    assert second.headers["idempotent-replayed"] == "true"


async def test_keys_are_scoped_to_the_api_key(client: httpx.AsyncClient, api: Api, app: FastAPI) -> None:
    other_billing = await issue_staff_key(app, Role.billing)
    key = uuid.uuid4().hex
    first = await client.post(
        "/v1/accounts", json={"name": "Mine"}, headers=api.billing | {"Idempotency-Key": key}
    )
    second = await client.post(
        "/v1/accounts", json={"name": "Mine"}, headers=bearer(other_billing) | {"Idempotency-Key": key}
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


async def test_key_in_flight_is_409(client: httpx.AsyncClient, api: Api, app: FastAPI) -> None:
    key = uuid.uuid4().hex
    auth_response = await client.get("/v1/accounts/" + str(uuid.uuid4()), headers=api.billing)
    assert auth_response.status_code == 404
    # Claim the key as a concurrent worker would, then send the request.
    async with app.state.database.read_session() as session:
        auth = await app.state.key_resolver.resolve(session, api.billing_key)
    assert auth is not None
    body = b'{"name":"Busy"}'
    outcome = await idempotency.claim(
        app.state.database,
        auth.key_id,
        key,
        idempotency.fingerprint("POST", "/v1/accounts", body),
        ttl_seconds=3600,
        lock_seconds=60,
    )
    assert isinstance(outcome, idempotency.Claimed)
    response = await client.post(
        "/v1/accounts",
        content=b'{"name":"Busy"}',
        headers=api.billing | {"Idempotency-Key": key, "content-type": "application/json"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_progress"


async def test_stale_claim_of_a_crashed_worker_is_taken_over(app: FastAPI, api: Api) -> None:
    async with app.state.database.read_session() as session:
        auth = await app.state.key_resolver.resolve(session, api.billing_key)
    assert auth is not None
    args = (app.state.database, auth.key_id, uuid.uuid4().hex, "f" * 64)
    first = await idempotency.claim(*args, ttl_seconds=3600, lock_seconds=60)
    blocked = await idempotency.claim(*args, ttl_seconds=3600, lock_seconds=60)
    await asyncio.sleep(0.01)
    retaken = await idempotency.claim(*args, ttl_seconds=3600, lock_seconds=0)
    assert isinstance(first, idempotency.Claimed)
    assert blocked == idempotency.Refused("idempotency_key_in_progress")
    assert retaken == idempotency.Claimed(first.record_id)


@pytest.mark.parametrize("header", ["", "x" * 256])
async def test_malformed_key_is_422(client: httpx.AsyncClient, api: Api, header: str) -> None:
    response = await client.post(
        "/v1/accounts", json={"name": "A"}, headers=api.billing | {"Idempotency-Key": header}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_unauthenticated_post_with_key_is_401_and_stores_nothing(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    key = uuid.uuid4().hex
    response = await client.post("/v1/accounts", json={"name": "A"}, headers={"Idempotency-Key": key})
    assert response.status_code == 401
    async with app.state.database.read_session() as session:
        stored = (await session.execute(select(IdempotencyKey).where(IdempotencyKey.key == key))).all()
    assert stored == []


async def test_twenty_concurrent_posts_with_one_key_create_one_account(
    backend: str, fresh_database_url: object, tmp_path: Path
) -> None:
    url = fresh_database_url(backend)  # type: ignore[operator]
    migrate(url)
    app = create_app(Settings(database_url=url))
    key_value = await issue_staff_key(app, Role.billing)
    await app.state.database.dispose()
    external_id = uuid.uuid4().hex
    body = {"name": "Race Ltd.", "external_id": external_id}
    headers = bearer(key_value) | {"Idempotency-Key": "race-" + external_id}
    workers = 4 if backend == "postgres" else 1
    with running_server(url, tmp_path, workers=workers) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            responses = await asyncio.gather(
                *(http.post("/v1/accounts", json=body, headers=headers) for _ in range(20))
            )
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    created_ids = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created_ids) == 1
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "idempotency_key_in_progress"
    database = Database(url)
    try:
        async with database.read_session() as session:
            count = (
                await session.execute(
                    select(func.count()).select_from(Account).where(Account.external_id == external_id)
                )
            ).scalar_one()
    finally:
        await database.dispose()
    assert count == 1


# -- only final answers are kept -------------------------------------------------------------------


async def test_a_rate_limited_post_is_not_stored_and_runs_again(
    client: httpx.AsyncClient, api: Api, settings: Settings
) -> None:
    """The issue's case: a 429 must not be replayed for 24 hours to every retry with its key."""
    limited = create_app(settings.model_copy(update={"rate_limit_per_minute": 1}))
    transport = httpx.ASGITransport(app=limited)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            spent = await http.post("/v1/accounts", json={"name": "Spends the limit"}, headers=api.billing)
            assert spent.status_code == 201
            headers = api.billing | {"Idempotency-Key": uuid.uuid4().hex}
            body = {"name": "Rate Ltd.", "external_id": uuid.uuid4().hex}
            refused = await http.post("/v1/accounts", json=body, headers=headers)
            assert refused.status_code == 429
            assert int(refused.headers["retry-after"]) >= 1
            assert "idempotent-replayed" not in refused.headers
            again = await http.post("/v1/accounts", json=body, headers=headers)
            assert again.status_code == 429  # limited again, not a replay of the first 429
            assert "idempotent-replayed" not in again.headers
    finally:
        await limited.state.database.dispose()
    # Once the limit allows (here: a worker without a limit on the same database), it runs.
    retried = await client.post("/v1/accounts", json=body, headers=headers)
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    replayed = await client.post("/v1/accounts", json=body, headers=headers)
    assert replayed.status_code == 201 and replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == retried.json()


@pytest.fixture(scope="module")
async def probe_app(settings: Settings) -> AsyncIterator[tuple[FastAPI, list[str]]]:
    """The real app and middleware, plus POST routes answering what a test needs, counting calls."""
    application = create_app(settings)
    calls: list[str] = []
    answers: dict[str, list[Response]] = {}

    async def probe(name: str) -> Response:
        calls.append(name)
        queue = answers[name]
        if len(queue) > 1:
            return queue.pop(0)
        return queue[0]

    async def crash() -> Response:
        calls.append("crash")
        if calls.count("crash") == 1:
            raise RuntimeError("a bug")
        return JSONResponse({"ok": True}, status_code=201)

    answers["created"] = [
        JSONResponse({"id": "p1"}, status_code=201, headers={"Location": "/v1/probes/p1", "X-Other": "1"})
    ]
    answers["later"] = [
        JSONResponse({"queued": True}, status_code=202, headers={"Retry-After": "7"}),
    ]
    answers["busy"] = [
        problem_response(503, "database_unavailable", "down", headers={"Retry-After": "2"}),
        problem_response(502, "bad_gateway", "upstream"),
        JSONResponse({"id": "p2"}, status_code=201),
    ]
    application.add_api_route("/v1/probes/{name}", probe, methods=["POST"])
    application.add_api_route("/v1/crash", crash, methods=["POST"])
    yield application, calls
    await application.state.database.dispose()


async def _probe(probe_app: tuple[FastAPI, list[str]], path: str, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=probe_app[0])
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.post(path, json={"n": 1}, headers=headers)


async def test_a_replay_carries_location_retry_after_and_content_type(
    probe_app: tuple[FastAPI, list[str]], api: Api
) -> None:
    calls = probe_app[1]
    for name, header in (("created", "location"), ("later", "retry-after")):
        headers = api.billing | {"Idempotency-Key": uuid.uuid4().hex}
        first = await _probe(probe_app, f"/v1/probes/{name}", headers)
        before = calls.count(name)
        second = await _probe(probe_app, f"/v1/probes/{name}", headers)
        assert calls.count(name) == before  # replayed, not run
        assert second.status_code == first.status_code
        assert second.content == first.content
        assert second.headers[header] == first.headers[header]
        assert second.headers["content-type"] == first.headers["content-type"] == "application/json"
        assert second.headers["idempotent-replayed"] == "true"
        assert "x-other" not in second.headers  # only the headers that matter are kept


async def test_a_replayed_problem_keeps_its_content_type(client: httpx.AsyncClient, api: Api) -> None:
    headers = api.billing | {"Idempotency-Key": uuid.uuid4().hex}
    first = await client.post("/v1/accounts", json={"name": ""}, headers=headers)
    second = await client.post("/v1/accounts", json={"name": ""}, headers=headers)
    assert first.status_code == second.status_code == 422
    assert second.headers["content-type"] == "application/problem+json"
    assert second.headers["idempotent-replayed"] == "true"


async def test_503_5xx_and_crashes_are_not_stored(probe_app: tuple[FastAPI, list[str]], api: Api) -> None:
    calls = probe_app[1]
    headers = api.billing | {"Idempotency-Key": uuid.uuid4().hex}
    statuses = [(await _probe(probe_app, "/v1/probes/busy", headers)).status_code for _ in range(4)]
    assert statuses == [503, 502, 201, 201]
    assert calls.count("busy") == 3  # the 201 was the first final answer; the last call replayed it

    headers = api.billing | {"Idempotency-Key": uuid.uuid4().hex}
    crashed = await _probe(probe_app, "/v1/crash", headers)
    assert crashed.status_code == 500
    retried = await _probe(probe_app, "/v1/crash", headers)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    assert calls.count("crash") == 2
