"""The finance queue's age, and issuing through the tax platform (requests `issuing`, the issuing
jobs, the platform's answers by outcome), as Prometheus figures read from the database at scrape time
(the worker processes that submit are not the API process that is scraped)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.requests.ageing import OPEN
from app.requests.issuing import ISSUE_JOB
from app.requests.models import InvoiceRequest
from app.requests.states import Status
from app.taxplatform.models import SubmissionOutcome
from app.worker.models import Job

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
    await _issuing(session, registry)
    return generate_latest(registry)


_ISSUING = (
    select(func.count()).select_from(InvoiceRequest).where(InvoiceRequest.status == Status.issuing.value)
)
_ISSUE_JOBS = (
    select(Job.status, func.count()).where(Job.kind == ISSUE_JOB, Job.status != "done").group_by(Job.status)
)
_OUTCOMES = select(SubmissionOutcome.provider, SubmissionOutcome.outcome, SubmissionOutcome.count)


async def _issuing(session: AsyncSession, registry: CollectorRegistry) -> None:
    Gauge(
        "invoicing_tax_issuing_requests",
        "Invoice requests being issued through the tax platform (status issuing)",
        registry=registry,
    ).set(int((await session.execute(_ISSUING)).scalar_one()))
    jobs = Gauge(
        "invoicing_tax_issue_jobs",
        "Tax-platform issuing jobs by status (the issuing queue)",
        ["status"],
        registry=registry,
    )
    counts = {status: int(count) for status, count in (await session.execute(_ISSUE_JOBS)).all()}
    for status in ("queued", "running", "failed"):
        jobs.labels(status).set(counts.get(status, 0))
    submissions = Counter(
        "invoicing_tax_submissions",
        "Tax-platform calls by provider and outcome (accepted, issued, refused, transient, malformed_answer)",
        ["provider", "outcome"],
        registry=registry,
    )
    for provider, outcome, count in (await session.execute(_OUTCOMES)).all():
        submissions.labels(provider, outcome).inc(int(count))
