"""Liveness and readiness (no auth), and Prometheus metrics (a token, or loopback only)."""

import hmac
import ipaddress

from fastapi import APIRouter, Depends, Request, Response

from app.core import metrics
from app.core.errors import Forbidden, Unauthenticated
from app.core.handlers import problem_response
from app.core.openapi import problems
from app.core.session import Session
from app.events import metrics as events_metrics
from app.ops.readiness import check_ready
from app.requests import metrics as requests_metrics
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
        " a 503 problem (`not_ready`). The body names the tax platform that issues invoices"
        " (`tax_platform`: `manual` or `sandbox`, INVOICING_TAX_PLATFORM)."
    ),
    summary="The database is reachable and migrated to head",
    responses={503: problems(authenticated=False)[422] | {"description": "Not ready"}},
)
async def readyz(request: Request) -> Response:
    problem = await check_ready(request.app.state.database)
    if problem is not None:
        return problem_response(503, "not_ready", problem)
    platform = request.app.state.settings.tax_platform
    body = f'{{"status":"ready","tax_platform":"{platform}"}}'.encode()
    return Response(content=body, media_type="application/json")


# Headers a reverse proxy adds: a request that carries one came from elsewhere, whatever its socket.
_FORWARDED = ("forwarded", "x-forwarded-for", "x-real-ip")


def _loopback(request: Request) -> bool:
    if request.client is None or any(name in request.headers for name in _FORWARDED):
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:  # not an address (a Unix socket's peer, a test client's name)
        return False


def metrics_access(request: Request) -> None:
    """The figures sum money across every tenant: with INVOICING_METRICS_TOKEN set, only a scraper
    sending it may read them; unset, only a client on this host that no proxy forwarded."""
    token = request.app.state.settings.metrics_token
    if token is None:
        if not _loopback(request):
            raise Forbidden("/metrics answers only loopback clients while INVOICING_METRICS_TOKEN is unset.")
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise Unauthenticated("/metrics needs Authorization: Bearer <INVOICING_METRICS_TOKEN>.")


@router.get(
    "/metrics",
    operation_id="ops-metrics",
    summary="Prometheus metrics",
    response_class=Response,
    description=(
        "Prometheus text format: request counts and latency histograms by route template "
        "and status, invoice requests created and refused (by code), amount issued, summed over all"
        " workers; the background queue's depth and oldest job age, webhook attempts by outcome and each "
        "endpoint's oldest undelivered event's age, the oldest open invoice request's age by status"
        " (`invoicing_oldest_open_request_age_seconds`), read from the database. Not an API"
        " key: with INVOICING_METRICS_TOKEN set, `Authorization: Bearer <that token>` (else 401); unset,"
        " only clients on the loopback interface without a proxy's forwarding headers (else 403)."
    ),
    responses=problems(401, 403, authenticated=False),
    dependencies=[Depends(metrics_access)],
)
async def metrics_endpoint(session: Session) -> Response:
    body, content_type = metrics.render()
    body += await worker_metrics.render(session)
    body += await events_metrics.render(session)
    body += await webhook_metrics.render(session)
    body += await requests_metrics.render(session)
    return Response(content=body, media_type=content_type)
