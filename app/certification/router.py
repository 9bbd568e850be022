"""HTTP routes for certification."""

from fastapi import APIRouter

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
