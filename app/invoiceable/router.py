"""HTTP route for the customer's invoiceable summary."""

from fastapi import APIRouter, Request

from app.core.dependencies import Customer
from app.core.openapi import problems
from app.core.session import Session
from app.core.settings import Settings
from app.invoiceable import service
from app.invoiceable.schemas import InvoiceableSummaryOut

router = APIRouter(tags=["invoice requests"])


@router.get(
    "/v1/invoiceable-summary",
    response_model=InvoiceableSummaryOut,
    operation_id="invoiceable_summary-get",
    summary="What the customer can request now",
    description=(
        "The amount left to invoice over bills (cash part only) and stored-value cards, net of the "
        "account's `invoice_deficit` (what was invoiced beyond what was finally paid, which the next "
        "request settles first), and `blockers` explaining why `can_request` is false: "
        "`certification_required`, `cash_balance_not_positive`, `no_usable_profile`, `no_address`, "
        "`nothing_invoiceable`, `invoice_deficit` (the deficit is at least what the invoiceable items "
        "add up to). Request creation asks the same rules (app/invoiceable/blockers.py)."
    ),
    responses=problems(),
)
async def invoiceable_summary(request: Request, session: Session, auth: Customer) -> InvoiceableSummaryOut:
    settings: Settings = request.app.state.settings
    return await service.invoiceable_summary(
        session,
        auth.customer_account_id,
        require_positive_cash_balance=settings.require_positive_cash_balance,
    )
