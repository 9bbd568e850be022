"""The events feed's lag as Prometheus gauges, read from the database at scrape time.

On PostgreSQL the feed serves only events of transactions older than every transaction still
running in the cluster (app/events/service.py), so one open transaction anywhere — in another
database too — holds back every event written after it began. These gauges say how much is held
back and for how long, and how old the oldest transaction holding it back is. SQLite serves every
committed event at once: the gauges are 0 there.
"""

import logging

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

logger = logging.getLogger("invoicing.events")

# One statement: the events at or past the horizon (the index on (txid, id) finds them), the age of
# the oldest, and the age of the oldest transaction with an id in the cluster (pg_stat_activity
# shows other roles' sessions only to a role with pg_read_all_stats; prepared transactions count).
_LAG = text(
    """
    WITH horizon AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin)
    SELECT
        (SELECT count(*) FROM event, horizon WHERE event.txid >= horizon.xmin) AS held_back,
        (SELECT coalesce(extract(epoch FROM now() - min(event.created_at)), 0)
           FROM event, horizon WHERE event.txid >= horizon.xmin) AS lag_seconds,
        greatest(
            (SELECT coalesce(extract(epoch FROM now() - min(xact_start)), 0)
               FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()),
            (SELECT coalesce(extract(epoch FROM now() - min(prepared)), 0) FROM pg_prepared_xacts)
        ) AS oldest_transaction_seconds
    """
)


async def render(session: AsyncSession) -> bytes:
    held_back, lag, oldest = 0, 0.0, 0.0
    if session.get_bind().dialect.name == "postgresql":
        try:
            row = (await session.execute(_LAG)).one()
        except SQLAlchemyError:
            logger.warning("events feed figures unavailable for /metrics")
            return b""
        held_back, lag, oldest = (
            int(row.held_back),
            float(row.lag_seconds),
            float(row.oldest_transaction_seconds),
        )
    registry = CollectorRegistry()
    Gauge(
        "invoicing_events_feed_held_back",
        "Events committed or in progress that the feed does not serve yet (an older transaction is open)",
        registry=registry,
    ).set(held_back)
    Gauge(
        "invoicing_events_feed_lag_seconds",
        "Age of the oldest event the feed holds back (0 when it holds none back)",
        registry=registry,
    ).set(lag)
    Gauge(
        "invoicing_events_feed_oldest_transaction_seconds",
        "Age of the oldest open transaction with an id in the cluster (the feed holds back what began after)",
        registry=registry,
    ).set(oldest)
    return generate_latest(registry)
