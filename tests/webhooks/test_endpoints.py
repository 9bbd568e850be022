"""The endpoints resource: subscribing (secret shown once), validation, lists, rotation, deletion,
and who may call it."""

import base64

import httpx
import pytest
from sqlalchemy import text

from tests.factories import Api
from tests.webhooks.conftest import Hooks

URL = "https://erp.example.com/hooks/invoicing"


async def test_subscribing_shows_a_standard_webhooks_secret_once(hooks: Hooks) -> None:
    created = await hooks.subscribe(
        URL, ["invoice_request.issued", "certification.updated"], description="ERP"
    )
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert created["status"] == "active"
    assert created["event_types"] == ["invoice_request.issued", "certification.updated"]
    assert created["description"] == "ERP"
    assert created["pending_event_id"] is None
    read = await hooks.endpoint(created["id"])
    assert "secret" not in read
    assert read == {k: v for k, v in created.items() if k != "secret"}
    listed = await hooks.client.get("/v1/webhook-endpoints", params={"limit": 100}, headers=hooks.api.billing)
    assert secret not in listed.text
    assert created["id"] in {e["id"] for e in listed.json()["data"]}
    await hooks.unsubscribe(created["id"])


async def test_billing_and_finance_both_see_and_manage_every_endpoint(hooks: Hooks) -> None:
    created = await hooks.subscribe(URL)
    for headers in (hooks.api.billing, hooks.api.finance):
        response = await hooks.client.get(f"/v1/webhook-endpoints/{created['id']}", headers=headers)
        assert response.status_code == 200
    rotated = await hooks.client.post(
        f"/v1/webhook-endpoints/{created['id']}/rotate-secret", headers=hooks.api.finance
    )
    assert rotated.status_code == 200, rotated.text
    response = await hooks.client.delete(f"/v1/webhook-endpoints/{created['id']}", headers=hooks.api.finance)
    assert response.status_code == 204
    response = await hooks.client.get(f"/v1/webhook-endpoints/{created['id']}", headers=hooks.api.billing)
    assert response.status_code == 404
    response = await hooks.client.delete(f"/v1/webhook-endpoints/{created['id']}", headers=hooks.api.billing)
    assert response.status_code == 404


async def test_customers_may_not_touch_endpoints(hooks: Hooks) -> None:
    customer = await hooks.api.customer()
    response = await hooks.client.post(
        "/v1/webhook-endpoints", json={"url": URL, "event_types": ["*"]}, headers=customer.headers
    )
    assert response.status_code == 403
    assert (await hooks.client.get("/v1/webhook-endpoints", headers=customer.headers)).status_code == 403
    assert (await hooks.client.get("/v1/webhook-endpoints")).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": URL, "event_types": ["invoice_request.teleported"]}, "body.event_types"),
        ({"url": URL, "event_types": ["*", "invoice_request.issued"]}, "body.event_types"),
        ({"url": URL, "event_types": []}, "body.event_types"),
        ({"url": URL, "event_types": ["certification.updated", "certification.updated"]}, "body.event_types"),
        ({"url": URL, "event_types": "*"}, "body.event_types"),
        ({"url": "http://erp.example.com/hooks", "event_types": ["*"]}, "body.url"),
        ({"url": "ftp://erp.example.com/hooks", "event_types": ["*"]}, "body.url"),
        ({"url": "https://user:pw@erp.example.com/hooks", "event_types": ["*"]}, "body.url"),
        ({"url": "https://erp.example.com:99999/hooks", "event_types": ["*"]}, "body.url"),
        ({"url": "/hooks", "event_types": ["*"]}, "body.url"),
        ({"url": "https://[::1/hooks", "event_types": ["*"]}, "body.url"),
        ({"url": URL, "event_types": ["*"], "secret": "whsec_mine"}, "body.secret"),
    ],
)
async def test_bad_subscriptions_are_422(hooks: Hooks, body: dict[str, object], field: str) -> None:
    response = await hooks.client.post("/v1/webhook-endpoints", json=body, headers=hooks.api.billing)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert field in {error["field"] for error in problem["errors"]}


async def test_plain_http_is_allowed_only_for_listed_hosts(hooks: Hooks) -> None:
    created = await hooks.subscribe("http://127.0.0.1:9/hooks")
    assert created["url"] == "http://127.0.0.1:9/hooks"
    await hooks.unsubscribe(created["id"])


