"""The worker's side of webhooks: each endpoint's job sends it the feed's events, in feed order, at
least once, signed by the Standard Webhooks specification (docs/WEBHOOKS.md).

Every endpoint has one job (`webhook.deliver`, unique by its dedupe key) that is never finished: it
runs, sends what is due, and asks to run again (`RunAgain`): at once when it stopped for a turn, at
the pending event's next try after a failure, after INVOICING_WEBHOOK_POLL_SECONDS when caught up.
The job's lease is what keeps one endpoint's events in order: only the lease holder sends, and it
advances the endpoint's cursor (the feed position after the last event delivered) in the database,
conditional on still holding the lease and on the cursor it started from. A worker killed after
the receiver answered but before the cursor moved leaves the event to be sent again, with the same
`webhook-id`, by whoever takes the lease next.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.settings import Settings
from app.events import service as events
from app.events.models import Event
from app.events.schemas import event_out
from app.webhooks import secrets
from app.webhooks.models import WebhookDelivery, WebhookDeliveryTotal, WebhookEndpoint
from app.webhooks.schemas import ALL_EVENTS
from app.webhooks.service import DELIVER_JOB, REDELIVER_JOB
from app.worker import queue
from app.worker.registry import JobContext, RunAgain, registry

logger = logging.getLogger("invoicing.webhooks")

MAX_RESPONSE_BYTES = 1024
MAX_ERROR_LENGTH = 500
SCAN = 100  # events read at a time when looking past events the endpoint does not subscribe to
TURN_EVENTS = 100  # a run sends at most this many before letting other jobs have a turn
USER_AGENT = "invoicing-webhooks/1.0"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What a run needs of the endpoint, read once per event (outside any transaction)."""

    id: uuid.UUID
    url: str
    event_types: tuple[str, ...]
    secrets: tuple[str, ...]  # sealed; the current one first
    status: str
    cursor: str | None
    pending_event_id: int | None
    failed_attempts: int
    failing_since: datetime | None
    next_attempt_at: datetime | None

    def subscribes(self, event: Event) -> bool:
        return ALL_EVENTS in self.event_types or event.type in self.event_types


def snapshot(row: WebhookEndpoint, now: datetime) -> Endpoint:
    sealed = [row.secret]
    if row.previous_secret and row.previous_secret_expires_at and row.previous_secret_expires_at > now:
        sealed.append(row.previous_secret)
    return Endpoint(
        id=row.id,
        url=row.url,
        event_types=tuple(row.event_types),
        secrets=tuple(sealed),
        status=row.status,
        cursor=row.cursor,
        pending_event_id=row.pending_event_id,
        failed_attempts=row.failed_attempts,
        failing_since=row.failing_since,
        next_attempt_at=row.next_attempt_at,
    )


@dataclass(frozen=True, slots=True)
class Next:
    event: Event | None  # the next event to send, or None: nothing subscribed until `cursor`
    cursor: str | None  # the feed position after `event` (or after what was looked past)
    more: bool  # there is more of the feed beyond `cursor`


async def next_event(session: AsyncSession, endpoint: Endpoint) -> Next:
    """The endpoint's next subscribed event after its cursor, through the feed's public reads only."""
    page, more, after = await events.feed(session, endpoint.cursor, 1)
    if not page:
        return Next(None, endpoint.cursor, False)
    if endpoint.subscribes(page[0]):
        return Next(page[0], after, more)
    page, more, end = await events.feed(session, endpoint.cursor, SCAN)
    for index, event in enumerate(page):
        if endpoint.subscribes(event):
            _, _, after = await events.feed(session, endpoint.cursor, index + 1)
            return Next(event, after, True)
    return Next(None, end, more)


@dataclass(frozen=True, slots=True)
class Attempt:
    outcome: str  # delivered | http_error | timeout | connection_error
    status_code: int | None
    duration_ms: int
    error: str | None
    response_body: str | None

    @property
    def delivered(self) -> bool:
        return self.outcome == "delivered"


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return (f"{type(error).__name__}: {text}" if text else type(error).__name__)[:MAX_ERROR_LENGTH]


def signed_request(event: Event, sealed: tuple[str, ...], settings: Settings) -> tuple[dict[str, str], bytes]:
    """The headers and body of one try: the body is the event as the feed shows it; the timestamp is
    this try's, so every try is signed anew (the `webhook-id` stays the event id)."""
    body = event_out(event).model_dump_json()
    msg_id = str(event.id)
    stamp = datetime.fromtimestamp(int(time.time()), UTC)
    opened = [secrets.unseal(secret, settings.webhook_secret_key) for secret in sealed]
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "accept-encoding": "identity",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": secrets.signature_header(opened, msg_id, stamp, body),
    }
    return headers, body.encode()


