"""The queue as Prometheus gauges, read from the database at scrape time (so every API worker
reports the same figures, whichever worker processes run the jobs)."""

import logging

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from app.worker.queue import stats

logger = logging.getLogger("invoicing.worker")


async def render(session: AsyncSession) -> bytes:
    try:
        figures = await stats(session)
    except SQLAlchemyError:
        logger.warning("queue figures unavailable for /metrics")
        return b""
    registry = CollectorRegistry()
    jobs = Gauge("invoicing_worker_jobs", "Background jobs by status", ["status"], registry=registry)
    jobs.labels("queued").set(figures.queued)
    jobs.labels("running").set(figures.running)
    jobs.labels("failed").set(figures.failed)
    Gauge(
        "invoicing_worker_queue_depth", "Jobs waiting or running (queued + running)", registry=registry
    ).set(figures.queued + figures.running)
    Gauge(
        "invoicing_worker_oldest_job_age_seconds",
        "Age of the oldest job not yet finished (0 when the queue is empty)",
        registry=registry,
    ).set(figures.oldest_age_seconds)
    return generate_latest(registry)
