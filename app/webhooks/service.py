"""Webhook endpoint rules: subscribing, secrets and their rotation, the deliveries log, manual retry.

Endpoints are service-wide integrations (like the events feed): the billing and finance roles both
see and manage every endpoint. Delivery itself is app/webhooks/delivery.py (the worker).
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from urllib.parse import urlsplit

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.errors import NotFound, ValidationFailed
from app.core.pagination import PageParams, keyset, paginate
from app.core.settings import Settings
from app.events import service as events
from app.events.models import Event
from app.webhooks import secrets
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.worker import queue

DELIVER_JOB = "webhook.deliver"
REDELIVER_JOB = "webhook.redeliver"
ROTATION_OVERLAP = timedelta(hours=24)


def job_key(endpoint_id: uuid.UUID) -> str:
    """The endpoint's one delivery job (unique in the job table: never two per endpoint)."""
    return f"webhook:{endpoint_id}"


@dataclass(frozen=True, slots=True)
class WithSecret:
    endpoint: WebhookEndpoint
    secret: str


def check_url(url: str, settings: Settings) -> str:
    """`https://host…`, or `http://` for a host in INVOICING_WEBHOOK_ALLOWED_HTTP_HOSTS; no
    credentials in the URL (it is shown in lists and logs)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise ValidationFailed("body.url", "is not a URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ValidationFailed("body.url", "must be an absolute https:// URL")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed("body.url", "must not carry credentials; authenticate with the signature")
    if parts.fragment:
        raise ValidationFailed("body.url", "must not have a #fragment")
    if parts.scheme == "http" and host not in settings.webhook_http_hosts:
        raise ValidationFailed("body.url", "must be https:// (plain http:// only for allowed hosts)")
    return url


async def create_endpoint(
    session: AsyncSession, settings: Settings, url: str, event_types: list[str], description: str | None
) -> WithSecret:
    """The endpoint starts at the feed's tail: it receives the events written from now on. Its
    delivery job is written in the same transaction."""
    secret = secrets.new_secret()
    endpoint = WebhookEndpoint(
        url=check_url(url, settings),
        event_types=list(event_types),
        description=description,
        secret=secrets.seal(secret, settings.webhook_secret_key),
        status="active",
        cursor=await events.tail(session),
        failed_attempts=0,
    )
    session.add(endpoint)
    await session.flush()
    await queue.enqueue(
        session, DELIVER_JOB, {"endpoint_id": str(endpoint.id)}, dedupe_key=job_key(endpoint.id)
    )
    return WithSecret(endpoint, secret)


async def get_endpoint(session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


_ENDPOINT_ORDER = (WebhookEndpoint.created_at, WebhookEndpoint.id)
_ENDPOINTS = {
    after: keyset(select(WebhookEndpoint), *_ENDPOINT_ORDER, after=after) for after in (False, True)
}


async def list_endpoints(
    session: AsyncSession, params: PageParams
) -> tuple[list[WebhookEndpoint], bool, str | None]:
    return await paginate(session, _ENDPOINTS[params.cursor is not None], params, *_ENDPOINT_ORDER)


async def delete_endpoint(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    """Its attempts go with it; its job finds it gone and ends (woken now, so it does soon)."""
    result = await session.execute(
        delete(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound("No such webhook endpoint.")
    await queue.wake(session, job_key(endpoint_id))


async def rotate_secret(session: AsyncSession, settings: Settings, endpoint_id: uuid.UUID) -> WithSecret:
    """A new secret, shown once; the one it replaces keeps signing (beside it) for 24 hours. Rotating
    again within those hours drops the oldest: only the last two secrets ever sign."""
    endpoint = await get_endpoint(session, endpoint_id)
    secret = secrets.new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = utcnow() + ROTATION_OVERLAP
    endpoint.secret = secrets.seal(secret, settings.webhook_secret_key)
    await session.flush()
    return WithSecret(endpoint, secret)


_DELIVERY_ORDER = (WebhookDelivery.attempted_at, WebhookDelivery.id)
_DELIVERIES = {
    after: keyset(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == bindparam("endpoint_id")),
        *_DELIVERY_ORDER,
        after=after,
    )
    for after in (False, True)
}


async def list_deliveries(
    session: AsyncSession, endpoint_id: uuid.UUID, params: PageParams
) -> tuple[list[WebhookDelivery], bool, str | None]:
    await get_endpoint(session, endpoint_id)
    stmt = _DELIVERIES[params.cursor is not None]
    return await paginate(session, stmt, params, *_DELIVERY_ORDER, values={"endpoint_id": endpoint_id})


def parse_event_id(value: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        raise NotFound("No such event.")
    return int(value)


async def retry(
    session: AsyncSession, endpoint_id: uuid.UUID, event_id: int
) -> Literal["pending_now", "redelivery"]:
    """The endpoint's pending event is tried again now (it stays first in line); an event already
    attempted is sent once more, outside the ordered stream. Any other event is 404."""
    endpoint = await get_endpoint(session, endpoint_id)
    if endpoint.pending_event_id == event_id:
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.pending_event_id == event_id)
            .values(next_attempt_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        await queue.wake(session, job_key(endpoint_id))
        return "pending_now"
    attempted = await session.execute(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.event_id == event_id)
        .limit(1)
    )
    if attempted.scalar_one_or_none() is None or await session.get(Event, event_id) is None:
        raise NotFound("This event was never sent to this endpoint.")
    await queue.enqueue(session, REDELIVER_JOB, {"endpoint_id": str(endpoint_id), "event_id": event_id})
    return "redelivery"
