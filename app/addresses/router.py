"""HTTP routes for mailing addresses."""

from fastapi import APIRouter, Response, status

from app.addresses import service
from app.addresses.schemas import AddressCreate, AddressOut, AddressUpdate
from app.core.dependencies import Customer, Pagination
from app.core.ids import parse_id
from app.core.jsonbody import ExactJSONRoute
from app.core.openapi import problems
from app.core.pagination import Page
from app.core.session import Session

router = APIRouter(tags=["mailing addresses"], route_class=ExactJSONRoute)


@router.post(
    "/v1/mailing-addresses",
    status_code=status.HTTP_201_CREATED,
    response_model=AddressOut,
    operation_id="mailing_addresses-create",
    summary="Create a mailing address",
    description=(
        "At least one of `email` (electronic invoices) and `address` (paper invoices). `phone` is a "
        "mainland mobile (11 digits starting with 1) or a fixed line with area code, hyphen optional. "
        "`is_default: true` clears the account's other default."
    ),
    responses=problems(409, 422),
)
async def create_address(body: AddressCreate, session: Session, auth: Customer) -> AddressOut:
    return await service.create_address(session, auth.customer_account_id, body)


@router.get(
    "/v1/mailing-addresses",
    response_model=Page[AddressOut],
    operation_id="mailing_addresses-list",
    description="Customer role. The account's mailing addresses, newest first (deleted ones are left out).",
    summary="List mailing addresses, newest first",
    responses=problems(422),
)
async def list_addresses(session: Session, auth: Customer, page: Pagination) -> Page[AddressOut]:
    data, has_more, cursor = await service.list_addresses(session, auth.customer_account_id, page)
    return Page[AddressOut](data=data, has_more=has_more, next_cursor=cursor)


@router.get(
    "/v1/mailing-addresses/{address_id}",
    response_model=AddressOut,
    operation_id="mailing_addresses-get",
    description="Customer role. One mailing address; another account's or a deleted one is 404.",
    summary="Read a mailing address",
    responses=problems(404),
)
async def get_address(address_id: str, session: Session, auth: Customer) -> AddressOut:
    return await service.get_address(session, auth.customer_account_id, parse_id(address_id))


@router.patch(
    "/v1/mailing-addresses/{address_id}",
    response_model=AddressOut,
    operation_id="mailing_addresses-update",
    summary="Change a mailing address",
    description=(
        "Given fields replace the stored ones; email, address and postal_code set to null are cleared "
        "(one of email and address must remain). Requests already made keep their snapshot."
    ),
    responses=problems(404, 409, 422),
)
async def update_address(
    address_id: str, body: AddressUpdate, session: Session, auth: Customer
) -> AddressOut:
    return await service.update_address(session, auth.customer_account_id, parse_id(address_id), body)


@router.delete(
    "/v1/mailing-addresses/{address_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    operation_id="mailing_addresses-delete",
    summary="Delete a mailing address",
    description="Requests already made keep their snapshot of it.",
    responses=problems(404),
)
async def delete_address(address_id: str, session: Session, auth: Customer) -> Response:
    await service.delete_address(session, auth.customer_account_id, parse_id(address_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
