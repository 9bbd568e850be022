"""The answer to whatever escaped the routes' own exception handlers (app/core/handlers.py)."""

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.database import is_unavailable
from app.core.errors import DomainError
from app.core.handlers import database_unavailable_response, domain_error_response, problem_response
from app.core.middleware.asgi import has_body
from app.core.request_state import request_state

error_logger = logging.getLogger("invoicing.errors")


class ErrorMiddleware:
    """A refusal raised by the middleware (a DomainError: 401 before the body, 408, 413, the
    Idempotency-Key refusals) gets its problem response; a database that could not answer while
    the transaction was opened or committed, or the key looked up, 503 `database_unavailable`; anything
    else a logged 500 `internal_error`. An answer given before the request's body was read says
    `Connection: close`, so the server drops the rest of the body instead of reading it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def watch(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as error:
            if isinstance(error, DomainError):
                response = domain_error_response(error)
            elif is_unavailable(error):
                response = database_unavailable_response(error)
            else:
                error_logger.exception("unhandled error", extra={"path": scope.get("path")})
                response = problem_response(
                    500, "internal_error", "An unexpected error occurred; it has been logged."
                )
            if response_started:
                return  # too late to answer; the server closes the connection
            if has_body(scope) and request_state(scope).body is None:
                response.headers["Connection"] = "close"
            await response(scope, receive, watch)
