"""What routers inject (the HTTP layer; services never import this): the caller, checked for its
role and rate limit, and the page parameters of a list. The request's session is
`app/core/session.Session`."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.core.auth import AuthContext, KeyResolver, KeyUsageRecorder, Role
from app.core.errors import Forbidden, Unauthenticated
from app.core.pagination import PageParams
from app.core.ratelimit import RateLimiter
from app.core.session import get_session

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer ik_…`")


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AuthContext:
    state = request.scope.setdefault("state", {})
    auth = state.get("auth")
    if not isinstance(auth, AuthContext):
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthenticated()
        resolver: KeyResolver = request.app.state.key_resolver
        # A cached key needs no session; a miss reads the key in the request's own session.
        auth = resolver.cached(credentials.credentials) or await resolver.resolve(
            await get_session(request), credentials.credentials
        )
        if auth is None:
            raise Unauthenticated("The API key is unknown or revoked.")
        state["auth"] = auth
    if not state.get("rate_checked"):
        state["rate_checked"] = True
        usage: KeyUsageRecorder = request.app.state.key_usage
        usage.seen(auth.key_id)
        limiter: RateLimiter = request.app.state.rate_limiter
        await limiter.check(str(auth.key_id))
    return auth


def require_role(*roles: Role) -> Callable[..., Awaitable[AuthContext]]:
    """The key must have one of `roles`. The OpenAPI document lists them as the role names of the
    operation's bearer requirement (`security: [{HTTPBearer: [customer]}]`, as OpenAPI 3.1 allows
    for non-OAuth schemes), so integrators and tests read who may call what from the document."""
    allowed = frozenset(roles)
    names = sorted(role.value for role in allowed)

    async def dependency(auth: Annotated[AuthContext, Security(authenticate, scopes=names)]) -> AuthContext:
        if auth.role not in allowed:
            raise Forbidden(f"This operation needs a {' or '.join(sorted(allowed))} key.")
        return auth

    return dependency


Customer = Annotated[AuthContext, Depends(require_role(Role.customer))]
Billing = Annotated[AuthContext, Depends(require_role(Role.billing))]
Finance = Annotated[AuthContext, Depends(require_role(Role.finance))]
BillingOrFinance = Annotated[AuthContext, Depends(require_role(Role.billing, Role.finance))]
CustomerOrFinance = Annotated[AuthContext, Depends(require_role(Role.customer, Role.finance))]


async def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    cursor: Annotated[
        str | None,
        Query(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$", description="From `next_cursor`"),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


Pagination = Annotated[PageParams, Depends(page_params)]
