"""Webhook figures for /metrics, read from the database at scrape time (as the queue's are): the
attempts by outcome (a counter kept in the attempt's transaction) and, per endpoint, the age of the
oldest event it has not yet received."""

import logging

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.webhooks.delivery import next_event, snapshot
from app.webhooks.models import WebhookDeliveryTotal, WebhookEndpoint

logger = logging.getLogger("invoicing.webhooks")

OUTCOMES = ("delivered", "http_error", "timeout", "connection_error")
MAX_ENDPOINTS = 1000  # a gauge per endpoint: bounded, as any label set must be


async def render(session: AsyncSession) -> bytes:
    try:
        totals = dict(
            (await session.execute(select(WebhookDeliveryTotal.outcome, WebhookDeliveryTotal.count))).all()
        )
        rows = list(
            (
                await session.execute(
                    select(WebhookEndpoint).order_by(WebhookEndpoint.created_at).limit(MAX_ENDPOINTS)
                )
            ).scalars()
        )
        now = utcnow()
        ages = {}
        for row in rows:
            pending = await next_event(session, snapshot(row, now))
            age = 0.0 if pending.event is None else (now - pending.event.created_at).total_seconds()
            ages[str(row.id)] = max(0.0, age)
    except SQLAlchemyError:
        logger.warning("webhook figures unavailable for /metrics")
        return b""
    registry = CollectorRegistry()
    counter = Counter(
        "invoicing_webhook_deliveries", "Webhook delivery attempts by outcome", ["outcome"], registry=registry
    )
    for outcome in OUTCOMES:
        counter.labels(outcome).inc(int(totals.get(outcome, 0)))
    gauge = Gauge(
        "invoicing_webhook_oldest_undelivered_age_seconds",
        "Per endpoint, the age of the oldest event it subscribes to and has not received (0 when none)",
        ["endpoint_id"],
        registry=registry,
    )
    for endpoint_id, age in ages.items():
        gauge.labels(endpoint_id).set(age)
    return generate_latest(registry)