async def test_the_session_app_without_allowed_hosts_refuses_loopback_http(
    client: httpx.AsyncClient, api: Api
) -> None:
    body = {"url": "http://127.0.0.1:9/hooks", "event_types": ["*"]}
    response = await client.post("/v1/webhook-endpoints", json=body, headers=api.billing)
    assert response.status_code == 422


async def test_rotation_shows_a_new_secret_and_keeps_the_old_one_for_a_day(hooks: Hooks) -> None:
    created = await hooks.subscribe(URL)
    response = await hooks.client.post(
        f"/v1/webhook-endpoints/{created['id']}/rotate-secret", headers=hooks.api.billing
    )
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    assert rotated["secret_rotated_until"] is not None
    assert (
        created["secret"]
        not in (
            await hooks.client.get(f"/v1/webhook-endpoints/{created['id']}", headers=hooks.api.billing)
        ).text
    )
    await hooks.unsubscribe(created["id"])


async def test_lists_page_by_keyset(hooks: Hooks) -> None:
    ids = [(await hooks.subscribe(URL, description=f"page {n}"))["id"] for n in range(3)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        response = await hooks.client.get("/v1/webhook-endpoints", params=params, headers=hooks.api.billing)
        assert response.status_code == 200
        body = response.json()
        seen.extend(e["id"] for e in body["data"])
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert [i for i in seen if i in ids] == list(reversed(ids))  # newest first
    bad = await hooks.client.get(
        "/v1/webhook-endpoints", params={"cursor": "bm9wZQ"}, headers=hooks.api.billing
    )
    assert bad.status_code == 422
    for endpoint_id in ids:
        await hooks.unsubscribe(endpoint_id)


async def test_unknown_ids_are_404(hooks: Hooks) -> None:
    created = await hooks.subscribe(URL)
    for path in (
        "/v1/webhook-endpoints/not-a-uuid",
        "/v1/webhook-endpoints/00000000-0000-0000-0000-000000000000/deliveries",
    ):
        assert (await hooks.client.get(path, headers=hooks.api.billing)).status_code == 404
    for event_id in ("abc", "99999999999999", "-1", "\uff11"):
        response = await hooks.client.post(
            f"/v1/webhook-endpoints/{created['id']}/deliveries/{event_id}/retry", headers=hooks.api.billing
        )
        assert response.status_code == 404, (event_id, response.text)
    await hooks.unsubscribe(created["id"])


async def test_a_secret_is_never_kept_for_an_idempotent_replay(hooks: Hooks) -> None:
    """Like a new API key (issue 26.1): the idempotency store keeps no body that carries a secret,
    and a replay of the subscription or the rotation is 409, never the secret again."""
    client, api = hooks.client, hooks.api
    body = {"url": URL, "event_types": ["*"]}
    keyed = api.billing | {"Idempotency-Key": "subscribe-once-1"}
    first = await client.post("/v1/webhook-endpoints", json=body, headers=keyed)
    replay = await client.post("/v1/webhook-endpoints", json=body, headers=keyed)
    assert first.status_code == 201, first.text
    secrets = [first.json()["secret"]]
    endpoint = first.json()["id"]
    rotate = f"/v1/webhook-endpoints/{endpoint}/rotate-secret"
    rotated_key = api.billing | {"Idempotency-Key": "rotate-once-1"}
    rotated = await client.post(rotate, headers=rotated_key)
    rotated_replay = await client.post(rotate, headers=rotated_key)
    assert rotated.status_code == 200, rotated.text
    secrets.append(rotated.json()["secret"])
    for again, status in ((replay, 201), (rotated_replay, 200)):
        assert again.status_code == 409, again.text
        assert again.json()["code"] == "idempotency_key_secret_not_replayable"
        assert again.json()["original_status"] == status
        assert all(secret not in again.text for secret in secrets)
    async with hooks.app.state.database.engine.connect() as connection:
        kept = await connection.execute(
            text("SELECT key, response_status FROM idempotency_key WHERE key LIKE '%-once-1'")
        )
        assert sorted(kept.all()) == [("rotate-once-1", 200), ("subscribe-once-1", 201)]
        stored = await connection.execute(text("SELECT * FROM idempotency_key"))
        dump = "\n".join(str(value) for row in stored.all() for value in row)
    for secret in secrets:
        assert secret not in dump and secret.removeprefix("whsec_") not in dump
    await hooks.unsubscribe(endpoint)
