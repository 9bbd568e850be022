"""The request's session: committed (or rolled back) before the response leaves."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.database import Database, LazySession
from app.core.middleware.asgi import SAFE_METHODS
from app.core.request_state import request_state


class HeldResponse:
    """A response held back until the transaction has ended (the only copy of a response body)."""

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
        """The body, joined once (the app usually sends it in one message)."""
        if len(self.chunks) != 1:
            self.chunks = [b"".join(self.chunks)]
        return self.chunks[0]

    async def forward(self, send: Send, body: bytes) -> None:
        assert self.start is not None, "the app sent no response"
        await send(self.start)
        await send({"type": "http.response.body", "body": body})


class TransactionMiddleware:
    """Opens the request's session (a read session for GET/HEAD/OPTIONS, a write session otherwise,
    app/core/database.py), runs the route, and commits (< 400, after the request's `before_commit`
    hooks, e.g. idempotency's) or rolls back *before* the response leaves: every 2xx a client sees
    is durable. The response is sent after the session is closed (and SQLite's write gate released),
    so a slow client never holds up other writers; the `before_send` hooks see it just before.
    A read route that streams (`state.streams_response`, an export) has its session closed when its
    response starts, and the response passes straight through: it is never held in memory.

    The session is opened lazily (`LazySession`, on the route's first `Session` or a key-cache
    miss): a request that never reads the database and has no hooks costs no session, and its
    response goes out as the app sends it.
    """

    def __init__(self, app: ASGIApp, database: Database) -> None:
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = request_state(scope)
        lazy = LazySession(self.database, writes=scope["method"] not in SAFE_METHODS)
        state.session = lazy
        held = HeldResponse()
        passing = False

        async def send_after_commit(message: Message) -> None:
            nonlocal passing
            if message["type"] == "http.response.start" and state.streams_response and not lazy.writes:
                await lazy.close()  # a read: nothing to commit, and a stream is never held in memory
            if (
                message["type"] == "http.response.start"
                and not lazy.opened
                and not state.before_commit
                and not state.before_send
            ):
                passing = True  # nothing to commit or to record: no reason to hold the response back
            if passing:
                await send(message)
            else:
                await held.send(message)

        try:
            await self.app(scope, receive, send_after_commit)
            if not passing and lazy.writes:
                if held.status < 400:
                    if state.before_commit or lazy.opened:
                        session = await lazy.get()
                        for commit_hook in state.before_commit:
                            await commit_hook(session, held.start or {}, held.body)
                        await session.commit()
                elif lazy.session is not None:
                    await lazy.session.rollback()
            # A read session has nothing to commit: closing it ends its transaction (if any).
        except BaseException as error:
            await lazy.close(type(error), error, error.__traceback__)
            raise
        finally:
            state.session = None
        await lazy.close()
        # After the commit and outside SQLite's write gate: a slow reader never holds up writers.
        if not passing:
            body = held.body
            for send_hook in state.before_send:
                await send_hook(held.start or {}, body)
            await held.forward(send, body)
