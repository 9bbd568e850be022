"""HTTP routes for invoice requests: the customer's requests and the finance workflow."""

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from app.bills.schemas import PERIOD_PATTERN
from app.core.clock import TimestampIn
from app.core.dependencies import STREAMS_RESPONSE, Customer, CustomerOrFinance, Finance, Pagination
from app.core.errors import ValidationFailed
from app.core.ids import parse_id, try_parse_id
from app.core.jsonbody import ExactJSONRoute
from app.core.money import parse_non_negative_money
from app.core.openapi import problems
from app.core.pagination import Page
from app.core.schemas import FORBIDDEN_CLASS
from app.core.session import Session
from app.profiles.rules import InvoiceType
from app.requests import (
    bulk,
    create,
    export,
    files,
    issuing,
    lifecycle,
    monthly,
    preview,
    queries,
    red_letter,
    reissue,
)
from app.requests.ageing import start_of_day
from app.requests.filetypes import ACCEPTED_TYPES, FILE_PATH, FileFormat
from app.requests.schemas import (
    BulkMoveIn,
    BulkMoveOut,
    ConfirmRedLetterIn,
    DeclineRedLetterIn,
    DeliverIn,
    InvoiceRequestCreate,
    InvoiceRequestOut,
    InvoiceRequestSummary,
    IssueIn,
    MonthlySummaryOut,
    ReasonIn,
    RedInvoicesIn,
    ReissueIn,
    ResendIn,
    ReverseIn,
    parse_invoice_number,
)
from app.requests.states import Status

router = APIRouter(tags=["invoice requests"], route_class=ExactJSONRoute)
_BINARY = {"schema": {"type": "string", "format": "binary"}}

_CREATE_DESCRIPTION = """
Each selected bill or stored-value card is requested for its whole current `invoiceable_amount`;
the amounts are reserved atomically, so no amount is ever requested twice.

The account's invoice deficit (what was invoiced beyond what was finally paid, after an amendment
or a refund) is settled first: the request also carries one negative line for every over-invoiced
bill or card of the account, of minus its `over_invoiced_amount`, and its `amount` is the sum of
all lines. Finance issues invoices that sum to that amount.

Refusals, in the order they are checked (the first that applies answers):
1. 409 `certification_required`: the enterprise is not certified.
2. 409 `cash_balance_not_positive`: the cash balance is zero or negative.
3. 422 `validation_error`: nothing selected, an id listed twice, or more than 500 items.
4. 404 `not_found`: a profile, address, bill or card that is not this account's (or was deleted).
5. 409 `profile_not_usable`: the profile's header no longer matches, or it lacks required fields.
6. 422 `address_incomplete`: electronic invoices need an email, paper ones a postal address.
7. 409 `item_not_invoiceable`: nothing is left to invoice on an item; `items` names them.
8. 409 `invoice_deficit`: the selected items add up to no more than the account's invoice deficit.
"""


# What the list and the export take besides their filters; any other query parameter is refused.
_PAGE_PARAMS = frozenset({"limit", "cursor"})
_INVOICE_NUMBER_QUERY = r"^[A-Za-z0-9-]{1,64}$"
_AMOUNT_QUERY = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
_DATE_QUERY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# One line of text without the characters no stored text holds (NUL, controls, lone surrogates).
_SEARCH_TEXT = f"^[^\\t\\n\\r{FORBIDDEN_CLASS}]+$"


