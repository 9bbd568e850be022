"""HTTP routes for accounts and keys."""

from typing import Annotated

from fastapi import APIRouter, Response, status

from app.accounts import service
from app.accounts.schemas import (
    AccountCreate,
    AccountOut,
    ApiKeyCreate,
    ApiKeyInfoOut,
    ApiKeyOut,
    CallerOut,
    CashBalanceSet,
)
from app.core.auth import AuthContext, Role
from app.core.dependencies import CARRIES_SECRET, Billing, BillingOrFinance, Pagination, require_role
from app.core.ids import parse_id
from app.core.jsonbody import ExactJSONRoute
from app.core.openapi import problems
from app.core.pagination import Page
from app.core.session import Session

router = APIRouter(tags=["accounts"], route_class=ExactJSONRoute)

AnyRole = Annotated[AuthContext, require_role(*Role)]


@router.get(
    "/v1/api-key",
    response_model=CallerOut,
    operation_id="accounts-get_calling_key",
    summary="The calling key: its role and account",
    description=(
        "Any role. Which key the request was made with, so a client (the console's sign-in) learns the "
        "role without trying calls that would be refused; an unknown or revoked key is 401."
    ),
    responses=problems(),
)
async def calling_key(auth: AnyRole) -> CallerOut:
    return CallerOut(id=auth.key_id, role=auth.role.value, account_id=auth.account_id)


@router.post(
    "/v1/accounts",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountOut,
    operation_id="accounts-create",
    description=(
        "Billing role. Creates an account with a zero cash balance; `external_id` (the billing "
        "engine's own id) is unique (409 `duplicate_external_id`)."
    ),
    summary="Create an account",
    responses=problems(409, 422),
)
async def create_account(body: AccountCreate, session: Session, _auth: Billing) -> AccountOut:
    account = await service.create_account(session, body.name, body.external_id)
    return AccountOut.model_validate(account)


@router.get(
    "/v1/accounts/{account_id}",
    response_model=AccountOut,
    operation_id="accounts-get",
    description=(
        "Billing or finance role. The account with its current cash balance and invoice deficit "
        "(what was invoiced beyond what was finally paid, settled by its next invoice request)."
    ),
    summary="Read an account",
    responses=problems(404),
)
async def get_account(account_id: str, session: Session, _auth: BillingOrFinance) -> AccountOut:
    return AccountOut.model_validate(await service.get_account(session, parse_id(account_id)))


@router.put(
    "/v1/accounts/{account_id}/cash-balance",
    response_model=AccountOut,
    operation_id="accounts-set_cash_balance",
    summary="Set an account's cash balance",
    description="Negative means arrears; an account in arrears cannot request invoices.",
    responses=problems(404, 422),
)
async def set_cash_balance(
    account_id: str, body: CashBalanceSet, session: Session, _auth: Billing
) -> AccountOut:
    account = await service.set_cash_balance(session, parse_id(account_id), body.cash_balance)
    return AccountOut.model_validate(account)


@router.post(
    "/v1/accounts/{account_id}/api-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyOut,
    operation_id="accounts-create_api_key",
    summary="Issue a customer API key",
    description=(
        "The key is shown once, in this response; only its hash is stored. With an `Idempotency-Key`, "
        "a retry is not given the key again: it is 409 `idempotency_key_secret_not_replayable` once "
        "the first request has succeeded (list the account's keys to find the new one by its prefix, "
        "and revoke it if its secret was lost)."
    ),
    responses=problems(404, 409, 422),
    dependencies=[CARRIES_SECRET],
)
async def create_api_key(account_id: str, body: ApiKeyCreate, session: Session, _auth: Billing) -> ApiKeyOut:
    issued = await service.issue_key(session, Role(body.role), parse_id(account_id))
    return ApiKeyOut(
        id=issued.record.id,
        key=issued.key,
        prefix=issued.record.prefix,
        role=issued.record.role,
        created_at=issued.record.created_at,
    )


@router.get(
    "/v1/accounts/{account_id}/api-keys",
    response_model=Page[ApiKeyInfoOut],
    operation_id="accounts-list_api_keys",
    summary="List an account's API keys",
    description=(
        "Billing role. The account's keys, newest first, revoked ones too: prefix, role, when created, "
        "last used (to within a minute) and revoked. Never the key itself: only its hash is stored."
    ),
    responses=problems(404),
)
async def list_api_keys(
    account_id: str, session: Session, _auth: Billing, page: Pagination
) -> Page[ApiKeyInfoOut]:
    keys, has_more, cursor = await service.list_keys(session, parse_id(account_id), page)
    return Page[ApiKeyInfoOut](
        data=[ApiKeyInfoOut.model_validate(key) for key in keys], has_more=has_more, next_cursor=cursor
    )


@router.delete(
    "/v1/accounts/{account_id}/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    operation_id="accounts-revoke_api_key",
    summary="Revoke a customer API key",
    description=(
        "Billing role. The key is refused (401) by every worker within INVOICING_AUTH_CACHE_SECONDS "
        "(each worker trusts a key it has checked that long). Revoking a revoked key is a 204 that "
        "changes nothing; a key of another account is 404. `invoicing revoke-key PREFIX` revokes any key."
    ),
    responses=problems(404),
)
async def revoke_api_key(account_id: str, key_id: str, session: Session, _auth: Billing) -> Response:
    await service.revoke_key(session, parse_id(account_id), parse_id(key_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
