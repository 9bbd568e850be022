"""Ageing of invoice requests: when a request is due (business days in Asia/Shanghai) and overdue.

A request's `due_at` is fixed when it is made (a column, so `overdue=true` is an indexed filter):
the same Shanghai wall-clock time `INVOICING_SLA_BUSINESS_DAYS` weekdays (Monday to Friday) later.
Public holidays are not known to the service; a request made at the weekend counts from there
(Saturday + 1 business day is Monday, as Friday + 1 is). Only the open statuses age: an open request
past its `due_at` is overdue, whatever finance is doing about it.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, bindparam

from app.core.database import UTCDateTime
from app.requests.models import InvoiceRequest
from app.requests.states import Status

BUSINESS_ZONE = ZoneInfo("Asia/Shanghai")
# Finance still owes these requests an answer: they age, and can be overdue.
OPEN: tuple[Status, ...] = (Status.pending, Status.processing)
_WEEKEND = (5, 6)  # Saturday, Sunday (datetime.weekday)


def due_at(created_at: datetime, business_days: int) -> datetime:
    """`created_at` plus `business_days` weekdays of the Shanghai calendar, in UTC's zone again."""
    local = created_at.astimezone(BUSINESS_ZONE)
    day = local.date()
    left = business_days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() not in _WEEKEND:
            left -= 1
    # Shanghai keeps no daylight saving time: the wall-clock time maps to one instant.
    moved = datetime.combine(day, local.timetz())
    return moved.astimezone(created_at.tzinfo)


def start_of_day(day: date) -> datetime:
    """The instant a Shanghai calendar day begins (the finance desk's dates are Shanghai dates)."""
    return datetime.combine(day, time(0), BUSINESS_ZONE).astimezone(UTC)


def is_overdue(status: str, due: datetime, now: datetime) -> bool:
    """The rule for one request in hand; `overdue_condition` is the same rule in SQL."""
    return status in OPEN and due < now


def overdue_condition(now_param: str = "now") -> ColumnElement[bool]:
    """`is_overdue` as a WHERE clause (served by the index on (status, due_at)); `now` is bound."""
    return and_(
        InvoiceRequest.status.in_([status.value for status in OPEN]),
        InvoiceRequest.due_at < bindparam(now_param, type_=UTCDateTime),
    )
