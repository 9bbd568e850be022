"""HTTP routes for the events feed."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.dependencies import BillingOrFinance
from app.core.openapi import problems
from app.core.session import Session
from app.events import service
from app.events.schemas import EventPage, event_out

router = APIRouter(tags=["events"])


@router.get(
    "/v1/events",
    response_model=EventPage,
    operation_id="events-list",
    summary="Read the events feed, oldest first",
    description=(
        "Every certification change and invoice-request move, written in the same transaction as the "
        "change. Resume by passing `next_cursor` back as `after`: no event is missed, duplicated or "
        "reordered, even under concurrent writers."
    ),
    responses=problems(),
)
async def list_events(
    session: Session,
    _auth: BillingOrFinance,
    after: Annotated[
        str | None, Query(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$", description="A cursor")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> EventPage:
    events, has_more, cursor = await service.feed(session, after, limit)
    return EventPage(
        data=[event_out(e) for e in events],
        has_more=has_more,
        next_cursor=cursor,
    )