def _amount(field: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return parse_non_negative_money(value)
    except ValueError as error:
        raise ValidationFailed(f"query.{field}", str(error)) from None


def _day(field: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"query.{field}", "is not a date YYYY-MM-DD") from None


async def request_filters(
    status_: Annotated[
        Status | None, Query(alias="status", description="Only requests in this status")
    ] = None,
    created_from: Annotated[
        TimestampIn | None, Query(description="RFC 3339; requests created at or after this instant")
    ] = None,
    created_to: Annotated[
        TimestampIn | None, Query(description="RFC 3339; requests created before this instant")
    ] = None,
    account_id: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            description="Finance: only this account's requests",
            json_schema_extra={"format": "uuid"},
        ),
    ] = None,
    seller_id: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            description="Only requests invoiced by this seller (`GET /v1/sellers`)",
            json_schema_extra={"format": "uuid"},
        ),
    ] = None,
    invoice_number: Annotated[
        str | None,
        Query(
            pattern=_INVOICE_NUMBER_QUERY,
            description="Only the request with an invoice of this number (exact, whatever its case)",
        ),
    ] = None,
    taxpayer_id: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=32,
            pattern=r"^[0-9A-Za-z]+$",
            description="Only requests to this taxpayer id (exact)",
        ),
    ] = None,
    title: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=_SEARCH_TEXT,
            description="Only requests whose invoice title contains this text, whatever its case",
        ),
    ] = None,
    amount_min: Annotated[
        str | None,
        Query(pattern=_AMOUNT_QUERY, description="Only requests of at least this amount (CNY, `1024.50`)"),
    ] = None,
    amount_max: Annotated[
        str | None,
        Query(pattern=_AMOUNT_QUERY, description="Only requests of at most this amount (CNY, `1024.50`)"),
    ] = None,
    invoice_type: Annotated[InvoiceType | None, Query(description="Only requests of this type")] = None,
    issued_from: Annotated[
        str | None,
        Query(
            pattern=_DATE_QUERY,
            description="YYYY-MM-DD (Asia/Shanghai): only requests with an invoice issued on or after it",
        ),
    ] = None,
    issued_to: Annotated[
        str | None,
        Query(
            pattern=_DATE_QUERY,
            description="YYYY-MM-DD (Asia/Shanghai): only requests with an invoice issued on or before it",
        ),
    ] = None,
    overdue: Annotated[
        Literal["true"] | None,
        Query(description="`true`: only open (pending or processing) requests past their `due_at`"),
    ] = None,
) -> queries.RequestFilters:
    parsed_account = None
    if account_id is not None:
        parsed_account = try_parse_id(account_id)
        if parsed_account is None:
            raise ValidationFailed("query.account_id", "is not an account id")
    parsed_seller = None
    if seller_id is not None:
        parsed_seller = try_parse_id(seller_id)
        if parsed_seller is None:
            raise ValidationFailed("query.seller_id", "is not a seller id")
    low, high = _amount("amount_min", amount_min), _amount("amount_max", amount_max)
    if low is not None and high is not None and low > high:
        raise ValidationFailed("query.amount_min", "must not be greater than amount_max")
    first, last = _day("issued_from", issued_from), _day("issued_to", issued_to)
    if first is not None and last is not None and first > last:
        raise ValidationFailed("query.issued_from", "must not be after issued_to")
    return queries.RequestFilters(
        status=status_,
        created_from=created_from,
        created_to=created_to,
        account_id=parsed_account,
        seller_id=parsed_seller,
        invoice_number=invoice_number,
        taxpayer_id=taxpayer_id,
        title=title,
        amount_min=low,
        amount_max=high,
        invoice_type=invoice_type,
        issued_from=None if first is None else start_of_day(first),
        issued_to=None if last is None else start_of_day(last + timedelta(days=1)),
        overdue=overdue is not None,
    )


_FILTER_PARAMS = frozenset(
    {
        "status",
        "created_from",
        "created_to",
        "account_id",
        "seller_id",
        "invoice_number",
        "taxpayer_id",
        "title",
        "amount_min",
        "amount_max",
        "invoice_type",
        "issued_from",
        "issued_to",
        "overdue",
    }
)


def _refuse_unknown(request: Request, known: frozenset[str]) -> None:
    """A misspelt filter must not silently list everything: 422 naming it."""
    for name in request.query_params:
        if name not in known:
            raise ValidationFailed(f"query.{name}", "is not a filter of this list")


