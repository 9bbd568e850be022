"""ASGI middleware, outermost first; each has one job.

0. `ResponseHeadersMiddleware`: `Cache-Control: no-store` and `X-Content-Type-Options: nosniff` on
   the API's own responses (`API_PATHS`: /v1, the health and metrics endpoints, the OpenAPI
   document and its viewers); other paths (the console's static pages and assets) set their own.
1. `RequestContextMiddleware`: the request id in and out, one JSON access-log line, metrics, a 503
   `database_unavailable` (with Retry-After) when the database could not answer, and a bare 500
   for surprises.
2. `BodyLimitMiddleware`: reads the whole request body, or answers 413 `payload_too_large` past the
   limit. The limit is INVOICING_MAX_BODY_BYTES (1 MiB: every JSON body), except for the routes
   given as `larger` (a method, a path pattern and their own limit). A route that takes files gets
   the larger limit by adding a `BodyLimit` to the list `create_app` passes (app/main.py): today the
   invoice-file upload, `PUT /v1/invoice-requests/{id}/invoices/{number}/files/{format}`, with
   INVOICING_MAX_FILE_BYTES (10 MiB). The limit is decided here, before routing, from the path.
3. `IdempotencyMiddleware`: `Idempotency-Key` on POST: claims the key, replays a stored answer,
   and stores the new one (see app/core/idempotency.py for what is kept).
4. `TransactionMiddleware`: opens the request's session (a read session for GET/HEAD/OPTIONS, a
   write session otherwise, app/core/database.py), runs the route, and commits (< 400, after the
   commit hooks, e.g. idempotency's) or rolls back *before* the response leaves: every 2xx a client
   sees is durable. The response is sent after the session is closed (and SQLite's write gate
   released), so a slow client never holds up other writers.
"""

import json
import logging
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import idempotency, metrics
from app.core.auth import AuthContext, KeyResolver
from app.core.context import request_id_var
from app.core.database import Database, LazySession, is_unavailable
from app.core.errors import (
    PROBLEM_MEDIA_TYPE,
    DatabaseUnavailable,
    database_unavailable_headers,
    log_database_unavailable,
    problem_body,
)
from app.core.settings import Settings

access_logger = logging.getLogger("invoicing.access")
error_logger = logging.getLogger("invoicing.errors")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            try:
                return str(value.decode("latin-1"))
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
                return None
    return None


def _valid_request_id(value: str | None) -> bool:
    return value is not None and 0 < len(value) <= 128 and value.isascii() and value.isprintable()


