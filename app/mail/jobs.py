"""The `mail` job kind: render the template, build the message, send it."""

from collections.abc import Sequence

from app.mail.message import Attachment, build_message
from app.mail.service import MAIL_JOB, message_id
from app.mail.templates import render
from app.mail.transport import Mailer
from app.worker.registry import JobContext, registry


def mailer(ctx: JobContext) -> Mailer:
    service = ctx.services["mailer"]
    return service  # type: ignore[no-any-return]


async def send_payload(ctx: JobContext, attachments: Sequence[Attachment] = ()) -> None:
    """Send the message a mail payload describes (also used by jobs that add attachments)."""
    payload = ctx.payload
    message = build_message(
        mail_from=ctx.settings.mail_from,
        to=payload["to"],
        cc=payload.get("cc", []),
        rendered=render(payload["template"], payload["context"]),
        message_id=message_id(payload, ctx.settings.mail_from),
        attachments=attachments,
    )
    await mailer(ctx).send(message)


@registry.job(MAIL_JOB)
async def send_mail(ctx: JobContext) -> None:
    await send_payload(ctx)
