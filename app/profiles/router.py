"""HTTP routes for invoice profiles."""

from fastapi import APIRouter, Response, status

from app.core.dependencies import Customer, Pagination
from app.core.ids import parse_id
from app.core.jsonbody import ExactJSONRoute
from app.core.openapi import problems
from app.core.pagination import Page
from app.core.session import Session
from app.profiles import service
from app.profiles.schemas import ProfileCreate, ProfileOut, ProfileUpdate

router = APIRouter(tags=["invoice profiles"], route_class=ExactJSONRoute)


@router.post(
    "/v1/invoice-profiles",
    status_code=status.HTTP_201_CREATED,
    response_model=ProfileOut,
    operation_id="invoice_profiles-create",
    summary="Create an invoice profile",
    description=(
        "The header (`title`, `taxpayer_id`) is copied from the certification when omitted and must "
        "equal it when given (`header_mismatch`); without a certification: `certification_required`. "
        "`vat_special` needs bank_name, bank_account, registered_address and registered_phone. "
        "`is_default: true` clears the account's other default."
    ),
    responses=problems(409, 422),
)
async def create_profile(body: ProfileCreate, session: Session, auth: Customer) -> ProfileOut:
    return await service.create_profile(session, auth.customer_account_id, body)


@router.get(
    "/v1/invoice-profiles",
    response_model=Page[ProfileOut],
    operation_id="invoice_profiles-list",
    description=(
        "Customer role. The account's invoice profiles, newest first, each with `usable` against "
        "the current certification."
    ),
    summary="List invoice profiles, newest first",
    responses=problems(422),
)
async def list_profiles(session: Session, auth: Customer, page: Pagination) -> Page[ProfileOut]:
    data, has_more, cursor = await service.list_profiles(session, auth.customer_account_id, page)
    return Page[ProfileOut](data=data, has_more=has_more, next_cursor=cursor)


@router.get(
    "/v1/invoice-profiles/{profile_id}",
    response_model=ProfileOut,
    operation_id="invoice_profiles-get",
    description="Customer role. One invoice profile; another account's or a deleted one is 404.",
    summary="Read an invoice profile",
    responses=problems(404),
)
async def get_profile(profile_id: str, session: Session, auth: Customer) -> ProfileOut:
    return await service.get_profile(session, auth.customer_account_id, parse_id(profile_id))


@router.patch(
    "/v1/invoice-profiles/{profile_id}",
    response_model=ProfileOut,
    operation_id="invoice_profiles-update",
    summary="Change an invoice profile",
    description=(
        "Given fields replace the stored ones; optional fields set to null are cleared. The result "
        "must satisfy its type's required fields, and a given header must equal the certification. "
        "Requests already made keep their snapshot."
    ),
    responses=problems(404, 409, 422),
)
async def update_profile(
    profile_id: str, body: ProfileUpdate, session: Session, auth: Customer
) -> ProfileOut:
    return await service.update_profile(session, auth.customer_account_id, parse_id(profile_id), body)


@router.delete(
    "/v1/invoice-profiles/{profile_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    operation_id="invoice_profiles-delete",
    summary="Delete an invoice profile",
    description="Requests already made keep their snapshot of it.",
    responses=problems(404),
)
async def delete_profile(profile_id: str, session: Session, auth: Customer) -> Response:
    await service.delete_profile(session, auth.customer_account_id, parse_id(profile_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
