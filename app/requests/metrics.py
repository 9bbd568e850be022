"""The finance queue's age as a Prometheus gauge, read from the database at scrape time."""

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.requests.ageing import OPEN
from app.requests.models import InvoiceRequest

# One statement; the index on (status, created_at, id) gives each status's oldest at once.
_OLDEST = (
    select(InvoiceRequest.status, func.min(InvoiceRequest.created_at))
    .where(InvoiceRequest.status.in_([status.value for status in OPEN]))
    .group_by(InvoiceRequest.status)
)


async def render(session: AsyncSession) -> bytes:
    now = utcnow()
    oldest = {status: created for status, created in (await session.execute(_OLDEST)).all()}
    registry = CollectorRegistry()
    gauge = Gauge(
        "invoicing_oldest_open_request_age_seconds",
        "Age of the oldest invoice request in each open status (0 when none is in it)",
        ["status"],
        registry=registry,
    )
    for status in OPEN:
        created = oldest.get(status.value)
        age = 0.0 if created is None else max(0.0, (now - created).total_seconds())
        gauge.labels(status.value).set(age)
    return generate_latest(registry)
