"""ASGI middleware: request context and logs (outer), one transaction per request (inner)."""

import json
import logging
import time
import uuid
from contextlib import nullcontext

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import idempotency, metrics
from app.core.auth import AuthContext, KeyCache, resolve_key
from app.core.context import request_id_var
from app.core.database import Database, write_intent
from app.core.errors import PROBLEM_MEDIA_TYPE, problem_body
from app.core.settings import Settings

access_logger = logging.getLogger("invoicing.access")
error_logger = logging.getLogger("invoicing.errors")

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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


class RequestContextMiddleware:
    """Request id in and out, one JSON access-log line, metrics, and a bare 500 for surprises."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming is not None and _valid_request_id(incoming) else uuid.uuid4().hex
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
        except Exception:
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


class TransactionMiddleware:
    """Buffers the body (413 past the limit), opens the request's session, honours
    Idempotency-Key, and commits before the response leaves: a 2xx/3xx the client sees is durable."""

    def __init__(self, app: ASGIApp, database: Database, settings: Settings, key_cache: KeyCache) -> None:
        self.app = app
        self.database = database
        self.settings = settings
        self.key_cache = key_cache

    async def _read_body(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.settings.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        writes = method not in _SAFE_METHODS
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.settings.max_body_bytes:
            await send_problem(send, 413, "payload_too_large", self._too_large())
            return
        body = await self._read_body(receive)
        if body is None:
            await send_problem(send, 413, "payload_too_large", self._too_large())
            return

        body_sent = False

        async def replay_receive() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        intent_token = write_intent.set(writes)
        gate = self.database.write_gate if writes and self.database.serializes_writers else nullcontext()
        try:
            async with gate, self.database.sessionmaker() as session:
                scope.setdefault("state", {})["db_session"] = session
                claim: idempotency.Claimed | None = None
                if method == "POST":
                    outcome = await self._idempotency(scope, session, body)
                    if isinstance(outcome, idempotency.Replay):
                        await self._send(send, outcome.status, outcome.body, replayed=True)
                        return
                    if isinstance(outcome, tuple):
                        status, code, detail = outcome
                        await send_problem(send, status, code, detail)
                        return
                    claim = outcome
                start, response_body = await self._run(scope, replay_receive, session, claim)
        finally:
            write_intent.reset(intent_token)
        # After the commit and outside the write gate: a slow reader never holds up other writers.
        await send(start)
        await send({"type": "http.response.body", "body": response_body})

    def _too_large(self) -> str:
        return f"The request body exceeds {self.settings.max_body_bytes} bytes."

    async def _idempotency(
        self, scope: Scope, session: AsyncSession, body: bytes
    ) -> idempotency.Claimed | idempotency.Replay | tuple[int, str, str] | None:
        key = _header(scope, b"idempotency-key")
        if key is None:
            return None
        if not (1 <= len(key) <= idempotency.MAX_KEY_LENGTH) or not key.isprintable():
            return (422, "validation_error", "header.Idempotency-Key: must be 1-255 printable characters")
        authorization = _header(scope, b"authorization") or ""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None  # the route answers 401
        auth = await resolve_key(session, token.strip(), self.key_cache)
        await session.rollback()
        if auth is None:
            return None
        scope.setdefault("state", {})["auth"] = auth
        outcome = await idempotency.claim(
            self.database.sessionmaker,
            auth.key_id,
            key,
            idempotency.fingerprint(scope["method"], scope["path"], body),
            ttl_seconds=self.settings.idempotency_ttl_seconds,
            lock_seconds=self.settings.idempotency_lock_seconds,
        )
        if isinstance(outcome, idempotency.Refused):
            if outcome.code == "idempotency_key_reused":
                return (422, outcome.code, "This Idempotency-Key was used with a different request.")
            return (409, outcome.code, "A request with this Idempotency-Key is still being processed.")
        return outcome

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        session: AsyncSession,
        claim: idempotency.Claimed | None,
    ) -> tuple[Message, bytes]:
        """Run the app, then commit (< 400) or roll back; returns the response to send."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await session.rollback()
            if claim is not None:
                await idempotency.release(self.database.sessionmaker, claim.record_id)
            raise
        assert start is not None, "the app sent no response"
        status: int = start["status"]
        body = b"".join(chunks)
        if status < 400:
            try:
                if claim is not None:
                    await idempotency.complete(session, claim.record_id, status, body)
                await session.commit()
            except BaseException:
                await session.rollback()
                if claim is not None:
                    await idempotency.release(self.database.sessionmaker, claim.record_id)
                raise
        else:
            await session.rollback()
            if claim is not None:
                if status >= 500:
                    await idempotency.release(self.database.sessionmaker, claim.record_id)
                else:
                    async with self.database.sessionmaker() as outcome_session:
                        await idempotency.complete(outcome_session, claim.record_id, status, body)
                        await outcome_session.commit()
        return start, body

    @staticmethod
    async def _send(send: Send, status: int, body: bytes, *, replayed: bool) -> None:
        is_problem = status >= 400
        headers: list[tuple[bytes, bytes]] = [
            (b"content-type", (PROBLEM_MEDIA_TYPE if is_problem else "application/json").encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        if replayed:
            headers.append((b"idempotent-replayed", b"true"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
