"""F00, the bare floor: a plain ASGI app (no FastAPI, no middleware) under the service's uvicorn settings.

    python -m bench.bare --host 127.0.0.1 --port 8001 [--workers N]

Every path answers 200 `{"ok":true}`, the body F0 returns, so F0/F00 shows what FastAPI and our
middleware cost. Served through `app.cli._serve`, the same function `invoicing serve` uses.
"""

import argparse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

BODY = b'{"ok":true}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def bare(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def create_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The factory `_serve` loads (the service is served with factory=True too)."""
    return bare


def main() -> None:
    from app.cli import _serve

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    _serve(args.host, args.port, args.workers, target="bench.bare:create_app")


if __name__ == "__main__":
    main()
