"""HTTP routes for the customer's automatic monthly invoicing setting."""

from fastapi import APIRouter

from app.autoinvoicing import service
from app.autoinvoicing.schemas import AutoInvoicingOut, AutoInvoicingPut
from app.core.dependencies import Customer
from app.core.jsonbody import ExactJSONRoute
from app.core.openapi import problems
from app.core.session import Session

router = APIRouter(tags=["automatic invoicing"], route_class=ExactJSONRoute)

_PUT_DESCRIPTION = """
Turns automatic monthly invoicing on or off. While on, from day `INVOICING_AUTO_INVOICING_DAY`
(default 8) of each month the service requests, once per month, every invoiceable bill of an earlier
period and every invoiceable stored-value card bought before that month, with this profile and address,
exactly as a customer's request would be made. A refused month is skipped and the customer is emailed why.

Enabling needs a profile and an address (omitted: the ones chosen before, else the account's defaults),
checked in this order:
1. 404 `not_found`: the profile or address is not this account's (or was deleted), or there is none to use.
2. 409 `profile_not_usable`: the profile's header no longer matches the certification, or it lacks fields.
3. 422 `address_incomplete`: electronic invoices need an email, paper ones a postal address.

Disabling keeps the chosen profile and address unchecked (any given must be this account's).
"""


@router.get(
    "/v1/auto-invoicing",
    response_model=AutoInvoicingOut,
    operation_id="auto_invoicing-get",
    summary="The account's automatic monthly invoicing setting",
    description="Customer role. `enabled: false` with null fields until the first `PUT`.",
    responses=problems(),
)
async def get_auto_invoicing(session: Session, auth: Customer) -> AutoInvoicingOut:
    return await service.read(session, auth.customer_account_id)


@router.put(
    "/v1/auto-invoicing",
    response_model=AutoInvoicingOut,
    operation_id="auto_invoicing-put",
    summary="Turn automatic monthly invoicing on or off",
    description=_PUT_DESCRIPTION,
    responses=problems(404, 409, 422),
)
async def put_auto_invoicing(body: AutoInvoicingPut, session: Session, auth: Customer) -> AutoInvoicingOut:
    return await service.update(session, auth.customer_account_id, body)
