"""A real SMTP server (aiosmtpd) for tests: records what it accepts, or refuses on request."""

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from threading import Lock
from typing import Any

from aiosmtpd.controller import Controller

from tests.server import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Recorder:
    """aiosmtpd handler. `plan` holds what to do with the next DATA commands, in order: an SMTP
    reply such as "451 4.3.0 try later" or "550 5.7.1 no", or "drop" to close the connection."""

    received: list[Received] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    refusals: int = 0
    lock: Lock = field(default_factory=Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            action = self.plan.pop(0) if self.plan else None
            if action is None:
                self.received.append(
                    Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
                )
                return "250 2.0.0 OK"
            self.refusals += 1
        if action == "drop":
            session.transport.abort()
            return "421 4.4.2 connection dropped"
        return action

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [item for item in self.received if address in item.rcpt_tos]


@contextmanager
def smtp_server() -> Iterator[tuple[Recorder, str]]:
    """A running SMTP server on a free loopback port; yields (recorder, smtp URL)."""
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()
