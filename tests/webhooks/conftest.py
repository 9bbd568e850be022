"""An app that may subscribe loopback http:// receivers, with its own client and keys (on the
session's database of each backend), and an in-process worker to run deliveries."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.auth import Role
from app.core.database import Database
from app.core.settings import Settings
from app.events import service as events
from app.jobs import load_registry
from app.main import create_app
from app.worker.runner import Worker
from tests.factories import Api, issue_staff_key

FAST = {
    "webhook_allowed_http_hosts": "127.0.0.1",
    "webhook_retry_seconds": "0.05,0.1",
    "webhook_poll_seconds": 0.05,
    "webhook_timeout_seconds": 2.0,
}


@pytest.fixture(scope="session")
def webhook_settings(settings: Settings) -> Settings:
    return settings.model_copy(update=FAST)


@pytest.fixture(scope="session")
async def webhook_app(webhook_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(webhook_settings)
    yield application
    await application.state.database.dispose()


@pytest.fixture(scope="session")
async def hooks_client(webhook_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=webhook_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture(scope="session")
async def hooks_api(webhook_app: FastAPI, hooks_client: httpx.AsyncClient) -> Api:
    billing = await issue_staff_key(webhook_app, Role.billing)
    finance = await issue_staff_key(webhook_app, Role.finance)
    return Api(hooks_client, billing, finance)


@dataclass
class Hooks:
    """Endpoints through the API, events written to the outbox, and a worker run in process."""

    client: httpx.AsyncClient
    api: Api
    app: FastAPI
    settings: Settings

    async def subscribe(self, url: str, event_types: list[str] | None = None, **extra: Any) -> dict[str, Any]:
        body = {"url": url, "event_types": event_types or ["*"], **extra}
        response = await self.client.post("/v1/webhook-endpoints", json=body, headers=self.api.billing)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def endpoint(self, endpoint_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/v1/webhook-endpoints/{endpoint_id}", headers=self.api.finance)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def deliveries(self, endpoint_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"/v1/webhook-endpoints/{endpoint_id}/deliveries", params={"limit": 100}, headers=self.api.billing
        )
        assert response.status_code == 200, response.text
        return list(response.json()["data"])

    async def unsubscribe(self, endpoint_id: str) -> None:
        response = await self.client.delete(f"/v1/webhook-endpoints/{endpoint_id}", headers=self.api.billing)
        assert response.status_code == 204, response.text

    async def write(self, account_id: str, changes: list[tuple[str, dict[str, Any]]]) -> None:
        async with self.app.state.database.write_session() as session, session.begin():
            await events.record_many(session, uuid.UUID(account_id), changes)

    async def feed(self, account_id: str) -> list[dict[str, Any]]:
        """The account's events as the feed shows them."""
        seen: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 100} | ({"after": after} if after else {})
            response = await self.client.get("/v1/events", params=params, headers=self.api.finance)
            assert response.status_code == 200, response.text
            body = response.json()
            seen.extend(e for e in body["data"] if e["account_id"] == account_id)
            after = body["next_cursor"]
            if not body["has_more"]:
                return seen

    def worker(self, **settings: Any) -> Worker:
        return Worker(
            Database(self.settings.database_url),
            self.settings.model_copy(update=settings),
            load_registry(),
            worker_id=f"test-{uuid.uuid4().hex[:6]}",
        )


@pytest.fixture
def hooks(
    hooks_client: httpx.AsyncClient, hooks_api: Api, webhook_app: FastAPI, webhook_settings: Settings
) -> Hooks:
    return Hooks(hooks_client, hooks_api, webhook_app, webhook_settings)


async def run_until(worker: Worker, done: Callable[[], Awaitable[bool] | bool], seconds: float = 30) -> None:
    """Run due jobs (no periodic tasks: other tests share the database) until `done()`."""
    deadline = time.monotonic() + seconds
    while True:
        result = done()
        if result if isinstance(result, bool) else await result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the worker")
        if not await worker.run_next():
            await asyncio.sleep(0.02)