async def list_filters(
    request: Request, filters: Annotated[queries.RequestFilters, Depends(request_filters)]
) -> queries.RequestFilters:
    _refuse_unknown(request, _FILTER_PARAMS | _PAGE_PARAMS)
    return filters


async def export_filters(
    request: Request, filters: Annotated[queries.RequestFilters, Depends(request_filters)]
) -> queries.RequestFilters:
    _refuse_unknown(request, _FILTER_PARAMS)
    return filters


@router.post(
    "/v1/invoice-requests",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoiceRequestOut,
    operation_id="invoice_requests-create",
    summary="Request invoices for bills and stored-value cards",
    description=_CREATE_DESCRIPTION,
    responses=problems(404, 409, 422),
)
async def create_request(
    body: InvoiceRequestCreate, request: Request, session: Session, auth: Customer
) -> InvoiceRequestOut:
    return await create.create_request(
        session,
        auth.customer_account_id,
        create.Selection(bill_ids=body.bill_ids, stored_value_card_ids=body.stored_value_card_ids),
        profile_id=body.profile_id,
        address_id=body.address_id,
        remark=body.remark,
        require_positive_cash_balance=request.app.state.settings.require_positive_cash_balance,
        sla_business_days=request.app.state.settings.sla_business_days,
    )


Filters = Annotated[queries.RequestFilters, Depends(list_filters)]
ExportFilters = Annotated[queries.RequestFilters, Depends(export_filters)]


@router.get(
    "/v1/invoice-requests",
    response_model=Page[InvoiceRequestSummary],
    operation_id="invoice_requests-list",
    summary="List invoice requests, newest first",
    description=(
        "Customers see their own account's requests; finance sees every account's. Each item is a"
        " summary (`InvoiceRequestSummary`): the full request, with its items, snapshots, invoices,"
        " timeline and `allowed_moves`, is at `GET /v1/invoice-requests/{id}`."
    ),
    responses=problems(),
)
async def list_requests(
    session: Session, auth: CustomerOrFinance, page: Pagination, filters: Filters
) -> Page[InvoiceRequestSummary]:
    data, has_more, cursor = await queries.list_requests(session, auth, filters, page)
    return Page[InvoiceRequestSummary](data=data, has_more=has_more, next_cursor=cursor)


_EXPORT_DESCRIPTION = f"""
Finance role. Every request the list's filters pick (the same query parameters, without `limit` and
`cursor`), newest first, streamed however many there are: one row per line of each issued invoice
(blue, then red-letter ones naming the blue invoice), or per request line (item) while none is
issued; every cell text, money as two-decimal strings, dates RFC 3339 UTC.
Columns: {", ".join(export.HEADER)}.

`text/csv` (the default): UTF-8 with a byte-order mark, so Excel opens Chinese text intact, and a
header row. With `Accept: {export.XLSX_TYPE}`, the same rows as one XLSX sheet. A text cell that
starts like a formula (`=`, `+`, `-`, `@`) is prefixed with `'`, so a spreadsheet never runs it.
"""


@router.get(
    "/v1/invoice-requests/export",
    response_class=StreamingResponse,
    operation_id="invoice_requests-export",
    summary="Export the filtered requests as CSV or XLSX, one row per line",
    description=_EXPORT_DESCRIPTION,
    responses={
        200: {
            "description": "The rows",
            "content": {"text/csv": {"schema": {"type": "string"}}, export.XLSX_TYPE: _BINARY},
        },
        **problems(),
    },
    dependencies=[STREAMS_RESPONSE],
)
async def export_requests(
    request: Request,
    auth: Finance,
    filters: ExportFilters,
    accept: Annotated[str | None, Header(description="`" + export.XLSX_TYPE + "` for XLSX")] = None,
) -> StreamingResponse:
    opener = request.app.state.database.read_session
    if accept is not None and export.XLSX_TYPE in accept:
        chunks, media, suffix = export.xlsx_chunks(opener, filters), export.XLSX_TYPE, "xlsx"
    else:
        chunks, media, suffix = export.csv_chunks(opener, filters), export.CSV_TYPE, "csv"
    disposition = f'attachment; filename="invoice-requests.{suffix}"'
    return StreamingResponse(chunks, media_type=media, headers={"Content-Disposition": disposition})