async def post(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], body: bytes, seconds: float
) -> Attempt:
    """One POST, its whole time bounded by `seconds`; at most 1 KiB of the answer is read."""
    started = time.monotonic()
    status: int | None = None
    kept = bytearray()
    outcome, error = "delivered", None
    try:
        async with asyncio.timeout(seconds):
            async with client.stream("POST", url, content=body, headers=headers) as response:
                status = response.status_code
                async for chunk in response.aiter_raw():
                    kept += chunk
                    if len(kept) >= MAX_RESPONSE_BYTES:
                        break
        if not 200 <= status < 300:
            outcome, error = "http_error", f"HTTP {status}"
    except (TimeoutError, httpx.TimeoutException):
        outcome, error = "timeout", f"no answer within {seconds:g} s"
    except (httpx.HTTPError, OSError) as exc:
        outcome, error = "connection_error", _describe(exc)
    duration = int((time.monotonic() - started) * 1000)
    text = bytes(kept[:MAX_RESPONSE_BYTES]).decode("utf-8", "replace") if kept else None
    return Attempt(outcome, status, duration, error, text)


def client(settings: Settings) -> httpx.AsyncClient:
    # No redirects (a 3xx is a failed try), no proxies or credentials from the environment.
    return httpx.AsyncClient(
        timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
    )


async def _count(session: AsyncSession, outcome: str) -> None:
    dialect = session.get_bind().dialect.name
    builder = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = builder(WebhookDeliveryTotal).values(outcome=outcome, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=["outcome"], set_={"count": WebhookDeliveryTotal.count + 1}
    )
    await session.execute(statement)


async def _log_attempt(
    session: AsyncSession, endpoint_id: uuid.UUID, event_id: int, attempt: Attempt, at: datetime, manual: bool
) -> None:
    await session.execute(
        insert(WebhookDelivery).values(
            endpoint_id=endpoint_id,
            event_id=event_id,
            outcome=attempt.outcome,
            status_code=attempt.status_code,
            duration_ms=attempt.duration_ms,
            error=attempt.error,
            response_body=attempt.response_body,
            manual=manual,
            attempted_at=at,
        )
    )
    await _count(session, attempt.outcome)


def pause(settings: Settings, failed_attempts: int) -> float:
    pauses = settings.webhook_retry_pauses
    return pauses[min(failed_attempts, len(pauses)) - 1]


