"""Delivery by the worker to a real HTTP receiver on loopback, every delivery verified with the
`standardwebhooks` package: feed order, the feed's JSON as the body, subscriptions, rotation, the
retry schedule and `failing`, the attempts log, manual retry, /metrics, and no secret in a log."""

import io
import json
import logging
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import update
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.core.ids import parse_id
from app.main import create_app
from app.webhooks import secrets as webhook_secrets
from app.webhooks.models import WebhookEndpoint
from app.webhooks.service import job_key
from app.worker import queue
from tests.webhooks.conftest import Hooks, run_until
from tests.webhooks.receiver import Answer, receiving


def _types(n: int) -> list[tuple[str, dict[str, object]]]:
    kinds = ["certification.updated", "invoice_request.created", "account.invoice_deficit_changed"]
    return [(kinds[i % len(kinds)], {"n": i, "note": "事件 ünïcode"}) for i in range(n)]


async def test_every_event_arrives_in_feed_order_signed_with_the_feed_json(hooks: Hooks) -> None:
    account = await hooks.api.account()
    with receiving() as receiver:
        endpoint = await hooks.subscribe(receiver.url)
        await hooks.write(account, _types(6))
        await hooks.write(account, _types(2))
        feed = await hooks.feed(account)
        assert len(feed) == 8
        worker = hooks.worker()
        await run_until(worker, lambda: len(receiver.received) >= 8)
        mine = [r for r in receiver.received if json.loads(r.body)["account_id"] == account]
        assert [r.webhook_id for r in mine] == [e["id"] for e in feed]
        for got, event in zip(mine, feed, strict=True):
            assert got.verify(endpoint["secret"]) == event  # the body is the feed's item
            assert got.headers["content-type"] == "application/json"
            assert got.headers["webhook-signature"].startswith("v1,")
            assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
        await worker.database.dispose()
    deliveries = await hooks.deliveries(endpoint["id"])
    assert {d["outcome"] for d in deliveries} == {"delivered"}
    assert {d["status_code"] for d in deliveries} == {200}
    assert sorted(int(d["event_id"]) for d in deliveries) == sorted(int(e["id"]) for e in feed)
    read = await hooks.endpoint(endpoint["id"])
    assert read["last_delivered_at"] is not None and read["pending_event_id"] is None
    await hooks.unsubscribe(endpoint["id"])


async def test_the_verifier_refuses_a_tampered_body_a_tampered_stamp_and_a_stale_delivery(
    hooks: Hooks,
) -> None:
    account = await hooks.api.account()
    with receiving() as receiver:
        endpoint = await hooks.subscribe(receiver.url)
        await hooks.write(account, _types(1))
        worker = hooks.worker()
        await run_until(worker, lambda: len(receiver.received) >= 1)
        await worker.database.dispose()
    got = receiver.received[0]
    secret = endpoint["secret"]
    assert got.verify(secret)["account_id"] == account
    tampered = got.body.replace(account.encode(), b"00000000-0000-0000-0000-000000000000")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, got.headers)
    restamped = {**got.headers, "webhook-timestamp": str(int(got.headers["webhook-timestamp"]) + 1)}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(got.body, restamped)
    # The same delivery signed (correctly) ten minutes ago: too old for the verifier.
    stale = datetime.now(UTC) - timedelta(minutes=10)
    old_headers = {
        **got.headers,
        "webhook-timestamp": str(int(stale.timestamp())),
        "webhook-signature": webhook_secrets.signature_header(
            [secret], got.webhook_id, stale, got.body.decode()
        ),
    }
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(got.body, old_headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhook_secrets.new_secret()).verify(got.body, got.headers)
    await hooks.unsubscribe(endpoint["id"])


async def test_an_endpoint_gets_only_its_types_and_only_events_written_after_it(hooks: Hooks) -> None:
    account = await hooks.api.account()
    await hooks.write(account, [("certification.updated", {"before": True})])
    with receiving() as receiver:
        endpoint = await hooks.subscribe(receiver.url, ["invoice_request.created"])
        await hooks.write(account, _types(7))
        feed = [e for e in await hooks.feed(account) if e["type"] == "invoice_request.created"]
        worker = hooks.worker()
        await run_until(worker, lambda: len(receiver.received) >= len(feed))
        await run_until(worker, lambda: True)
        await worker.run_next()
        assert [r.webhook_id for r in receiver.received] == [e["id"] for e in feed]
        assert {json.loads(r.body)["type"] for r in receiver.received} == {"invoice_request.created"}
        await worker.database.dispose()
    await hooks.unsubscribe(endpoint["id"])


