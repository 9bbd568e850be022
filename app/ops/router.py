"""Liveness, readiness and Prometheus metrics (no auth)."""

from fastapi import APIRouter, Request, Response

from app.core import metrics
from app.core.handlers import problem_response
from app.core.openapi import problems
from app.core.session import Session
from app.ops.readiness import check_ready
from app.webhooks import metrics as webhook_metrics
from app.worker import metrics as worker_metrics

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    operation_id="ops-healthz",
    summary="The process is alive",
    description="No auth. 200 while the process is alive; it does not touch the database.",
)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="ops-readyz",
    description=(
        "No auth. 200 when the database is reachable and migrated to the newest revision; otherwise"
        " a 503 problem (`not_ready`)."
    ),
    summary="The database is reachable and migrated to head",
    responses={503: problems(authenticated=False)[422] | {"description": "Not ready"}},
)
async def readyz(request: Request) -> Response:
    problem = await check_ready(request.app.state.database)
    if problem is not None:
        return problem_response(503, "not_ready", problem)
    return Response(content=b'{"status":"ready"}', media_type="application/json")


@router.get(
    "/metrics",
    operation_id="ops-metrics",
    summary="Prometheus metrics",
    response_class=Response,
    description=(
        "No auth. Prometheus text format: request counts and latency histograms by route template "
        "and status, invoice requests created and refused (by code), amount issued, summed over all"
        " workers; the background queue's depth and oldest job age, webhook attempts by outcome and each "
        "endpoint's oldest undelivered event's age, read from the database."
    ),
)
async def metrics_endpoint(session: Session) -> Response:
    body, content_type = metrics.render()
    body += await worker_metrics.render(session)
    body += await webhook_metrics.render(session)
    return Response(content=body, media_type=content_type)
