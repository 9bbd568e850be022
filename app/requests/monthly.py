"""The customer's last twelve months (the console's overview chart): per bill period, what was billed,
what is left to invoice, what active requests hold and what was issued, in one statement.

It lives with the requests, not in app/invoiceable, because the issued figure reads request lines and
app/requests already imports app/invoiceable (the blockers): the other way round would be a circle.
"""

import uuid
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.ledger import invoiceable
from app.bills.models import Bill
from app.core.clock import utcnow
from app.requests.models import InvoiceRequest, InvoiceRequestItem
from app.requests.schemas import MonthFiguresOut, MonthlySummaryOut
from app.requests.states import INVOICED, Status

MONTHS = 12


def previous_period(period: str, months: int = 1) -> str:
    """`period` (YYYY-MM) moved `months` back."""
    year, month = (int(part) for part in period.split("-"))
    index = year * 12 + (month - 1) - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def periods_until(last: str) -> list[str]:
    """The MONTHS periods ending with `last`, oldest first."""
    return [previous_period(last, back) for back in range(MONTHS - 1, -1, -1)]


def _statement() -> Select[Any]:
    # Each bill's issued lines summed first (a bill may be in several requests), then joined to the
    # bills, so no bill is counted twice.
    issued = (
        select(
            InvoiceRequestItem.bill_id.label("bill_id"), func.sum(InvoiceRequestItem.amount).label("amount")
        )
        .join(InvoiceRequest, InvoiceRequest.id == InvoiceRequestItem.request_id)
        .where(
            InvoiceRequest.account_id == bindparam("account_id"),
            # A request being reversed still has its invoices until the red-letter ones exist.
            InvoiceRequest.status.in_(sorted(status.value for status in INVOICED | {Status.reversing})),
            InvoiceRequestItem.bill_id.is_not(None),
        )
        .group_by(InvoiceRequestItem.bill_id)
        .subquery("issued")
    )
    return (
        select(
            Bill.period,
            func.sum(Bill.cash_amount).label("billed"),
            func.sum(invoiceable(Bill.cash_amount, Bill.requested_amount)).label("invoiceable"),
            func.sum(Bill.requested_amount).label("requested"),
            func.coalesce(func.sum(issued.c.amount), 0).label("issued"),
        )
        .select_from(Bill)
        .outerjoin(issued, issued.c.bill_id == Bill.id)
        .where(
            Bill.account_id == bindparam("account_id"),
            Bill.period >= bindparam("first"),
            Bill.period <= bindparam("last"),
        )
        .group_by(Bill.period)
    )


_MONTHLY = _statement()


async def monthly_summary(
    session: AsyncSession, account_id: uuid.UUID, until: str | None
) -> MonthlySummaryOut:
    """Twelve months ending with `until` (default: the last finished month, UTC), oldest first; a
    month without a bill is all zeros."""
    last = until or previous_period(utcnow().strftime("%Y-%m"))
    periods = periods_until(last)
    connection = await session.connection()
    rows = await connection.execute(_MONTHLY, {"account_id": account_id, "first": periods[0], "last": last})
    found = {row.period: row for row in rows}
    months = []
    for period in periods:
        row = found.get(period)
        months.append(
            MonthFiguresOut(
                period=period,
                billed=int(row.billed) if row else 0,
                invoiceable=int(row.invoiceable) if row else 0,
                requested=int(row.requested) if row else 0,
                issued=int(row.issued) if row else 0,
            )
        )
    return MonthlySummaryOut(months=months)
