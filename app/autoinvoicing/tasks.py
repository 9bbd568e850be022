"""The worker's daily run of automatic monthly invoicing (the job itself is job.py).

The daily task queues the day's run as PARTS jobs, one per part of the account ids
(`job.Part`), so that several workers serve the accounts side by side (on PostgreSQL; SQLite has
one writer at a time). Each part is deduplicated by day, retried on its own, and serves each
account at most once a month, so a retried or repeated day requests nothing twice.
"""

import logging
from datetime import date, time

from app.autoinvoicing import job
from app.worker.queue import enqueue
from app.worker.registry import JobContext, registry

logger = logging.getLogger("invoicing.autoinvoicing")

PART_KIND = "auto_invoicing.part"
# Parts of a day's run: as many workers as this can share it (docs/PERFORMANCE.md).
PARTS = 8


# Daily from midnight UTC; nothing is queued before INVOICING_AUTO_INVOICING_DAY.
@registry.daily("auto_invoicing", at=time(0, 0))
async def run_daily(ctx: JobContext) -> None:
    day = ctx.slot.date()
    if day.day < ctx.settings.auto_invoicing_day:
        return
    async with ctx.database.write_session() as session, session.begin():
        for index in range(PARTS):
            payload = {"date": day.isoformat(), "part": index, "parts": PARTS}
            await enqueue(
                session, PART_KIND, payload, dedupe_key=f"{PART_KIND}:{day.isoformat()}:{index}/{PARTS}"
            )


@registry.job(PART_KIND)
async def run_part(ctx: JobContext) -> None:
    payload = ctx.payload
    part = job.Part(int(payload["part"]), int(payload["parts"]))
    result = await job.run(ctx.database, ctx.settings, date.fromisoformat(payload["date"]), part=part)
    logger.info(
        "auto-invoicing run: %s",
        result.summary(),
        extra={"month": result.month, "part": f"{part.index + 1}/{part.count}", "idle": result.idle},
    )
    if result.failed:  # the worker retries the part; the accounts already served are not touched
        raise RuntimeError(f"auto-invoicing failed for {result.failed} account(s); see the log")
