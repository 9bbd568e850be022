"""Sending: SMTP (aiosmtplib) when INVOICING_SMTP_URL is set, else .eml files in INVOICING_MAIL_DIR.

`smtp://user:pass@host:port` (plain; `?starttls=true` upgrades with STARTTLS), `smtps://…` (TLS
from the first byte). User and password may be percent-encoded. Any refusal (4xx/5xx), timeout or
dropped connection raises, and the worker retries the job.
"""

import asyncio
import os
import re
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from app.core.settings import Settings


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool


def parse_smtp_url(url: str) -> SmtpConfig:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("INVOICING_SMTP_URL must look like smtp://user:pass@host:port or smtps://…")
    implicit_tls = parts.scheme == "smtps"
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["false"])[-1].lower() in ("1", "true", "yes")
    return SmtpConfig(
        host=parts.hostname,
        port=parts.port or (465 if implicit_tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit_tls,
        starttls=starttls and not implicit_tls,
    )


class SmtpMailer:
    def __init__(self, config: SmtpConfig, timeout: float) -> None:
        self.config = config
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        config = self.config
        await aiosmtplib.send(
            message,
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            use_tls=config.implicit_tls,
            start_tls=config.starttls,
            tls_context=ssl.create_default_context() if config.implicit_tls or config.starttls else None,
            timeout=self.timeout,
        )


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class DirectoryMailer:
    """Each message becomes `<Message-ID>.eml`; a retry of the same message overwrites its file."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def path_for(self, message: EmailMessage) -> Path:
        name = _UNSAFE.sub("_", str(message["Message-ID"]).strip("<> ")) or "message"
        return self.directory / f"{name}.eml"

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._write, message)

    def _write(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.path_for(message)
        partial = target.with_suffix(f".eml.{os.getpid()}.tmp")
        partial.write_bytes(message.as_bytes(policy=SMTP))
        partial.replace(target)  # atomic: a reader never sees half a message


def mailer_from_settings(settings: Settings) -> Mailer:
    if settings.smtp_url:
        return SmtpMailer(parse_smtp_url(settings.smtp_url), settings.smtp_timeout_seconds)
    return DirectoryMailer(settings.mail_dir)
