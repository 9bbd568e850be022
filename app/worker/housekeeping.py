"""Housekeeping: expired idempotency keys and old finished jobs are deleted, in batches."""

from datetime import timedelta

from sqlalchemy import delete, select

from app.core.clock import utcnow
from app.core.idempotency_models import IdempotencyKey
from app.worker.models import Job
from app.worker.registry import JobContext, registry

BATCH = 5000


@registry.periodic("housekeeping", every=timedelta(hours=1))
async def housekeeping(ctx: JobContext) -> None:
    await purge_expired_idempotency_keys(ctx)
    await purge_finished_jobs(ctx)


async def purge_expired_idempotency_keys(ctx: JobContext) -> int:
    """Keys past their 24 h are never replayed again (claim() already treats them as absent)."""
    deleted = 0
    while True:
        async with ctx.database.write_session() as session, session.begin():
            batch = select(IdempotencyKey.id).where(IdempotencyKey.expires_at <= utcnow()).limit(BATCH)
            result = await session.execute(
                delete(IdempotencyKey)
                .where(IdempotencyKey.id.in_(batch.scalar_subquery()))
                .execution_options(synchronize_session=False)
            )
        count = int(result.rowcount)  # type: ignore[attr-defined]
        deleted += count
        if count < BATCH:
            return deleted


async def purge_finished_jobs(ctx: JobContext) -> int:
    cutoff = utcnow() - timedelta(days=ctx.settings.worker_keep_done_days)
    deleted = 0
    while True:
        async with ctx.database.write_session() as session, session.begin():
            batch = (
                select(Job.id)
                .where(Job.status.in_(("done", "failed")), Job.finished_at < cutoff)
                .limit(BATCH)
            )
            result = await session.execute(
                delete(Job)
                .where(Job.id.in_(batch.scalar_subquery()))
                .execution_options(synchronize_session=False)
            )
        count = int(result.rowcount)  # type: ignore[attr-defined]
        deleted += count
        if count < BATCH:
            return deleted