@router.post(
    "/v1/invoice-requests/bulk/{move}",
    response_model=BulkMoveOut,
    operation_id="invoice_requests-bulk_move",
    summary="Start, issue (through the tax platform) or reject up to 100 requests, each on its own",
    description=(
        "Finance role. `move` is `start`, `issue` or `reject` (`reject` needs `reason`; the others ignore "
        "it). `issue` is issuing through the tax platform, as `POST …/{id}/issue` with an empty body: each "
        "request goes to `issuing` and the worker issues it (a request answers "
        "`tax_platform_not_configured` with INVOICING_TAX_PLATFORM=manual). Each id is moved in a "
        "transaction of its own, in the order given, so one refusal undoes nothing else: `results` has one "
        "entry per id, with the code the single move would answer (`not_found`, `invalid_transition` with "
        "the request's current `status`). An `Idempotency-Key` replays the first answer."
    ),
    responses=problems(404, 422),
)
async def bulk_move(
    move: Annotated[bulk.BulkMove, Path(description="`start`, `issue` or `reject`")],
    body: BulkMoveIn,
    request: Request,
    auth: Finance,
) -> BulkMoveOut:
    # No request session: every id has its own transaction (app/requests/bulk.py).
    opener = request.app.state.database.write_session
    platform = request.app.state.settings.tax_platform
    results = await bulk.bulk_move(opener, auth, move, body.ids, body.reason, platform=platform)
    return BulkMoveOut.model_validate({"results": results})


@router.get(
    "/v1/invoiceable-summary/monthly",
    response_model=MonthlySummaryOut,
    operation_id="invoiceable_summary-monthly",
    summary="The customer's last twelve months: billed, invoiceable, requested, issued",
    description=(
        "Customer role. Per bill period (YYYY-MM), the twelve months ending with `until` (default: the "
        "month before the current UTC month), oldest first: the cash part of the bills (`billed`), what "
        "is left to request on them (`invoiceable`), what active requests hold (`requested`) and their "
        "lines in issued or delivered requests (`issued`). One statement, however many bills or requests."
    ),
    responses=problems(),
)
async def monthly_summary(
    session: Session,
    auth: Customer,
    until: Annotated[
        str | None,
        Query(
            min_length=7,
            max_length=7,
            pattern=PERIOD_PATTERN,
            description="The last month shown, YYYY-MM",
            examples=["2026-11"],
        ),
    ] = None,
) -> MonthlySummaryOut:
    return await monthly.monthly_summary(session, auth.customer_account_id, until)


@router.get(
    "/v1/invoice-requests/{request_id}",
    response_model=InvoiceRequestOut,
    operation_id="invoice_requests-get",
    description=(
        "Customer role: one of the account's requests (another account's is 404). Finance role: any"
        " request. With items, profile and address snapshots, invoices and the event timeline."
    ),
    summary="Read an invoice request",
    responses=problems(404),
)
async def get_request(request_id: str, session: Session, auth: CustomerOrFinance) -> InvoiceRequestOut:
    return await queries.get_request(session, auth, parse_id(request_id))


@router.get(
    "/v1/invoice-requests/{request_id}/draft.pdf",
    response_class=Response,
    operation_id="invoice_requests-draft_pdf",
    summary="The request's draft as a PDF preview",
    description=(
        "The request's customer, and finance; 404 for anyone else. The invoices issuing will produce "
        "(`draft`), one per page: seller, buyer, lines (name, code, rate, amount excluding tax, tax), "
        "the totals in figures and in Chinese capitals, marked on every page as a preview that is not "
        "an invoice (docs/DOCUMENTS.md)."
    ),
    responses={200: {"description": "The PDF", "content": {"application/pdf": _BINARY}}, **problems(404)},
)
async def draft_pdf(request_id: str, session: Session, auth: CustomerOrFinance) -> Response:
    request_uuid = parse_id(request_id)
    content = await preview.draft_pdf(session, auth, request_uuid)
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": f'inline; filename="draft-{request_uuid}.pdf"',
    }
    return Response(content=content, media_type="application/pdf", headers=headers)


