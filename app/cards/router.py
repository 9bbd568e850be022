"""HTTP routes for stored-value cards: purchases from the billing engine, customer reads."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from app.cards import service
from app.cards.schemas import CardCreate, CardOut, CardRefundCreate
from app.core.dependencies import Billing, Customer, Pagination
from app.core.ids import parse_id
from app.core.jsonbody import ExactJSONRoute
from app.core.openapi import problems
from app.core.pagination import Page
from app.core.session import Session
from app.sellers.service import term_defaults

router = APIRouter(tags=["stored-value cards"], route_class=ExactJSONRoute)


@router.post(
    "/v1/accounts/{account_id}/stored-value-cards",
    status_code=status.HTTP_201_CREATED,
    response_model=CardOut,
    operation_id="stored_value_cards-create",
    summary="Record a stored-value card purchase",
    description=(
        "`card_no` is unique per account (409 `duplicate_card`). Tax terms (`seller_id`, `tax_rate`, "
        "`tax_category_code`, `item_name`) left out are the defaults and the default seller; an "
        "unknown seller is 404."
    ),
    responses=problems(404, 409, 422),
)
async def create_card(
    account_id: str, body: CardCreate, request: Request, session: Session, _auth: Billing
) -> CardOut:
    purchase = service.CardPurchase(
        card_no=body.card_no,
        face_value=body.face_value,
        paid_amount=body.paid_amount,
        purchased_at=body.purchased_at,
    )
    defaults = term_defaults(request.app.state.settings)
    card = await service.record_purchase(session, parse_id(account_id), purchase, body.terms(), defaults)
    return service.card_out(card)


@router.post(
    "/v1/accounts/{account_id}/stored-value-cards/{card_id}/refunds",
    status_code=status.HTTP_201_CREATED,
    response_model=CardOut,
    operation_id="stored_value_cards-refund",
    summary="Record a refund of a stored-value card",
    description=(
        "Billing role. Refunds part of what was paid for the card; `amount` above `paid_amount - "
        "refunded_amount` is 422. An amount already requested for invoicing is never taken back: "
        "what was requested beyond the card's new base becomes `over_invoiced_amount` and is added "
        "to the account's `invoice_deficit`, settled by the account's next invoice request. "
        "Returns the card."
    ),
    responses=problems(404, 422),
)
async def refund_card(
    account_id: str, card_id: str, body: CardRefundCreate, session: Session, _auth: Billing
) -> CardOut:
    refund = service.CardRefund(amount=body.amount, reason=body.reason)
    card = await service.record_refund(session, parse_id(account_id), parse_id(card_id), refund)
    return service.card_out(card)


@router.get(
    "/v1/stored-value-cards",
    response_model=Page[CardOut],
    operation_id="stored_value_cards-list",
    description=(
        "Customer role. The account's stored-value cards, newest first; `invoiceable=true` keeps "
        "those with an amount left to invoice."
    ),
    summary="The customer's stored-value cards, newest first",
    responses=problems(422),
)
async def list_cards(
    session: Session,
    auth: Customer,
    page: Pagination,
    invoiceable: Annotated[
        bool | None,
        Query(description="true: only cards with something left to invoice; false: only the rest"),
    ] = None,
) -> Page[CardOut]:
    rows, has_more, next_cursor = await service.list_cards(
        session, auth.customer_account_id, invoiceable, page
    )
    return Page(data=[service.card_out(card) for card in rows], has_more=has_more, next_cursor=next_cursor)


@router.get(
    "/v1/stored-value-cards/{card_id}",
    response_model=CardOut,
    operation_id="stored_value_cards-get",
    description=(
        "Customer role. One card; it is invoiced at the amount paid less refunds "
        "(`invoiceable_amount = max(0, paid_amount - refunded_amount - requested_amount)`)."
    ),
    summary="One of the customer's stored-value cards",
    responses=problems(404),
)
async def get_card(card_id: str, session: Session, auth: Customer) -> CardOut:
    card = await service.get_card(session, auth.customer_account_id, parse_id(card_id))
    return service.card_out(card)
