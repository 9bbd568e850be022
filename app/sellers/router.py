"""HTTP routes for sellers: the billing engine writes them, billing and finance read them."""

from fastapi import APIRouter, status

from app.core.dependencies import Billing, BillingOrFinance, Pagination
from app.core.ids import parse_id
from app.core.jsonbody import ExactJSONRoute
from app.core.openapi import problems
from app.core.pagination import Page
from app.core.session import Session
from app.sellers import service
from app.sellers.schemas import SellerCreate, SellerOut, SellerUpdate

router = APIRouter(tags=["sellers"], route_class=ExactJSONRoute)


@router.post(
    "/v1/sellers",
    status_code=status.HTTP_201_CREATED,
    response_model=SellerOut,
    operation_id="sellers-create",
    summary="Add a seller (an issuing entity)",
    description=(
        "Billing role. `taxpayer_id` is a valid Unified Social Credit Code. `is_default: true` makes "
        "it the default seller (bills and cards that name no seller are invoiced by it); exactly one "
        "seller is the default."
    ),
    responses=problems(422),
)
async def create_seller(body: SellerCreate, session: Session, _auth: Billing) -> SellerOut:
    fields = service.SellerFields(
        name=body.name,
        taxpayer_id=body.taxpayer_id,
        address=body.address,
        phone=body.phone,
        bank_name=body.bank_name,
        bank_account=body.bank_account,
        max_invoice_amount=body.max_invoice_amount,
    )
    seller = await service.create_seller(session, fields, is_default=body.is_default)
    return service.seller_out(seller)


@router.get(
    "/v1/sellers",
    response_model=Page[SellerOut],
    operation_id="sellers-list",
    summary="The sellers, newest first",
    description="Billing or finance role.",
    responses=problems(422),
)
async def list_sellers(session: Session, _auth: BillingOrFinance, page: Pagination) -> Page[SellerOut]:
    rows, has_more, next_cursor = await service.list_sellers(session, page)
    return Page(data=[service.seller_out(row) for row in rows], has_more=has_more, next_cursor=next_cursor)


@router.get(
    "/v1/sellers/{seller_id}",
    response_model=SellerOut,
    operation_id="sellers-get",
    summary="One seller",
    description="Billing or finance role.",
    responses=problems(404),
)
async def get_seller(seller_id: str, session: Session, _auth: BillingOrFinance) -> SellerOut:
    return service.seller_out(await service.get_seller(session, parse_id(seller_id)))


@router.patch(
    "/v1/sellers/{seller_id}",
    response_model=SellerOut,
    operation_id="sellers-update",
    summary="Change a seller",
    description=(
        "Billing role. Given fields replace; `max_invoice_amount: null` removes the limit. "
        "`is_default: true` moves the default here; `false` on the default is 422 (there is always "
        "one default). Requests already made keep the seller as it was (a snapshot)."
    ),
    responses=problems(404, 422),
)
async def update_seller(seller_id: str, body: SellerUpdate, session: Session, _auth: Billing) -> SellerOut:
    changes = {name: getattr(body, name) for name in body.model_fields_set}  # fen, not the JSON string
    seller = await service.update_seller(session, parse_id(seller_id), changes)
    return service.seller_out(seller)