@router.post(
    "/v1/invoice-requests/{request_id}/cancel",
    response_model=InvoiceRequestOut,
    operation_id="invoice_requests-cancel",
    summary="Cancel a pending invoice request",
    description=(
        "Only while `pending`; every line is given back: the items' amounts can be requested again "
        "and a deficit the request settled is the account's again."
    ),
    responses=problems(404, 409),
)
async def cancel_request(request_id: str, session: Session, auth: Customer) -> InvoiceRequestOut:
    return await lifecycle.cancel(session, auth, parse_id(request_id))


@router.post(
    "/v1/invoice-requests/{request_id}/start",
    response_model=InvoiceRequestOut,
    operation_id="invoice_requests-start",
    description="Finance role. `pending` -> `processing`; any other status is 409 `invalid_transition`.",
    summary="Start processing a pending invoice request",
    responses=problems(404, 409),
)
async def start_request(request_id: str, session: Session, auth: Finance) -> InvoiceRequestOut:
    return await lifecycle.start(session, auth, parse_id(request_id))


@router.post(
    "/v1/invoice-requests/{request_id}/issue",
    response_model=InvoiceRequestOut,
    operation_id="invoice_requests-issue",
    summary="Issue a request in processing: record its invoices, or issue them through the tax platform",
    description=(
        "Finance role, on a `processing` request. **Manual** (`invoices` given): one or more invoices (at "
        "most 100) whose amounts sum exactly to the request's amount -> 200, `issued`. Invoice numbers "
        "are unique across all invoices, whatever their case (`INV-1` and `inv-1` are one number): 409 "
        "`duplicate_invoice_number` names every number given twice (or, if none is, every number already "
        "taken) in `numbers`, and has an entry in `errors` for each invoice of the body that carries one "
        "(`body.invoices.<index>.number`). **Through the tax platform** (an empty body, `{}` or "
        '`{"via": "tax_platform"}`) -> 202, `issuing`: the worker submits the draft\'s invoices to '
        "INVOICING_TAX_PLATFORM, then records their numbers, lines and `pdf`/`xml` files and moves the "
        "request to `issued` (an electronic one on to `delivered`, by email); a refusal brings it back to "
        "`processing` with `issue_error` (docs/TAX_PLATFORM.md). With INVOICING_TAX_PLATFORM=manual that "
        "is 409 `tax_platform_not_configured`; manual issuing works whatever the platform."
    ),
    responses={
        **problems(404, 409, 422),
        202: {"description": "Submitted to the tax platform: `issuing`", "model": InvoiceRequestOut},
    },
)
async def issue_request(
    request_id: str,
    request: Request,
    response: Response,
    session: Session,
    auth: Finance,
    body: Annotated[IssueIn | None, Body()] = None,
) -> InvoiceRequestOut:
    if body is None or body.invoices is None:
        response.status_code = status.HTTP_202_ACCEPTED
        platform = request.app.state.settings.tax_platform
        return await issuing.submit(session, auth, parse_id(request_id), platform=platform)
    return await lifecycle.issue(session, auth, parse_id(request_id), body.invoices)


@router.post(
    "/v1/invoice-requests/{request_id}/deliver",
    response_model=InvoiceRequestOut,
    operation_id="invoice_requests-deliver",
    summary="Mark an issued request delivered",
    description=(
        "Paper invoices (`vat_ordinary`, `vat_special`) need a `tracking_number`; electronic ones "
        "are delivered to the email in the request's address snapshot. The body may be omitted."
    ),
    responses=problems(404, 409, 422),
)
async def deliver_request(
    request_id: str, session: Session, auth: Finance, body: Annotated[DeliverIn | None, Body()] = None
) -> InvoiceRequestOut:
    body = body or DeliverIn()
    return await lifecycle.deliver(session, auth, parse_id(request_id), body.carrier, body.tracking_number)


