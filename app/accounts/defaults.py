"""One default per account (invoice profiles, mailing addresses).

Changes are serialized on the account row (SQLite already holds the write lock); a partial
unique index on (account_id) WHERE is_default AND deleted_at IS NULL backs the rule in storage.
"""

import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import lock_account
from app.core.clock import utcnow
from app.core.errors import Conflict


class DefaultConflict(Conflict):
    code = "conflict"
    detail = "Another default was set at the same time; retry."


async def make_default(session: AsyncSession, model: Any, account_id: uuid.UUID, keep: uuid.UUID) -> None:
    """Clear the account's other default of `model`, so that `keep` may become it.

    `model` is a mapped class with `id`, `account_id`, `is_default`, `updated_at` and `deleted_at`
    (InvoiceProfile, MailingAddress); typed loosely because a Protocol cannot describe
    SQLAlchemy's class-level column attributes.
    """
    await lock_account(session, account_id)
    await session.execute(
        update(model)
        .where(
            model.account_id == account_id,
            model.is_default.is_(True),
            model.deleted_at.is_(None),
            model.id != keep,
        )
        .values(is_default=False, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def flush_guarding_default(session: AsyncSession) -> None:
    """Flush; a default set concurrently despite the lock surfaces as 409, not 500."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise DefaultConflict() from None
