"""Enqueue an email in the caller's transaction; the worker renders and sends it (at least once).

    await enqueue_mail(session, "request_rejected", [snapshot["email"]], {"request_id": ..., ...})

The template (app/mail/templates.py) is rendered by the worker from `context`, a JSON object the
caller captures now, so the message says what was true when it was enqueued. The Message-ID is
fixed now too, so every try sends the same message (a mailbox can tell a repeat).
"""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.mail.templates import TEMPLATES
from app.worker.queue import enqueue

MAIL_JOB = "mail"


def mail_payload(
    template: str, to: Sequence[str], context: Mapping[str, Any], cc: Sequence[str] = ()
) -> dict[str, Any]:
    if template not in TEMPLATES:
        raise ValueError(f"no mail template named {template}")
    if not to:
        raise ValueError("a mail needs at least one recipient")
    return {
        "template": template,
        "to": list(to),
        "cc": [address for address in dict.fromkeys(cc) if address not in to],
        "context": dict(context),
        # The Message-ID is <token@sender's domain>: the same for every try of this message.
        "message_token": uuid.uuid4().hex,
    }


async def enqueue_mail(
    session: AsyncSession,
    template: str,
    to: Sequence[str],
    context: Mapping[str, Any],
    *,
    cc: Sequence[str] = (),
) -> int:
    """Write a mail job in the caller's transaction; returns the job id."""
    job_id = await enqueue(session, MAIL_JOB, mail_payload(template, to, context, cc))
    assert job_id is not None
    return job_id


def message_id(payload: Mapping[str, Any], mail_from: str) -> str:
    from app.mail.message import sender_domain

    return f"<{payload['message_token']}@{sender_domain(mail_from)}>"