@router.post(
    "/v1/invoice-requests/{request_id}/reject",
    response_model=InvoiceRequestOut,
    operation_id="invoice_requests-reject",
    summary="Reject a pending or processing request",
    description=(
        "Every line is given back: the items' amounts can be requested again and a deficit the "
        "request settled is the account's again."
    ),
    responses=problems(404, 409),
)
async def reject_request(
    request_id: str, body: ReasonIn, session: Session, auth: Finance
) -> InvoiceRequestOut:
    return await lifecycle.reject(session, auth, parse_id(request_id), body.reason)


@router.post(
    "/v1/invoice-requests/{request_id}/reverse",
    response_model=InvoiceRequestOut,
    operation_id="invoice_requests-reverse",
    summary="Start the red-letter reversal of an issued or delivered request",
    description=(
        "Finance role. `issued` or `delivered` -> `reversing`, with `red_letter`. When the buyer has "
        "used the invoices (`buyer_usage` `deducted` or `booked`; omitted, `deducted` for special types "
        "and `none` for the others), the buyer must agree: `confirmation` is `awaiting_buyer` until the "
        "customer confirms or declines, by `expires_at` (INVOICING_RED_LETTER_CONFIRM_HOURS, 72 h; then "
        "the request returns, `reversal_expired`), and the customer is emailed. Otherwise it is "
        "`not_required`. The amounts stay held until the red-letter invoices are recorded "
        "(`POST …/{id}/red-invoices`)."
    ),
    responses=problems(404, 409),
)
async def reverse_request(
    request_id: str, body: ReverseIn, request: Request, session: Session, auth: Finance
) -> InvoiceRequestOut:
    return await red_letter.reverse(
        session,
        auth,
        parse_id(request_id),
        reason=body.reason,
        reason_code=body.reason_code or "issue_error",
        buyer_usage=body.buyer_usage,
        confirm_hours=request.app.state.settings.red_letter_confirm_hours,
    )


@router.post(
    "/v1/invoice-requests/{request_id}/red-letter/confirm",
    response_model=InvoiceRequestOut,
    operation_id="invoice_requests-confirm_red_letter",
    summary="Confirm a red-letter reversal (the buyer agrees)",
    description=(
        "Customer role. Only while `reversing` with `confirmation` `awaiting_buyer` (409 "
        "`invalid_transition` otherwise); `form_no` is the red-letter confirmation form's number "
        "(红字确认单). Then finance may record the red-letter invoices. The body may be omitted."
    ),
    responses=problems(404, 409, 422),
)
async def confirm_red_letter(
    request_id: str,
    session: Session,
    auth: Customer,
    body: Annotated[ConfirmRedLetterIn | None, Body()] = None,
) -> InvoiceRequestOut:
    body = body or ConfirmRedLetterIn()
    return await red_letter.confirm(session, auth, parse_id(request_id), body.form_no)


@router.post(
    "/v1/invoice-requests/{request_id}/red-letter/decline",
    response_model=InvoiceRequestOut,
    operation_id="invoice_requests-decline_red_letter",
    summary="Decline a red-letter reversal (the invoices stand)",
    description=(
        "Customer role. Only while `reversing` with `confirmation` `awaiting_buyer` (409 "
        "`invalid_transition` otherwise). The request returns to `issued` or `delivered` with "
        "`confirmation` `declined` (`invoice_request.reversal_declined`); a replacing request made by "
        "a re-issue is cancelled by `system`, and the amounts stay with this request. The body may be "
        "omitted."
    ),
    responses=problems(404, 409, 422),
)
async def decline_red_letter(
    request_id: str,
    session: Session,
    auth: Customer,
    body: Annotated[DeclineRedLetterIn | None, Body()] = None,
) -> InvoiceRequestOut:
    body = body or DeclineRedLetterIn()
    return await red_letter.decline(session, auth, parse_id(request_id), body.reason)