async def send_problem(
    send: Send, status: int, code: str, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(problem_body(status, code, detail)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _new_request_id() -> str:
    """32 hex digits. A request id names a log line, it guards nothing: no need for os.urandom."""
    return f"{random.getrandbits(128):032x}"


class RequestContextMiddleware:
    """Request id in and out, one JSON access-log line, metrics, and a bare 500 for surprises."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming is not None and _valid_request_id(incoming) else _new_request_id()
        token = request_id_var.set(request_id)
        state = scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            if is_unavailable(error):
                # Opening or committing the transaction, or the idempotency claim, failed: the
                # database could not answer. A route's own failures are answered by errors.py.
                log_database_unavailable(error)
                if not response_started:
                    status = 503
                    headers = [(k.encode(), v.encode()) for k, v in database_unavailable_headers().items()]
                    unavailable = DatabaseUnavailable()
                    await send_problem(send_with_id, 503, unavailable.code, unavailable.detail, headers)
                return
            error_logger.exception("unhandled error", extra={"path": scope.get("path")})
            if not response_started:
                status = 500
                await send_problem(
                    send_with_id, 500, "internal_error", "An unexpected error occurred; it has been logged."
                )
        finally:
            duration = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            auth = state.get("auth")
            metrics.observe_request(scope["method"], template, status, duration)
            access_logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": template,
                    "status": status,
                    "duration_ms": round(duration * 1000, 3),
                    "role": auth.role.value if isinstance(auth, AuthContext) else None,
                    "account_id": str(auth.account_id)
                    if isinstance(auth, AuthContext) and auth.account_id
                    else None,
                },
            )
            request_id_var.reset(token)


# --- the request body ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BodyLimit:
    """A larger body limit for requests with this method whose path matches `path` (a full match)."""

    method: str
    path: re.Pattern[str]
    max_bytes: int


async def _read_body(receive: Receive, limit: int | None = None) -> bytes | None:
    """The whole body; None if the client went away or it exceeds `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


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


def _has_body(scope: Scope) -> bool:
    """Whether the request announces a body (HTTP/1.1: a length or a chunked transfer; an HTTP/2
    request without a length may still have one, so it counts as having one)."""
    if scope.get("http_version") not in ("1.0", "1.1"):
        return True
    return any(name in (b"content-length", b"transfer-encoding") for name, _ in scope.get("headers", ()))


class BodyLimitMiddleware:
    """Buffers the request body; 413 `payload_too_large` past the limit (see the module doc)."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: Sequence[BodyLimit] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = tuple(larger)

    def limit_for(self, method: str, path: str) -> int:
        for rule in self.larger:
            if rule.method == method and rule.path.fullmatch(path):
                return rule.max_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in _SAFE_METHODS and not _has_body(scope):
            await self.app(scope, receive, send)  # nothing to read or to limit
            return
        limit = self.limit_for(scope["method"], scope["path"])
        detail = f"The request body exceeds {limit} bytes."
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await send_problem(send, 413, "payload_too_large", detail)
            return
        body = await _read_body(receive, limit)
        if body is None:
            await send_problem(send, 413, "payload_too_large", detail)
            return
        await self.app(scope, _replaying(body, receive), send)


# --- Idempotency-Key ----------------------------------------------------------------------------


class _Captured:
    """A response held back until the middleware has decided what to do with it."""

    def __init__(self) -> None:
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    @property
    def status(self) -> int:
        assert self.start is not None, "the app sent no response"
        return int(self.start["status"])

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    async def forward(self, send: Send) -> None:
        assert self.start is not None, "the app sent no response"
        await send(self.start)
        await send({"type": "http.response.body", "body": self.body})


# Called by TransactionMiddleware inside the request's transaction, just before it commits a
# response below 400, with the session, the response start message and the response body.
CommitHook = Callable[[AsyncSession, Message, bytes], Awaitable[None]]


def commit_hooks(scope: Scope) -> list[CommitHook]:
    hooks: list[CommitHook] = scope.setdefault("state", {}).setdefault("commit_hooks", [])
    return hooks


class IdempotencyMiddleware:
    """Idempotency-Key on POST: a replay, a refusal, or the request run under a claim whose answer is
    stored with the work's commit (2xx/3xx) or on its own (other final answers), or forgotten (429,
    5xx, an exception) so that a retry with the same key runs again."""

    def __init__(
        self, app: ASGIApp, database: Database, settings: Settings, key_resolver: KeyResolver
    ) -> None:
        self.app = app
        self.database = database
        self.settings = settings
        self.key_resolver = key_resolver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = _header(scope, b"idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        if not idempotency.is_valid_key(key):
            detail = "header.Idempotency-Key: must be 1-255 printable ASCII characters"
            await send_problem(send, 422, "validation_error", detail)
            return
        auth = await self._authenticate(scope)
        if auth is None:
            await self.app(scope, receive, send)  # the route answers 401
            return
        scope.setdefault("state", {})["auth"] = auth
        body = await _read_body(receive)
        if body is None:
            return  # the client went away
        outcome = await idempotency.claim(
            self.database,
            auth.key_id,
            key,
            idempotency.fingerprint(scope["method"], scope["path"], body),
            ttl_seconds=self.settings.idempotency_ttl_seconds,
            lock_seconds=self.settings.idempotency_lock_seconds,
        )
        if isinstance(outcome, idempotency.Replay):
            await self._replay(send, outcome)
            return
        if isinstance(outcome, idempotency.Refused):
            if outcome.code == "idempotency_key_reused":
                detail = "This Idempotency-Key was used with a different request."
                await send_problem(send, 422, outcome.code, detail)
            else:
                detail = "A request with this Idempotency-Key is still being processed."
                await send_problem(send, 409, outcome.code, detail)
            return
        await self._run(scope, _replaying(body, receive), send, outcome.record_id)

    async def _authenticate(self, scope: Scope) -> AuthContext | None:
        authorization = _header(scope, b"authorization") or ""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        if (cached := self.key_resolver.cached(token.strip())) is not None:
            return cached
        async with self.database.read_session() as session:
            return await self.key_resolver.resolve(session, token.strip())

    async def _run(self, scope: Scope, receive: Receive, send: Send, record_id: uuid.UUID) -> None:
        stored = False

        async def store_with_work(session: AsyncSession, start: Message, body: bytes) -> None:
            nonlocal stored
            if idempotency.is_final(start["status"]):
                await idempotency.complete(session, record_id, start["status"], start["headers"], body)
                stored = True

        commit_hooks(scope).append(store_with_work)
        response = _Captured()
        try:
            await self.app(scope, receive, response.send)
        except BaseException:
            await self._release(record_id)
            raise
        if not stored:
            assert response.start is not None, "the app sent no response"
            if idempotency.is_final(response.status):
                async with self.database.write_session() as session, session.begin():
                    await idempotency.complete(
                        session, record_id, response.status, response.start["headers"], response.body
                    )
            else:
                await self._release(record_id)
        await response.forward(send)

    async def _release(self, record_id: uuid.UUID) -> None:
        """Forget the claim. If the database cannot be reached to do it, the claim stays in flight
        and a retry with the key gets 409 until `idempotency_lock_seconds` pass, then runs."""
        try:
            await idempotency.release(self.database, record_id)
        except Exception as error:
            if not is_unavailable(error):
                raise
            error_logger.warning("idempotency claim left in flight: the database is unavailable")

    @staticmethod
    async def _replay(send: Send, replay: idempotency.Replay) -> None:
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in replay.headers]
        headers.append((b"content-length", str(len(replay.body)).encode()))
        headers.append((b"idempotent-replayed", b"true"))
        await send({"type": "http.response.start", "status": replay.status, "headers": headers})
        await send({"type": "http.response.body", "body": replay.body})


# --- the transaction ----------------------------------------------------------------------------

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TransactionMiddleware:
    """The request's session: commit before the response leaves (see the module doc).

    The session is opened lazily (`LazySession`, on the route's first `Session` or a key-cache
    miss): a request that never reads the database costs no session, and its response goes out
    as the app sends it. A request that opened one is answered only after its commit.
    """

    def __init__(self, app: ASGIApp, database: Database) -> None:
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lazy = LazySession(self.database, writes=scope["method"] not in _SAFE_METHODS)
        state = scope.setdefault("state", {})
        state["db"] = lazy
        response = _Captured()
        passing = False

        async def send_after_commit(message: Message) -> None:
            nonlocal passing
            if message["type"] == "http.response.start" and not lazy.opened and not commit_hooks(scope):
                passing = True  # nothing to commit: no reason to hold the response back
            if passing:
                await send(message)
            else:
                await response.send(message)

        try:
            await self.app(scope, receive, send_after_commit)
            if not passing and lazy.writes:
                if response.status < 400:
                    hooks = commit_hooks(scope)
                    if hooks or lazy.opened:
                        session = await lazy.get()
                        for hook in hooks:
                            await hook(session, response.start or {}, response.body)
                        await session.commit()
                elif lazy.session is not None:
                    await lazy.session.rollback()
            # A read session has nothing to commit: closing it ends its transaction (if any).
        except BaseException as error:
            await lazy.close(type(error), error, error.__traceback__)
            raise
        finally:
            state.pop("db", None)
        await lazy.close()
        # After the commit and outside SQLite's write gate: a slow reader never holds up writers.
        if not passing:
            await response.forward(send)


# --- response headers ---------------------------------------------------------------------------

# Paths whose responses are the API's own (exact, or followed by "/"): they hold customer data and
# are never cached, and their content type is never sniffed. Everything else (the console under
# /console/) chooses its own caching.
API_PATHS = ("/v1", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/redoc")
_API_HEADERS = ((b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"))


def is_api_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in API_PATHS)


class ResponseHeadersMiddleware:
    """`Cache-Control: no-store` and `X-Content-Type-Options: nosniff` on API responses (a route that
    sets its own Cache-Control keeps it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in _API_HEADERS if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
