"""What routers inject (the HTTP layer; services never import this): the caller, checked for its
role and rate limit, and the page parameters of a list. The request's session is
`app/core/session.Session`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Security
from fastapi.security import HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import AuthContext, KeyResolver, KeyUsageRecorder, Role
from app.core.errors import Forbidden
from app.core.pagination import PageParams
from app.core.ratelimit import RateLimiter
from app.core.request_state import request_state
from app.core.session import get_session

BEARER_DESCRIPTION = "An API key: `Authorization: Bearer ik_…`"


async def authenticate(request: Request, authorization: str | None) -> AuthContext:
    """Who is calling (401 if nobody we know), after the rate limit (429) of their key."""
    state = request_state(request.scope)
    auth = state.caller  # AuthenticationMiddleware resolved it already if the request has a body
    if auth is None:
        resolver: KeyResolver = request.app.state.key_resolver
        client = request.client.host if request.client else None

        @asynccontextmanager
        async def request_session() -> AsyncIterator[AsyncSession]:
            yield await get_session(request)  # a miss reads the key in the request's own session

        auth = state.caller = await resolver.authenticate(authorization, client, request_session)
    if not state.rate_checked:
        state.rate_checked = True
        usage: KeyUsageRecorder = request.app.state.key_usage
        usage.seen(auth.key_id)
        limiter: RateLimiter = request.app.state.rate_limiter
        await limiter.check(str(auth.key_id))
    return auth


async def _response_carries_secret(request: Request) -> None:
    request_state(request.scope).response_carries_secret = True


async def _streams_response(request: Request) -> None:
    request_state(request.scope).streams_response = True


# On a read route that streams its response (an export), reading in sessions of its own as it
# goes: the request's session (the caller's key lookup) is closed when the response starts, and
# the response is passed on chunk by chunk instead of being held until the transaction ends.
STREAMS_RESPONSE = Depends(_streams_response)


# On a route whose response carries a secret shown once (a new API key): the Idempotency-Key
# store keeps no body of it, and a replay is refused with 409
# `idempotency_key_secret_not_replayable` (app/core/idempotency.py).
CARRIES_SECRET = Depends(_response_carries_secret)


class _Caller(HTTPBearer):
    """The caller, who must hold one of `roles` (403 otherwise).

    One dependency per operation, and the bearer scheme itself (so the OpenAPI document lists the
    operation's `security: [{HTTPBearer: [roles…]}]`): FastAPI resolves one level instead of three
    (role check → authentication → header), about a tenth of a small read's time.
    """

    def __init__(self, roles: frozenset[Role]) -> None:
        super().__init__(auto_error=False, scheme_name="HTTPBearer", description=BEARER_DESCRIPTION)
        self.roles = roles

    async def __call__(self, request: Request) -> AuthContext:  # type: ignore[override]
        auth = await authenticate(request, request.headers.get("authorization"))
        if auth.role not in self.roles:
            raise Forbidden(f"This operation needs a {' or '.join(sorted(self.roles))} key.")
        return auth


def require_role(*roles: Role) -> Any:
    """The key must have one of `roles`. The OpenAPI document lists them as the role names of the
    operation's bearer requirement (`security: [{HTTPBearer: [customer]}]`, as OpenAPI 3.1 allows
    for non-OAuth schemes), so integrators and tests read who may call what from the document."""
    allowed = frozenset(roles)
    return Security(_Caller(allowed), scopes=sorted(role.value for role in allowed))


Customer = Annotated[AuthContext, require_role(Role.customer)]
Billing = Annotated[AuthContext, require_role(Role.billing)]
Finance = Annotated[AuthContext, require_role(Role.finance)]
BillingOrFinance = Annotated[AuthContext, require_role(Role.billing, Role.finance)]
CustomerOrFinance = Annotated[AuthContext, require_role(Role.customer, Role.finance)]


async def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    cursor: Annotated[
        str | None,
        Query(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$", description="From `next_cursor`"),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


Pagination = Annotated[PageParams, Depends(page_params)]
