"""Idempotency-Key: claim a key before the work, store the response with the work's commit.

The claim is its own short committed transaction, so a second request with the same key sees
it at once and is told 409 `idempotency_key_in_progress`. The response is written in the same
transaction as the work it reports: either both are durable or neither is. A claim left by a
crashed worker is retaken once `idempotency_lock_seconds` have passed.

Only final answers are kept (`is_final`): a 429, a 503 or any 5xx releases the claim, so a retry
with the same key runs again. A replay carries the first response's status, body and the headers
that matter to the caller (`KEPT_HEADERS`), plus `Idempotent-Replayed: true`.

A response that carries a secret shown once (a new API key) is never stored: its record keeps the
status and headers with no body (`response_body` NULL), and a replay is refused with 409
`idempotency_key_secret_not_replayable` (`Withheld`), so a secret exists only as its hash.
"""

import hashlib
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.database import Database
from app.core.errors import Conflict, ValidationFailed
from app.core.idempotency_models import IdempotencyKey

MAX_KEY_LENGTH = 255
# 1-255 printable ASCII characters, no space at either end (HTTP would strip it): the documented
# header schema and the check are this one pattern.
KEY_PATTERN = r"^[!-~](?:[ -~]{0,253}[!-~])?$"
_KEY = re.compile(KEY_PATTERN)


def is_valid_key(key: str) -> bool:
    return _KEY.fullmatch(key) is not None


class InvalidKey(ValidationFailed):
    def __init__(self) -> None:
        super().__init__("header.Idempotency-Key", "must be 1-255 printable ASCII characters")


class KeyReused(ValidationFailed):
    code = "idempotency_key_reused"
    detail = "This Idempotency-Key was used with a different request."

    def __init__(self) -> None:
        super().__init__("header.Idempotency-Key", "was used with a different request", self.detail)


class KeyInProgress(Conflict):
    code = "idempotency_key_in_progress"
    detail = "A request with this Idempotency-Key is still being processed."


class SecretNotReplayable(Conflict):
    code = "idempotency_key_secret_not_replayable"
    detail = (
        "The request with this Idempotency-Key succeeded, but its response carried a secret that is "
        "shown only once and never stored, so it cannot be replayed; list the resources to find what "
        "was created (and revoke it if the secret was lost)."
    )


# Response headers a replay repeats (lower case, as ASGI carries them).
KEPT_HEADERS = frozenset({"content-type", "location", "retry-after"})


def is_final(status: int) -> bool:
    """Whether a response is the answer to the request, not to the moment: 429 and 5xx are not."""
    return status != 429 and status < 500


def kept_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[list[str]]:
    return [
        [name.decode("latin-1").lower(), value.decode("latin-1")]
        for name, value in headers
        if name.decode("latin-1").lower() in KEPT_HEADERS
    ]


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Claimed:
    record_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Replay:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True, slots=True)
class Withheld:
    """The first answer carried a secret, which was not kept (only its status is)."""

    status: int


@dataclass(frozen=True, slots=True)
class Refused:
    code: str  # idempotency_key_reused | idempotency_key_in_progress


Outcome = Claimed | Replay | Withheld | Refused


async def claim(
    database: Database,
    api_key_id: uuid.UUID,
    key: str,
    print_: str,
    *,
    ttl_seconds: int,
    lock_seconds: int,
) -> Outcome:
    now = utcnow()
    record_id = uuid.uuid4()
    for _attempt in range(3):
        async with database.write_session() as session, session.begin():
            try:
                async with session.begin_nested():
                    await session.execute(
                        insert(IdempotencyKey).values(
                            id=record_id,
                            api_key_id=api_key_id,
                            key=key,
                            fingerprint=print_,
                            status="in_progress",
                            created_at=now,
                            locked_at=now,
                            expires_at=now + timedelta(seconds=ttl_seconds),
                        )
                    )
                return Claimed(record_id)
            except IntegrityError:
                pass
            row = (
                await session.execute(
                    select(IdempotencyKey).where(
                        IdempotencyKey.api_key_id == api_key_id, IdempotencyKey.key == key
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                continue  # deleted between our insert and select: try again
            if row.expires_at <= now:
                await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row.id))
                continue
            if row.fingerprint != print_:
                return Refused("idempotency_key_reused")
            if row.status == "completed" and row.response_status is not None:
                if row.response_body is None:
                    return Withheld(row.response_status)
                headers = [(str(name), str(value)) for name, value in row.response_headers or []]
                return Replay(row.response_status, headers, (row.response_body or "").encode())
            if row.locked_at > now - timedelta(seconds=lock_seconds):
                return Refused("idempotency_key_in_progress")
            # A stale claim from a worker that died: take it over if nobody else did.
            taken = await session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.id == row.id, IdempotencyKey.locked_at == row.locked_at)
                .values(locked_at=now)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return Claimed(row.id)
            return Refused("idempotency_key_in_progress")
    return Refused("idempotency_key_in_progress")


async def complete(
    session: AsyncSession,
    record_id: uuid.UUID,
    status: int,
    headers: Iterable[tuple[bytes, bytes]],
    body: bytes | None,
) -> None:
    """Record a final response inside the caller's transaction (the work's, for a 2xx); `body` None
    for a response that carried a secret (a replay is then refused, see `Withheld`)."""
    assert is_final(status), f"{status} is not a final answer"
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == record_id)
        .values(
            status="completed",
            response_status=status,
            response_headers=kept_headers(headers),
            response_body=None if body is None else body.decode("utf-8"),
        )
    )


async def release(database: Database, record_id: uuid.UUID) -> None:
    """Forget a claim whose work failed or had no final answer, so a retry with the key runs again."""
    async with database.write_session() as session, session.begin():
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.id == record_id, IdempotencyKey.status == "in_progress"
            )
        )
