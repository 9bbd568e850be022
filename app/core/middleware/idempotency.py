"""`Idempotency-Key` on POST: a replay, a refusal, or the request run under a claim."""

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core import idempotency
from app.core.database import Database, is_unavailable
from app.core.middleware.asgi import header
from app.core.request_state import ResponseStart, request_state
from app.core.settings import Settings

error_logger = logging.getLogger("invoicing.errors")


class IdempotencyMiddleware:
    """Claims the key (app/core/idempotency.py), then answers with the stored response (a replay),
    a refusal (422 `idempotency_key_reused`, 409 `idempotency_key_in_progress`, 409
    `idempotency_key_secret_not_replayable`), or runs the request under the claim: its answer is
    stored with the work's commit (2xx/3xx, a `before_commit` hook of TransactionMiddleware), on its
    own (other final answers, a `before_send` hook), or forgotten (429, 5xx, an exception) so that
    a retry with the same key runs again. A response that carries a secret keeps no body.

    Runs after AuthenticationMiddleware (the caller, whose key scopes the Idempotency-Key) and
    BodyLimitMiddleware (the body, fingerprinted from the request's state)."""

    def __init__(self, app: ASGIApp, database: Database, settings: Settings) -> None:
        self.app = app
        self.database = database
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = header(scope, b"idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        if not idempotency.is_valid_key(key):
            raise idempotency.InvalidKey()
        state = request_state(scope)
        if state.caller is None or state.body is None:
            await self.app(scope, receive, send)  # not an API operation: nothing to remember
            return
        outcome = await idempotency.claim(
            self.database,
            state.caller.key_id,
            key,
            idempotency.fingerprint(scope["method"], scope["path"], state.body),
            ttl_seconds=self.settings.idempotency_ttl_seconds,
            lock_seconds=self.settings.idempotency_lock_seconds,
        )
        if isinstance(outcome, idempotency.Replay):
            await self._replay(send, outcome)
            return
        if isinstance(outcome, idempotency.Withheld):
            raise idempotency.SecretNotReplayable(original_status=outcome.status)
        if isinstance(outcome, idempotency.Refused):
            if outcome.code == "idempotency_key_reused":
                raise idempotency.KeyReused()
            raise idempotency.KeyInProgress()
        record_id = outcome.record_id
        stored = False

        def kept(body: bytes) -> bytes | None:
            return None if state.response_carries_secret else body

        async def store_with_work(session: AsyncSession, start: ResponseStart, body: bytes) -> None:
            nonlocal stored
            if idempotency.is_final(start["status"]):
                await idempotency.complete(session, record_id, start["status"], start["headers"], kept(body))
                stored = True

        async def store_alone(start: ResponseStart, body: bytes) -> None:
            if stored:
                return
            if idempotency.is_final(start["status"]):
                async with self.database.write_session() as session, session.begin():
                    await idempotency.complete(
                        session, record_id, start["status"], start["headers"], kept(body)
                    )
            else:
                await self._release(record_id)

        state.before_commit.append(store_with_work)
        state.before_send.append(store_alone)
        try:
            await self.app(scope, receive, send)
        except BaseException:
            await self._release(record_id)
            raise

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
