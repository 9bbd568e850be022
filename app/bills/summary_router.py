"""HTTP route for the customer's invoiceable summary (the rules live in app/requests/summary.py)."""

from fastapi import APIRouter, Request

from app.core.dependencies import Customer
from app.core.openapi import problems
from app.core.session import Session
from app.core.settings import Settings
from app.requests import summary

router = APIRouter(tags=["invoice requests"])


@router.get(
    "/v1/invoiceable-summary",
    response_model=summary.InvoiceableSummaryOut,
    operation_id="invoiceable_summary-get",
    summary="What the customer can request now",
    description=(
        "The amount left to invoice over bills (cash part only) and stored-value cards, and "
        "`blockers` explaining why `can_request` is false: `certification_required`, "
        "`cash_balance_not_positive`, `no_usable_profile`, `no_address`, `nothing_invoiceable`."
    ),
    responses=problems(),
)
async def invoiceable_summary(
    request: Request, session: Session, auth: Customer
) -> summary.InvoiceableSummaryOut:
    settings: Settings = request.app.state.settings
    return await summary.invoiceable_summary(
        session,
        auth.customer_account_id,
        require_positive_cash_balance=settings.require_positive_cash_balance,
    )
