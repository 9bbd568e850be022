"""The key lookup `app/core/auth.KeyResolver` is given: a live key's role and account by its digest."""

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import ApiKey
from app.core.auth import AuthContext, Role

_KEY_BY_HASH = select(ApiKey.id, ApiKey.role, ApiKey.account_id, ApiKey.name).where(
    ApiKey.key_hash == bindparam("digest"), ApiKey.revoked_at.is_(None)
)


async def find_key(session: AsyncSession, digest: str) -> AuthContext | None:
    row = (await session.execute(_KEY_BY_HASH, {"digest": digest})).one_or_none()
    if row is None:
        return None
    return AuthContext(key_id=row.id, role=Role(row.role), account_id=row.account_id, name=row.name)