@router.post(
    "/v1/invoice-requests/{request_id}/red-invoices",
    response_model=InvoiceRequestOut,
    operation_id="invoice_requests-record_red_invoices",
    summary="Record the red-letter invoices of a reversal; the request is reversed",
    description=(
        "Finance role. Exactly one red-letter invoice per issued (blue) invoice of the request, each "
        "naming it by `blue_number` (422 on `body.invoices.<index>.blue_number` for a number that is "
        "not one of this request's invoices, or one named twice; 422 on `body.invoices` for a blue "
        "invoice left out); each mirrors its blue invoice with every amount negated. Numbers are "
        "unique across every invoice, blue and red, whatever their case (409 "
        "`duplicate_invoice_number`). Only while `reversing` (409 `invalid_transition`) and once "
        "`confirmation` is `not_required` or `confirmed` (409 `red_letter_not_confirmed`). Then the "
        "request is `reversed` and every line is given back, as for a cancelled request (unless a "
        "re-issue's replacement holds them), and the customer is emailed. An empty body (or `{}`): the "
        "red-letter invoices are issued through the tax platform -> 202, `red_letter.issuing` true until "
        "the worker records them and the request is `reversed` (409 `tax_platform_not_configured` with "
        "INVOICING_TAX_PLATFORM=manual)."
    ),
    responses={
        **problems(404, 409, 422),
        202: {"description": "Submitted to the tax platform", "model": InvoiceRequestOut},
    },
)
async def record_red_invoices(
    request_id: str,
    request: Request,
    response: Response,
    session: Session,
    auth: Finance,
    body: Annotated[RedInvoicesIn | None, Body()] = None,
) -> InvoiceRequestOut:
    if body is None or body.invoices is None:
        response.status_code = status.HTTP_202_ACCEPTED
        platform = request.app.state.settings.tax_platform
        return await issuing.submit_red(session, auth, parse_id(request_id), platform=platform)
    return await red_letter.record_red_invoices(session, auth, parse_id(request_id), body.invoices)


@router.post(
    "/v1/invoice-requests/{request_id}/reissue",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoiceRequestOut,
    operation_id="invoice_requests-reissue",
    summary="Re-issue (换开): reverse an issued request and request the same again",
    description=(
        "Customer role, on an `issued` or `delivered` request. In one transaction: the request starts "
        "its red-letter reversal (`reason_code` `issue_error`, as `POST …/{id}/reverse`) and shows "
        "`replaced_by_request_id`, and a new `pending` request is created (201, the answer) with "
        "`replaces_request_id`, the same items and amounts (no other request can take them in "
        "between) and the chosen profile and address (default: the same), which must be usable: 404 "
        "`not_found`, 409 `profile_not_usable`, 422 `address_incomplete`, as at creation. The new "
        "request can be issued once the old one is `reversed` (409 `replaced_request_not_reversed`); "
        "if the reversal is declined or expires, it is cancelled by `system`."
    ),
    responses=problems(404, 409, 422),
)
async def reissue_request(
    request_id: str, body: ReissueIn, request: Request, session: Session, auth: Customer
) -> InvoiceRequestOut:
    return await reissue.reissue(
        session,
        auth,
        parse_id(request_id),
        profile_id=body.profile_id,
        address_id=body.address_id,
        reason=body.reason,
        confirm_hours=request.app.state.settings.red_letter_confirm_hours,
        sla_business_days=request.app.state.settings.sla_business_days,
    )


