"""HTTP route for the calling customer's own account."""

from fastapi import APIRouter

from app.core.dependencies import Customer
from app.core.jsonbody import ExactJSONRoute
from app.core.openapi import problems
from app.core.session import Session
from app.my_account import service
from app.my_account.schemas import MyAccountOut

router = APIRouter(tags=["accounts"], route_class=ExactJSONRoute)


@router.get(
    "/v1/account",
    response_model=MyAccountOut,
    operation_id="account-get_mine",
    description=(
        "Customer role. The account the key is bound to, its cash balance, whether the "
        "enterprise is certified, and its invoice deficit."
    ),
    summary="The calling customer's account",
    responses=problems(),
)
async def my_account(session: Session, auth: Customer) -> MyAccountOut:
    return await service.my_account(session, auth.customer_account_id)
