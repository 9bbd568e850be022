"""The server's guard on a request's line and headers, which no ASGI middleware ever sees.

uvicorn's httptools protocol, with two limits it lacks: the request line and headers may be at
most INVOICING_MAX_HEADER_BYTES (431 `headers_too_large`), and must arrive within
INVOICING_HEADER_TIMEOUT_SECONDS of the connection opening or of the request's first byte (408
`request_timeout`; an idle new connection is simply closed). Either way the connection is closed
and the app never runs. `invoicing serve` (app/cli.py) uses it; tests/reliability/test_slow_clients.py
pins the uvicorn behaviour it builds on (the parser callbacks and `transport`).
"""

import asyncio
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.core.errors import DomainError, HeadersTooLarge, RequestTimeout
from app.core.handlers import domain_error_response
from app.core.settings import get_settings

# What a request head costs beyond its parts: "METHOD " + " HTTP/1.1\r\n", ": " + "\r\n" per header.
_LINE_OVERHEAD = 20
_HEADER_OVERHEAD = 4


def _raw_response(error: DomainError) -> bytes:
    """The problem response (the one function that builds them), written as HTTP/1.1 bytes."""
    response = domain_error_response(error, {"Connection": "close"})
    head = [f"HTTP/1.1 {error.status} {HTTPStatus(error.status).phrase}".encode("latin-1")]
    head.extend(name + b": " + value for name, value in response.raw_headers)
    return b"\r\n".join(head) + b"\r\n\r\n" + bytes(response.body)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.max_header_bytes = settings.max_header_bytes
        self.header_timeout = settings.header_timeout_seconds
        self._head_bytes = 0  # raw bytes received of the current request's head
        self._head_size = 0  # the parsed head's size (line and headers)
        self._in_head = True  # between requests, or inside a request's line and headers
        self._started = False  # a byte of the current request has arrived
        self._refused = False
        self._head_timer: asyncio.TimerHandle | None = None

    # -- the head deadline ---------------------------------------------------------------------

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._in_head or self.transport.is_closing():
            return
        if self._started:
            self._refuse(RequestTimeout())
        else:
            self.transport.close()  # an idle new connection: nothing to answer

    def _refuse(self, error: DomainError) -> None:
        self._refused = True
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(_raw_response(error))
            self.transport.close()

    # -- uvicorn's protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # Still inside the head after all of it: every byte so far was head.
        if self._in_head and self._started and not self._refused and self._head_bytes > self.max_header_bytes:
            self._refuse(HeadersTooLarge(self.max_header_bytes))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._started = True
        self._head_size = _LINE_OVERHEAD
        if self._head_timer is None:
            self._arm()  # the next request on a kept-alive connection

    def on_url(self, url: bytes) -> None:
        if self._refused:
            return
        self._head_size += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._refused:
            return
        self._head_size += len(name) + len(value) + _HEADER_OVERHEAD
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._in_head = False
        self._disarm()
        if self._head_size > self.max_header_bytes:
            self._refuse(HeadersTooLarge(self.max_header_bytes))
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        super().on_message_complete()
        self._in_head = True
        self._started = False
        self._head_bytes = 0
