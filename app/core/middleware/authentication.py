"""The caller of a request that carries a body, known before anything reads that body."""

from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.auth import KeyResolver
from app.core.database import Database
from app.core.middleware.asgi import carries_body, header
from app.core.request_state import request_state


def _is_v1(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


class AuthenticationMiddleware:
    """Every /v1 operation needs a key. For a request that may carry a body (any method but
    GET/HEAD/OPTIONS, or one with a length), the key is resolved here, before BodyLimitMiddleware
    reads the body: without a valid key the answer is 401 (429 past the per-address limit of refused
    keys) and not one byte of the body is read. Other requests are authenticated by the route's
    dependency, in the request's own session (app/core/dependencies.py); both call the same
    `KeyResolver.authenticate`."""

    def __init__(self, app: ASGIApp, database: Database, key_resolver: KeyResolver) -> None:
        self.app = app
        self.database = database
        self.key_resolver = key_resolver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _is_v1(scope["path"]) and carries_body(scope):
            client = scope.get("client")
            request_state(scope).caller = await self.key_resolver.authenticate(
                header(scope, b"authorization"), client[0] if client else None, self.database.read_session
            )
        await self.app(scope, receive, send)
