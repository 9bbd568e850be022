"""Idempotency-Key: claim a key before the work, store the response with the work's commit.

The claim is its own short committed transaction, so a second request with the same key sees
it at once and is told 409 `idempotency_key_in_progress`. The response is written in the same
transaction as the work it reports: either both are durable or neither is. A claim left by a
crashed worker is retaken once `idempotency_lock_seconds` have passed.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import utcnow
from app.core.idempotency_models import IdempotencyKey

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255


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
    body: bytes


@dataclass(frozen=True, slots=True)
class Refused:
    code: str  # idempotency_key_reused | idempotency_key_in_progress


Outcome = Claimed | Replay | Refused


async def claim(
    sessionmaker: async_sessionmaker[AsyncSession],
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
        async with sessionmaker() as session, session.begin():
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
                return Replay(row.response_status, (row.response_body or "").encode())
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


async def complete(session: AsyncSession, record_id: uuid.UUID, status: int, body: bytes) -> None:
    """Record the response inside the caller's (the work's) transaction."""
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == record_id)
        .values(status="completed", response_status=status, response_body=body.decode("utf-8"))
    )


async def release(sessionmaker: async_sessionmaker[AsyncSession], record_id: uuid.UUID) -> None:
    """Forget a claim whose work failed, so the client may retry with the same key."""
    async with sessionmaker() as session, session.begin():
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.id == record_id, IdempotencyKey.status == "in_progress"
            )
        )


async def purge_expired(session: AsyncSession) -> int:
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= utcnow()))
    return int(result.rowcount)  # type: ignore[attr-defined]
