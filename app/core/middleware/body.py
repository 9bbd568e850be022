"""The request body: read once, within a size limit and a deadline, before the route runs."""

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PayloadTooLarge, RequestTimeout
from app.core.middleware.asgi import carries_body, header
from app.core.request_state import request_state


@dataclass(frozen=True, slots=True)
class BodyLimit:
    """A larger body limit for requests with this method whose path matches `path` (a full match)."""

    method: str
    path: re.Pattern[str]
    max_bytes: int


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body; None if the client went away; PayloadTooLarge past `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app `body` in one message, then whatever the client sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class BodyLimitMiddleware:
    """Reads the whole request body into the request's state (the one copy: the idempotency
    fingerprint and the route use it), or refuses it: 413 `payload_too_large` past the limit
    (declared or counted), 408 `request_timeout` if it has not fully arrived `timeout_seconds`
    after the headers (INVOICING_BODY_TIMEOUT_SECONDS: a client trickling a body holds a
    connection, not the service).

    The limit is INVOICING_MAX_BODY_BYTES (1 MiB: every JSON body), except for the routes given as
    `larger` (a method, a path pattern and their own limit), decided here, before routing, from the
    path: `create_app` (app/main.py) gives the invoice-file upload INVOICING_MAX_FILE_BYTES.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, timeout_seconds: float, larger: Sequence[BodyLimit] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds
        self.larger = tuple(larger)

    def limit_for(self, method: str, path: str) -> int:
        for rule in self.larger:
            if rule.method == method and rule.path.fullmatch(path):
                return rule.max_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not carries_body(scope):
            await self.app(scope, receive, send)  # nothing to read or to limit
            return
        limit = self.limit_for(scope["method"], scope["path"])
        length = header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise PayloadTooLarge(limit)
        try:
            async with asyncio.timeout(self.timeout_seconds):
                body = await _read_body(receive, limit)
        except TimeoutError:
            raise RequestTimeout() from None
        if body is None:
            return  # the client went away
        request_state(scope).body = body
        await self.app(scope, _replaying(body, receive), send)
