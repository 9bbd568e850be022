"""HTTP routes for bills: the billing engine's upsert and the customer's reads."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from app.bills import batch, service
from app.bills.schemas import PERIOD_PATTERN, BillBatch, BillBatchOut, BillOut, BillUpsert
from app.core.dependencies import Billing, Customer, Pagination
from app.core.ids import parse_id
from app.core.jsonbody import ExactJSONRoute
from app.core.openapi import problems
from app.core.pagination import Page
from app.core.session import Session
from app.sellers.service import term_defaults

router = APIRouter(tags=["bills"], route_class=ExactJSONRoute)

Period = Annotated[
    str, Path(min_length=7, max_length=7, pattern=PERIOD_PATTERN, description="YYYY-MM", examples=["2026-10"])
]
PeriodQuery = Annotated[
    str | None,
    Query(min_length=7, max_length=7, pattern=PERIOD_PATTERN, description="YYYY-MM, inclusive"),
]


@router.put(
    "/v1/accounts/{account_id}/bills/{period}",
    response_model=BillOut,
    operation_id="bills-upsert",
    summary="Create or replace an account's bill for a month",
    description=(
        "201 when the bill is new, 200 when it amended (or repeated) the month's bill. "
        "`total_amount` must equal the sum of the three parts. A bill may be amended at any time "
        "(a refund, a re-rating, a correction); an amendment never takes back an amount already "
        "requested: a cash part lowered below it makes the difference over-invoiced "
        "(`over_invoiced_amount`), added to the account's `invoice_deficit`. Tax terms (`seller_id`, "
        "`tax_rate`, `tax_category_code`, `item_name`) left out keep the bill's (a new bill's: the "
        "defaults and the default seller); an unknown seller is 404; changing them while an amount "
        "of the bill is in an active request is 409 `tax_terms_locked`."
    ),
    responses={
        status.HTTP_201_CREATED: {"model": BillOut, "description": "The bill was created"},
        **problems(404, 409, 422),
    },
)
async def upsert_bill(
    account_id: str,
    period: Period,
    body: BillUpsert,
    request: Request,
    response: Response,
    session: Session,
    _auth: Billing,
) -> BillOut:
    amounts = service.BillAmounts(
        total_amount=body.total_amount,
        cash_amount=body.cash_amount,
        voucher_amount=body.voucher_amount,
        stored_value_card_amount=body.stored_value_card_amount,
    )
    defaults = term_defaults(request.app.state.settings)
    bill, created = await service.upsert_bill(
        session, parse_id(account_id), period, amounts, body.terms(), defaults
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return service.bill_out(bill)


@router.post(
    "/v1/bills/batch",
    response_model=BillBatchOut,
    operation_id="bills-upsert_batch",
    summary="Create or replace up to 1,000 bills at once (month-end ingestion)",
    description=(
        "Billing role. Each bill is what `PUT /v1/accounts/{account_id}/bills/{period}` would do, "
        "with the same rules, deficit changes and events, in the order sent (a period sent twice is "
        "amended by the later entry). One bad bill fails alone: its result carries the `code` (and "
        "`errors`) a single PUT would answer; the others are written. `status` says whether the bill "
        "was `created`, `updated`, or `unchanged` (the same amounts and tax terms again). Tax terms "
        "left out keep the bill's (a new bill's: the defaults and the default seller); an unknown "
        "seller fails the bill with `not_found`, changed terms of a bill in an active request with "
        "`tax_terms_locked`."
    ),
    responses=problems(422),
)
async def upsert_bills(body: BillBatch, request: Request, session: Session, _auth: Billing) -> BillBatchOut:
    bills = [
        batch.BatchBill(
            account_id=item.account_id,
            period=item.period,
            amounts=service.BillAmounts(
                total_amount=item.total_amount,
                cash_amount=item.cash_amount,
                voucher_amount=item.voucher_amount,
                stored_value_card_amount=item.stored_value_card_amount,
            ),
            terms=item.terms(),
        )
        for item in body.bills
    ]
    results = await batch.upsert_bills(session, bills, term_defaults(request.app.state.settings))
    return BillBatchOut.model_validate({"results": [batch.as_dict(result) for result in results]})


@router.get(
    "/v1/bills",
    response_model=Page[BillOut],
    operation_id="bills-list",
    description=(
        "Customer role. The account's monthly bills, newest period first. `invoiceable=true` keeps "
        "the bills with cash left to invoice; `period_from`/`period_to` (YYYY-MM) bound the "
        "periods, inclusive."
    ),
    summary="The customer's bills, newest period first",
    responses=problems(422),
)
async def list_bills(
    session: Session,
    auth: Customer,
    page: Pagination,
    invoiceable: Annotated[
        bool | None,
        Query(description="true: only bills with something left to invoice; false: only the rest"),
    ] = None,
    period_from: PeriodQuery = None,
    period_to: PeriodQuery = None,
) -> Page[BillOut]:
    filters = service.BillFilters(invoiceable=invoiceable, period_from=period_from, period_to=period_to)
    rows, has_more, next_cursor = await service.list_bills(session, auth.customer_account_id, filters, page)
    return Page(data=rows, has_more=has_more, next_cursor=next_cursor)


@router.get(
    "/v1/bills/{bill_id}",
    response_model=BillOut,
    operation_id="bills-get",
    description=(
        "Customer role. One bill with `requested_amount`, `invoiceable_amount` (cash part minus "
        "requested, at least zero) and `over_invoiced_amount` (requested beyond the cash part)."
    ),
    summary="One of the customer's bills",
    responses=problems(404),
)
async def get_bill(bill_id: str, session: Session, auth: Customer) -> BillOut:
    bill = await service.get_bill(session, auth.customer_account_id, parse_id(bill_id))
    return service.bill_out(bill)
