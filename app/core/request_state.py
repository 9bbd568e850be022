"""What the middleware and the dependencies of one request share: one typed object in the scope.

Plain Python (no web framework): the middleware (app/core/middleware/) fills it in, the route's
dependencies (app/core/dependencies.py, app/core/session.py) read it.
"""

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import AuthContext
from app.core.database import LazySession

# An ASGI response start message: {"type": "http.response.start", "status": ..., "headers": [...]}.
ResponseStart = MutableMapping[str, Any]

# Called by TransactionMiddleware inside the request's transaction, just before it commits a
# response below 400, with the session, the response start message and the response body.
CommitHook = Callable[[AsyncSession, ResponseStart, bytes], Awaitable[None]]
# Called by TransactionMiddleware for every response it held back, once the transaction has ended
# (committed or rolled back) and before the response is sent.
SendHook = Callable[[ResponseStart, bytes], Awaitable[None]]

_KEY = "invoicing"


@dataclass(slots=True)
class RequestState:
    # Who is calling, once resolved (AuthenticationMiddleware or the route's dependency).
    caller: AuthContext | None = None
    # Whether the caller's own rate limit has been counted for this request.
    rate_checked: bool = False
    # The request's session (TransactionMiddleware), opened on first use.
    session: LazySession | None = None
    # The whole request body, once BodyLimitMiddleware has read it (None: not read, or none).
    body: bytes | None = None
    # The route's response carries a secret shown once (a new API key): never stored for replays.
    response_carries_secret: bool = False
    # The route streams a long response (a read; it reads in its own sessions as it goes): the
    # request's session ends before the response starts, which then goes out as the route sends it.
    streams_response: bool = False
    before_commit: list[CommitHook] = field(default_factory=list)
    before_send: list[SendHook] = field(default_factory=list)


def request_state(scope: MutableMapping[str, Any]) -> RequestState:
    """The request's state, created on first use (ASGI's per-request `scope["state"]`)."""
    state: MutableMapping[str, Any] = scope.setdefault("state", {})
    found = state.get(_KEY)
    if not isinstance(found, RequestState):
        found = state[_KEY] = RequestState()
    return found
