"""The request id in and out, one JSON access-log line per request, and the request metrics."""

import logging
import random
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import metrics
from app.core.context import request_id_var
from app.core.middleware.asgi import header
from app.core.request_state import request_state

access_logger = logging.getLogger("invoicing.access")


def _valid_request_id(value: str | None) -> bool:
    return value is not None and 0 < len(value) <= 128 and value.isascii() and value.isprintable()


def _new_request_id() -> str:
    """32 hex digits. A request id names a log line, it guards nothing: no need for os.urandom."""
    return f"{random.getrandbits(128):032x}"


class AccessLogMiddleware:
    """Observes every request (it answers none): its id, its log line, its metrics. The status it
    records is what was sent; a request that sent nothing (an exception past ErrorMiddleware, a
    cancelled task) is recorded as 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = header(scope, b"x-request-id")
        request_id = incoming if incoming is not None and _valid_request_id(incoming) else _new_request_id()
        token = request_id_var.set(request_id)
        state = request_state(scope)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            caller = state.caller
            metrics.observe_request(scope["method"], template, status, duration)
            access_logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": template,
                    "status": status,
                    "duration_ms": round(duration * 1000, 3),
                    "role": caller.role.value if caller is not None else None,
                    "account_id": str(caller.account_id)
                    if caller is not None and caller.account_id
                    else None,
                },
            )
            request_id_var.reset(token)
