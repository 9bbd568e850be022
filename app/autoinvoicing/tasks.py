"""The worker's daily run of automatic monthly invoicing (the job itself is job.py)."""

import logging
from datetime import time

from app.autoinvoicing import job
from app.worker.registry import JobContext, registry

logger = logging.getLogger("invoicing.autoinvoicing")


# Daily from midnight UTC; `job.run` does nothing before INVOICING_AUTO_INVOICING_DAY and serves each
# account at most once a month, so a retried or repeated day requests nothing twice.
@registry.daily("auto_invoicing", at=time(0, 0))
async def run_daily(ctx: JobContext) -> None:
    result = await job.run(ctx.database, ctx.settings, ctx.slot.date())
    logger.info(
        "auto-invoicing run: %s",
        result.summary(),
        extra={"month": result.month, "idle": result.idle, "failed": result.failed},
    )
    if result.failed:  # the worker retries the run; the accounts already served are not touched
        raise RuntimeError(f"auto-invoicing failed for {result.failed} account(s); see the log")
