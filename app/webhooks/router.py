"""HTTP routes for webhook endpoints (billing and finance roles; service-wide integrations)."""

from fastapi import APIRouter, Request, Response, status

from app.core.dependencies import CARRIES_SECRET, BillingOrFinance, Pagination
from app.core.ids import parse_id
from app.core.jsonbody import ExactJSONRoute
from app.core.openapi import problems
from app.core.pagination import Page
from app.core.session import Session
from app.core.settings import Settings
from app.webhooks import service
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.schemas import (
    WebhookDeliveryOut,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointOut,
    WebhookRetryOut,
)

router = APIRouter(tags=["webhooks"], route_class=ExactJSONRoute)

_WHO = (
    "Billing or finance role. Endpoints are service-wide integrations: both roles see and manage "
    "every endpoint."
)


def endpoint_out(endpoint: WebhookEndpoint) -> WebhookEndpointOut:
    return WebhookEndpointOut.model_validate(_fields(endpoint))


def _fields(endpoint: WebhookEndpoint) -> dict[str, object]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "status": endpoint.status,
        "pending_event_id": None if endpoint.pending_event_id is None else str(endpoint.pending_event_id),
        "failed_attempts": endpoint.failed_attempts,
        "next_attempt_at": endpoint.next_attempt_at,
        "last_delivered_at": endpoint.last_delivered_at,
        "secret_rotated_until": endpoint.previous_secret_expires_at,
        "created_at": endpoint.created_at,
    }


def delivery_out(delivery: WebhookDelivery) -> WebhookDeliveryOut:
    return WebhookDeliveryOut(
        id=str(delivery.id),
        event_id=str(delivery.event_id),
        outcome=delivery.outcome,
        status_code=delivery.status_code,
        duration_ms=delivery.duration_ms,
        error=delivery.error,
        response_body=delivery.response_body,
        manual=delivery.manual,
        attempted_at=delivery.attempted_at,
    )


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/v1/webhook-endpoints",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookEndpointCreated,
    operation_id="webhooks-create_endpoint",
    summary="Subscribe a webhook endpoint",
    description=(
        f"{_WHO} The worker posts every event of the feed written from now on whose type the endpoint "
        "subscribes to, in feed order, at least once, signed by the Standard Webhooks specification "
        "(docs/WEBHOOKS.md). The `secret` is shown once, in this response. The URL must be `https://` "
        "(plain `http://` only for hosts in INVOICING_WEBHOOK_ALLOWED_HTTP_HOSTS); unknown event "
        "types are 422. With an `Idempotency-Key`, a retry is not given the secret again: it is 409 "
        "`idempotency_key_secret_not_replayable` once the first request has succeeded (list the "
        "endpoints to find it, and rotate its secret if the secret was lost)."
    ),
    responses=problems(409, 422),
    dependencies=[CARRIES_SECRET],
)
async def create_endpoint(
    body: WebhookEndpointCreate, request: Request, session: Session, _auth: BillingOrFinance
) -> WebhookEndpointCreated:
    made = await service.create_endpoint(
        session, _settings(request), body.url, body.event_types, body.description
    )
    return WebhookEndpointCreated.model_validate({**_fields(made.endpoint), "secret": made.secret})


@router.get(
    "/v1/webhook-endpoints",
    response_model=Page[WebhookEndpointOut],
    operation_id="webhooks-list_endpoints",
    summary="List webhook endpoints",
    description=f"{_WHO} Newest first; never a secret.",
    responses=problems(),
)
async def list_endpoints(
    session: Session, _auth: BillingOrFinance, page: Pagination
) -> Page[WebhookEndpointOut]:
    endpoints, has_more, cursor = await service.list_endpoints(session, page)
    return Page[WebhookEndpointOut](
        data=[endpoint_out(e) for e in endpoints], has_more=has_more, next_cursor=cursor
    )


@router.get(
    "/v1/webhook-endpoints/{endpoint_id}",
    response_model=WebhookEndpointOut,
    operation_id="webhooks-get_endpoint",
    summary="Read a webhook endpoint",
    description=f"{_WHO} Its delivery state: `status`, the pending event and its next try.",
    responses=problems(404),
)
async def get_endpoint(endpoint_id: str, session: Session, _auth: BillingOrFinance) -> WebhookEndpointOut:
    return endpoint_out(await service.get_endpoint(session, parse_id(endpoint_id)))


@router.delete(
    "/v1/webhook-endpoints/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    operation_id="webhooks-delete_endpoint",
    summary="Delete a webhook endpoint",
    description=(
        f"{_WHO} Nothing more is sent to it (a try in flight may still arrive); its attempts log goes too."
    ),
    responses=problems(404),
)
async def delete_endpoint(endpoint_id: str, session: Session, _auth: BillingOrFinance) -> Response:
    await service.delete_endpoint(session, parse_id(endpoint_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
    response_model=WebhookEndpointCreated,
    operation_id="webhooks-rotate_secret",
    summary="Rotate an endpoint's secret",
    description=(
        f"{_WHO} A new secret, shown once. For 24 hours every delivery carries two signatures in "
        "`webhook-signature` (the new secret's and the old one's, space-separated), so the receiver "
        "can switch secrets without losing a delivery. With an `Idempotency-Key`, a retry is not "
        "given the secret again (409 `idempotency_key_secret_not_replayable`): rotate once more."
    ),
    responses=problems(404, 409),
    dependencies=[CARRIES_SECRET],
)
async def rotate_secret(
    endpoint_id: str, request: Request, session: Session, _auth: BillingOrFinance
) -> WebhookEndpointCreated:
    made = await service.rotate_secret(session, _settings(request), parse_id(endpoint_id))
    return WebhookEndpointCreated.model_validate({**_fields(made.endpoint), "secret": made.secret})


@router.get(
    "/v1/webhook-endpoints/{endpoint_id}/deliveries",
    response_model=Page[WebhookDeliveryOut],
    operation_id="webhooks-list_deliveries",
    summary="List an endpoint's delivery attempts",
    description=(
        f"{_WHO} Every try, newest first: the event, the outcome, the receiver's status code, how long "
        "it took, the error, and at most 1 KiB of the answer. Kept INVOICING_WEBHOOK_KEEP_DELIVERIES_DAYS."
    ),
    responses=problems(404),
)
async def list_deliveries(
    endpoint_id: str, session: Session, _auth: BillingOrFinance, page: Pagination
) -> Page[WebhookDeliveryOut]:
    deliveries, has_more, cursor = await service.list_deliveries(session, parse_id(endpoint_id), page)
    return Page[WebhookDeliveryOut](
        data=[delivery_out(d) for d in deliveries], has_more=has_more, next_cursor=cursor
    )


@router.post(
    "/v1/webhook-endpoints/{endpoint_id}/deliveries/{event_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WebhookRetryOut,
    operation_id="webhooks-retry_delivery",
    summary="Retry a delivery now",
    description=(
        f"{_WHO} The endpoint's pending event (the one it is stuck on, `pending_event_id`) is tried "
        "again now, still first in line (`pending_now`); an event already attempted is sent once more, "
        "outside the ordered stream, with the same `webhook-id` (`redelivery`). Any other event is 404."
    ),
    responses=problems(404),
)
async def retry_delivery(
    endpoint_id: str, event_id: str, session: Session, _auth: BillingOrFinance
) -> WebhookRetryOut:
    endpoint = parse_id(endpoint_id)
    event = service.parse_event_id(event_id)
    mode = await service.retry(session, endpoint, event)
    return WebhookRetryOut(endpoint_id=endpoint, event_id=str(event), mode=mode)
