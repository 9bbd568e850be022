"""A real SMTP server (aiosmtpd) for tests: records what it accepts, or refuses on request."""

import asyncio
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
    """aiosmtpd handler. `plans[address]` holds what to do with the next messages to `address`, in
    order: an SMTP reply such as "451 4.3.0 try later" or "550 5.7.1 no", or "drop" to close the
    connection without an answer. Every message offered is kept in `offered`, accepted or not."""

    received: list[Received] = field(default_factory=list)
    offered: list[Received] = field(default_factory=list)
    plans: dict[str, list[str]] = field(default_factory=dict)
    delay: float = 0.0  # seconds each message takes to accept (a slow server)
    lock: Lock = field(default_factory=Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        item = Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        with self.lock:
            self.offered.append(item)
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            plan = next((self.plans[rcpt] for rcpt in item.rcpt_tos if self.plans.get(rcpt)), None)
            action = plan.pop(0) if plan else None
            if action is None:
                self.received.append(item)
                return "250 2.0.0 OK"
        if action == "drop":
            server.transport.abort()
            return "421 4.4.2 connection dropped"
        return action

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [item for item in self.received if address in item.rcpt_tos]

    def offered_to(self, address: str) -> list[Received]:
        with self.lock:
            return [item for item in self.offered if address in item.rcpt_tos]


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