async def test_after_a_rotation_both_secrets_verify_for_a_day_then_only_the_new(hooks: Hooks) -> None:
    account = await hooks.api.account()
    with receiving() as receiver:
        endpoint = await hooks.subscribe(receiver.url)
        response = await hooks.client.post(
            f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=hooks.api.billing
        )
        new = response.json()["secret"]
        await hooks.write(account, _types(1))
        worker = hooks.worker()
        await run_until(worker, lambda: len(receiver.received) >= 1)
        first = receiver.received[0]
        assert len(first.headers["webhook-signature"].split(" ")) == 2
        first.verify(endpoint["secret"])
        first.verify(new)
        async with hooks.app.state.database.write_session() as session, session.begin():
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == parse_id(endpoint["id"]))
                .values(previous_secret_expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        await hooks.write(account, _types(1))
        await run_until(worker, lambda: len(receiver.received) >= 2)
        second = receiver.received[1]
        assert len(second.headers["webhook-signature"].split(" ")) == 1
        second.verify(new)
        with pytest.raises(WebhookVerificationError):
            second.verify(endpoint["secret"])
        await worker.database.dispose()
    await hooks.unsubscribe(endpoint["id"])


async def test_errors_are_retried_in_order_then_failing_then_a_manual_retry_delivers(hooks: Hooks) -> None:
    account = await hooks.api.account()
    broken = {"on": True}
    long_body = b"E" * 5000

    def script(_index: int, _webhook_id: str) -> Answer:
        return Answer(status=500, body=long_body) if broken["on"] else Answer()

    with receiving(script) as receiver:
        endpoint = await hooks.subscribe(receiver.url)
        await hooks.write(account, _types(3))
        feed = await hooks.feed(account)
        # Retries every 0.05 s, `failing` after about a second of failures.
        worker = hooks.worker(webhook_retry_hours=1 / 3600)

        async def failing() -> bool:
            return (await hooks.endpoint(endpoint["id"]))["status"] == "failing"

        await run_until(worker, failing)
        assert set(receiver.ids()) == {feed[0]["id"]}  # later events wait behind the first
        read = await hooks.endpoint(endpoint["id"])
        assert read["pending_event_id"] == feed[0]["id"] and read["failed_attempts"] >= 3
        deliveries = await hooks.deliveries(endpoint["id"])
        assert {d["outcome"] for d in deliveries} == {"http_error"}
        assert {d["status_code"] for d in deliveries} == {500}
        assert all(len(d["response_body"].encode()) == 1024 for d in deliveries)
        assert all(d["error"] == "HTTP 500" for d in deliveries)
        # Failing keeps its place, on the slowest pause: nothing more happens by itself for now.
        slow = hooks.worker(webhook_retry_hours=1 / 3600, webhook_retry_seconds="0.05,3600")
        await worker.database.dispose()
        tries = len(receiver.received)
        await run_until(slow, lambda: True)
        for _ in range(5):
            await slow.run_next()
        assert len(receiver.received) <= tries + 1
        broken["on"] = False
        response = await hooks.client.post(
            f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{feed[0]['id']}/retry",
            headers=hooks.api.finance,
        )
        assert response.status_code == 202, response.text
        assert response.json()["mode"] == "pending_now"
        await run_until(slow, lambda: {e["id"] for e in feed} <= set(receiver.ids()))
        assert receiver.first_arrivals() == [e["id"] for e in feed]
        for got in receiver.received:
            got.verify(endpoint["secret"])
        read = await hooks.endpoint(endpoint["id"])
        assert (
            read["status"] == "active" and read["failed_attempts"] == 0 and read["pending_event_id"] is None
        )
        # An event already delivered can be sent once more, with the same webhook-id.
        before = len(receiver.received)
        response = await hooks.client.post(
            f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{feed[1]['id']}/retry",
            headers=hooks.api.billing,
        )
        assert response.status_code == 202 and response.json()["mode"] == "redelivery"
        await run_until(slow, lambda: len(receiver.received) > before)
        assert receiver.received[-1].webhook_id == feed[1]["id"]
        assert receiver.received[-1].verify(endpoint["secret"]) == feed[1]
        assert any(d["manual"] for d in await hooks.deliveries(endpoint["id"]))
        await slow.database.dispose()
    await hooks.unsubscribe(endpoint["id"])


async def test_a_hanging_receiver_times_out_and_the_event_is_sent_again(hooks: Hooks) -> None:
    account = await hooks.api.account()

    def script(index: int, _webhook_id: str) -> Answer:
        return Answer(hang_seconds=3) if index == 0 else Answer()

    with receiving(script) as receiver:
        endpoint = await hooks.subscribe(receiver.url)
        await hooks.write(account, _types(2))
        feed = await hooks.feed(account)
        worker = hooks.worker(webhook_timeout_seconds=0.5)
        await run_until(worker, lambda: len(set(receiver.ids())) >= 2)
        ids = receiver.ids()
        assert ids[:2] == [feed[0]["id"], feed[0]["id"]]  # the repeat has the same webhook-id
        assert receiver.first_arrivals() == [e["id"] for e in feed]
        await worker.database.dispose()
    outcomes = [d["outcome"] for d in reversed(await hooks.deliveries(endpoint["id"]))]
    assert outcomes[0] == "timeout"
    timed_out = (await hooks.deliveries(endpoint["id"]))[-1]
    assert timed_out["status_code"] is None and 450 <= timed_out["duration_ms"] < 2500
    await hooks.unsubscribe(endpoint["id"])


async def test_metrics_count_outcomes_and_show_the_oldest_undelivered_age(hooks: Hooks) -> None:
    account = await hooks.api.account()
    with receiving(lambda _i, _w: Answer(status=503)) as receiver:
        endpoint = await hooks.subscribe(receiver.url)
        await hooks.write(account, _types(1))
        worker = hooks.worker()
        await run_until(worker, lambda: len(receiver.received) >= 1)
        await worker.database.dispose()
        text = (await hooks.client.get("/metrics")).text
    assert 'invoicing_webhook_deliveries_total{outcome="http_error"}' in text
    line = next(
        line
        for line in text.splitlines()
        if line.startswith("invoicing_webhook_oldest_undelivered_age_seconds") and endpoint["id"] in line
    )
    assert float(line.split()[-1]) > 0
    await hooks.unsubscribe(endpoint["id"])


async def test_no_secret_reaches_a_log(hooks: Hooks) -> None:
    root = logging.getLogger()
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(root.handlers[0].formatter if root.handlers else logging.Formatter())
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        account = await hooks.api.account()
        with receiving(lambda i, _w: Answer(status=500) if i == 0 else Answer()) as receiver:
            endpoint = await hooks.subscribe(receiver.url)
            rotated = await hooks.client.post(
                f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=hooks.api.billing
            )
            await hooks.write(account, _types(2))
            worker = hooks.worker()
            await run_until(worker, lambda: len(set(receiver.ids())) >= 2)
            await worker.database.dispose()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    logs = captured.getvalue()
    assert "webhook delivered" in logs and "webhook delivery failed" in logs
    for secret in (endpoint["secret"], rotated.json()["secret"]):
        assert secret not in logs and secret.removeprefix("whsec_") not in logs
    await hooks.unsubscribe(endpoint["id"])


async def test_with_a_key_secrets_are_encrypted_at_rest_and_still_sign(hooks: Hooks) -> None:
    key = Fernet.generate_key().decode()
    keyed = hooks.settings.model_copy(update={"webhook_secret_key": SecretStr(key)})
    application = create_app(keyed)
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            with receiving() as receiver:
                body = {"url": receiver.url, "event_types": ["*"]}
                response = await client.post("/v1/webhook-endpoints", json=body, headers=hooks.api.billing)
                assert response.status_code == 201, response.text
                endpoint = response.json()
                async with application.state.database.read_session() as session:
                    row = await session.get(WebhookEndpoint, parse_id(endpoint["id"]))
                    assert row is not None
                    stored = row.secret
                assert stored.startswith("fernet:")
                assert endpoint["secret"] not in stored
                assert endpoint["secret"].removeprefix("whsec_") not in stored
                account = await hooks.api.account()
                await hooks.write(account, _types(1))
                keyless = hooks.worker()  # cannot open the secret: sends nothing
                for _ in range(20):
                    await keyless.run_next()
                assert receiver.received == []
                await keyless.database.dispose()
                worker = hooks.worker(webhook_secret_key=SecretStr(key))
                async with application.state.database.write_session() as session, session.begin():
                    await queue.wake(session, job_key(parse_id(endpoint["id"])))
                await run_until(worker, lambda: len(receiver.received) >= 1)
                assert receiver.received[0].verify(endpoint["secret"])["account_id"] == account
                await worker.database.dispose()
            await hooks.unsubscribe(endpoint["id"])
    finally:
        await application.state.database.dispose()