async def _move(ctx: JobContext, endpoint: Endpoint, values: dict[str, object]) -> bool:
    """Write the endpoint's delivery state, if this worker still holds the job's lease (LeaseLost
    otherwise) and the cursor is still the one it started from; False when the endpoint is gone."""
    async with ctx.database.write_session() as session, session.begin():
        await queue.extend_lease(session, ctx.job, ctx.settings.worker_lease_seconds)
        result = await session.execute(
            update(WebhookEndpoint)
            .where(
                WebhookEndpoint.id == endpoint.id,
                WebhookEndpoint.cursor.is_not_distinct_from(endpoint.cursor),
            )
            .values(updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def _record(ctx: JobContext, endpoint: Endpoint, step: Next, attempt: Attempt) -> datetime | None:
    """The try's outcome, in one transaction: the attempts log, the counter, and the cursor (moved
    past the event when delivered) or the retry state. Returns when to try again (None: go on)."""
    assert step.event is not None
    now = utcnow()
    if attempt.delivered:
        values: dict[str, object] = {
            "cursor": step.cursor,
            "pending_event_id": None,
            "failed_attempts": 0,
            "failing_since": None,
            "next_attempt_at": None,
            "status": "active",
            "last_delivered_at": now,
        }
        again = None
    else:
        same = endpoint.pending_event_id == step.event.id
        failed = endpoint.failed_attempts + 1 if same else 1
        since = (endpoint.failing_since if same else None) or now
        again = now + timedelta(seconds=pause(ctx.settings, failed))
        failing = now - since >= timedelta(hours=ctx.settings.webhook_retry_hours)
        values = {
            "pending_event_id": step.event.id,
            "failed_attempts": failed,
            "failing_since": since,
            "next_attempt_at": again,
            "status": "failing" if failing else endpoint.status,
        }
    async with ctx.database.write_session() as session, session.begin():
        await queue.extend_lease(session, ctx.job, ctx.settings.worker_lease_seconds)
        result = await session.execute(
            update(WebhookEndpoint)
            .where(
                WebhookEndpoint.id == endpoint.id,
                WebhookEndpoint.cursor.is_not_distinct_from(endpoint.cursor),
            )
            .values(updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _Gone()
        await _log_attempt(session, endpoint.id, step.event.id, attempt, now, manual=False)
    log = {
        "endpoint_id": str(endpoint.id),
        "event_id": step.event.id,
        "outcome": attempt.outcome,
        "status_code": attempt.status_code,
        "duration_ms": attempt.duration_ms,
    }
    if attempt.delivered:
        logger.info("webhook delivered", extra=log)
    else:
        logger.warning("webhook delivery failed", extra={**log, "error": attempt.error})
    return again


class _Gone(Exception):
    """The endpoint was deleted (or its cursor moved under us): this run ends."""


@registry.job(DELIVER_JOB, max_attempts=1_000_000)  # never given up: unexpected errors retry too
async def deliver(ctx: JobContext) -> RunAgain | None:
    # The HTTP client (its TLS context is not free) is made only when there is something to send.
    async with contextlib.AsyncExitStack() as stack:
        http: httpx.AsyncClient | None = None
        endpoint_id = uuid.UUID(ctx.payload["endpoint_id"])
        settings = ctx.settings
        for _ in range(TURN_EVENTS):
            now = utcnow()
            async with ctx.database.read_session() as session:
                row = await session.get(WebhookEndpoint, endpoint_id)
                if row is None:
                    return None  # deleted: the job ends
                endpoint = snapshot(row, now)
                if endpoint.next_attempt_at is not None and endpoint.next_attempt_at > now:
                    return RunAgain(endpoint.next_attempt_at)
                step = await next_event(session, endpoint)
            if step.event is None:
                if step.cursor != endpoint.cursor and not await _move(ctx, endpoint, {"cursor": step.cursor}):
                    return None
                if step.more:
                    continue
                return RunAgain(utcnow() + timedelta(seconds=settings.webhook_poll_seconds))
            try:
                headers, body = signed_request(step.event, endpoint.secrets, settings)
            except secrets.SecretUnavailable as exc:
                logger.error(
                    "webhook secret unavailable", extra={"endpoint_id": str(endpoint_id), "error": str(exc)}
                )
                return RunAgain(utcnow() + timedelta(seconds=settings.webhook_retry_pauses[-1]))
            if http is None:
                http = await stack.enter_async_context(client(settings))
            attempt = await post(http, endpoint.url, headers, body, settings.webhook_timeout_seconds)
            try:
                again = await _record(ctx, endpoint, step, attempt)
            except _Gone:
                return None
            if again is not None:
                return RunAgain(again)
    return RunAgain(utcnow())


@registry.job(REDELIVER_JOB, max_attempts=1)
async def redeliver(ctx: JobContext) -> None:
    """A manual redelivery of an event already delivered: one try, logged, outside the ordered stream."""
    endpoint_id = uuid.UUID(ctx.payload["endpoint_id"])
    now = utcnow()
    async with ctx.database.read_session() as session:
        row = await session.get(WebhookEndpoint, endpoint_id)
        event = await session.get(Event, int(ctx.payload["event_id"]))
        if row is None or event is None:
            return
        endpoint = snapshot(row, now)
    headers, body = signed_request(event, endpoint.secrets, ctx.settings)
    async with client(ctx.settings) as http:
        attempt = await post(http, endpoint.url, headers, body, ctx.settings.webhook_timeout_seconds)
    async with ctx.database.write_session() as session, session.begin():
        if await session.get(WebhookEndpoint, endpoint_id) is not None:
            await _log_attempt(session, endpoint_id, event.id, attempt, utcnow(), manual=True)
    logger.info(
        "webhook redelivered",
        extra={"endpoint_id": str(endpoint_id), "event_id": event.id, "outcome": attempt.outcome},
    )


BATCH = 5000


@registry.periodic("webhooks.purge_deliveries", every=timedelta(hours=1))
async def purge_deliveries(ctx: JobContext) -> None:
    """Attempts older than INVOICING_WEBHOOK_KEEP_DELIVERIES_DAYS are deleted (the counters stay)."""
    cutoff = utcnow() - timedelta(days=ctx.settings.webhook_keep_deliveries_days)
    while True:
        async with ctx.database.write_session() as session, session.begin():
            batch = select(WebhookDelivery.id).where(WebhookDelivery.attempted_at < cutoff).limit(BATCH)
            result = await session.execute(
                delete(WebhookDelivery)
                .where(WebhookDelivery.id.in_(batch.scalar_subquery()))
                .execution_options(synchronize_session=False)
            )
        if int(result.rowcount) < BATCH:  # type: ignore[attr-defined]
            return
