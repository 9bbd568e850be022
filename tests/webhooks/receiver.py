"""A real HTTP receiver on loopback (http.server in a thread) that records every delivery and answers
as the test scripts it: 2xx, an error status with a long body, or hanging; it can be stopped and
started again on the same port (the receiver down for a while)."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook

from tests.server import free_port


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verify(self, secret: str) -> Any:
        """The standardwebhooks package's own verifier (raises WebhookVerificationError)."""
        return Webhook(secret).verify(self.body, self.headers)


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b"ok"
    hang_seconds: float = 0.0


# Decides the answer to the n-th request (from 0) carrying this webhook-id.
Script = Callable[[int, str], Answer]


def always_ok(_index: int, _webhook_id: str) -> Answer:
    return Answer()


@dataclass
class Receiver:
    port: int
    script: Script = always_ok
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    in_flight: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    webhook_id = headers.get("webhook-id", "")
                    index = sum(1 for r in receiver.received if r.webhook_id == webhook_id)
                    receiver.received.append(Received(headers, body, time.monotonic()))
                answer = receiver.script(index, webhook_id)
                if answer.hang_seconds:
                    receiver.in_flight.set()
                    time.sleep(answer.hang_seconds)
                try:
                    self.send_response(answer.status)
                    self.send_header("content-length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:
                    pass  # the sender gave up (timeout) or died

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ids(self) -> list[str]:
        with self._lock:
            return [r.webhook_id for r in self.received]

    def first_arrivals(self) -> list[str]:
        """Webhook ids in the order they first arrived (repeats left out)."""
        seen: dict[str, None] = {}
        for webhook_id in self.ids():
            seen.setdefault(webhook_id, None)
        return list(seen)


@contextmanager
def receiving(script: Script = always_ok) -> Iterator[Receiver]:
    receiver = Receiver(port=free_port(), script=script)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