@router.post(
    "/v1/invoice-requests/{request_id}/resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=InvoiceRequestOut,
    operation_id="invoice_requests-resend",
    summary="Email a delivered electronic request's invoices again",
    description=(
        "Customer role. Queues the invoice email again, to `email` if given, else to the snapshot's email "
        "and cc_emails; `delivery` shows its progress. Only for a delivered electronic request (409 "
        "`invalid_transition`); at most 5 resends per request per UTC day (429 `rate_limited`, with "
        "`Retry-After`). The body may be omitted."
    ),
    responses=problems(404, 409, 422, 429),
)
async def resend_request(
    request_id: str, session: Session, auth: Customer, body: Annotated[ResendIn | None, Body()] = None
) -> InvoiceRequestOut:
    body = body or ResendIn()
    return await lifecycle.resend(session, auth, parse_id(request_id), body.email)


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file itself: pdf as application/pdf, ofd as application/ofd, xml as "
        "application/xml",
        "content": {media: _BINARY for types in ACCEPTED_TYPES.values() for media in sorted(types)},
    }
}


@router.put(
    FILE_PATH,
    response_model=InvoiceRequestOut,
    operation_id="invoice_requests-upload_file",
    summary="Upload (or replace) an invoice's pdf, ofd or xml file",
    description=(
        "Finance role. The body is the file, with the format's Content-Type (else 415). At most "
        "INVOICING_MAX_FILE_BYTES (10 MiB) else 413; a body that is not a file of that format is 422 "
        "(PDF: starts with %PDF-; OFD: a ZIP container with OFD.xml; XML: well-formed, no DTD). Only "
        "while the request is issued or delivered (409 `invalid_transition`). Answers the request, whose "
        "invoice now lists the file."
    ),
    responses=problems(404, 409, 413, 415, 422),
    openapi_extra=_UPLOAD_BODY,
)
async def upload_file(
    request_id: str,
    number: str,
    file_format: FileFormat,
    request: Request,
    session: Session,
    auth: Finance,
) -> InvoiceRequestOut:
    return await files.upload(
        session,
        auth,
        parse_id(request_id),
        parse_invoice_number(number),
        file_format,
        request.headers.get("content-type"),
        await request.body(),
        max_bytes=request.app.state.settings.max_file_bytes,
    )


@router.get(
    FILE_PATH,
    response_class=Response,
    operation_id="invoice_requests-download_file",
    summary="Download an invoice's pdf, ofd or xml file",
    description=(
        "The request's customer, and finance; 404 for anyone else. The bytes with their Content-Type, "
        '`Content-Disposition: attachment; filename="<number>.<format>"` and a strong `ETag` (the '
        "SHA-256); `If-None-Match` with that tag answers 304 without the body. `Cache-Control: no-store`: "
        "no cache keeps an invoice, a browser's included."
    ),
    responses={
        200: {
            "description": "The file",
            "content": {
                media: _BINARY for media in ("application/pdf", "application/ofd", "application/xml")
            },
            "headers": {
                "ETag": {"schema": {"type": "string"}, "description": "The quoted hex SHA-256"},
                "Content-Disposition": {"schema": {"type": "string"}},
            },
        },
        304: {"description": "Not modified (If-None-Match matched)"},
        **problems(404),
    },
)
async def download_file(
    request_id: str,
    number: str,
    file_format: FileFormat,
    session: Session,
    auth: CustomerOrFinance,
    if_none_match: Annotated[str | None, Header(description="An ETag from an earlier download")] = None,
) -> Response:
    request_uuid = parse_id(request_id)
    stored = await files.find(session, auth, request_uuid, parse_invoice_number(number), file_format)
    if files.matches(if_none_match, stored.etag):
        headers = {"ETag": stored.etag, "Cache-Control": "no-store"}
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    stored, content = await files.read(session, auth, request_uuid, stored)
    headers = {
        "ETag": stored.etag,
        "Cache-Control": "no-store",  # an invoice is not kept by any cache, the browser's included
        "Content-Disposition": f'attachment; filename="{stored.filename}"',
    }
    return Response(content=content, media_type=stored.content_type, headers=headers)
