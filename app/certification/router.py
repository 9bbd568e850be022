"""HTTP routes for certification."""

from fastapi import APIRouter

from app.accounts.schemas import MyAccountOut
from app.certification import service
from app.certification.schemas import CertificationOut, CertificationPut
from app.core.dependencies import Customer
from app.core.jsonbody import ExactJSONRoute
from app.core.openapi import problems
from app.core.session import Session

router = APIRouter(tags=["certification"], route_class=ExactJSONRoute)


@router.get(
    "/v1/certification",
    response_model=CertificationOut,
    operation_id="certification-get",
    summary="The account's enterprise certification",
    description="Status `uncertified` with null fields until the first `PUT`.",
    responses=problems(),
)
async def get_certification(session: Session, auth: Customer) -> CertificationOut:
    return await service.read(session, auth.customer_account_id)


@router.put(
    "/v1/certification",
    response_model=CertificationOut,
    operation_id="certification-put",
    summary="Certify the enterprise (or re-certify with other data)",
    description=(
        "Sets the header every invoice must carry. Re-certifying with other data makes profiles "
        "whose header no longer matches unusable; repeating the same data changes nothing. "
        "Each change emits a `certification.updated` event."
    ),
    responses=problems(422),
)
async def put_certification(body: CertificationPut, session: Session, auth: Customer) -> CertificationOut:
    return await service.certify(session, auth.customer_account_id, body.enterprise_name, body.taxpayer_id)


# The account view lives here, not in app/accounts: it shows the certification, and the accounts
# package imports no package that depends on it.
account_router = APIRouter(tags=["accounts"], route_class=ExactJSONRoute)


@account_router.get(
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
    account, certified = await service.my_account(session, auth.customer_account_id)
    return MyAccountOut(
        id=account.id,
        name=account.name,
        cash_balance=account.cash_balance,
        certification_status="certified" if certified else "uncertified",
        invoice_deficit=account.invoice_deficit,
    )
