"""Account rules: creation, cash balance, key issuance, listing and revocation."""

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account, ApiKey
from app.core.auth import NewKey, Role, generate_key, hash_key
from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams, keyset, paginate


class DuplicateExternalId(Conflict):
    code = "duplicate_external_id"
    detail = "An account with this external_id already exists."


@dataclass(frozen=True, slots=True)
class IssuedKey:
    record: ApiKey
    key: str


async def create_account(session: AsyncSession, name: str, external_id: str | None) -> Account:
    account = Account(name=name, external_id=external_id, cash_balance=0, invoice_deficit=0)
    try:
        async with session.begin_nested():
            session.add(account)
            await session.flush()
    except IntegrityError:
        raise DuplicateExternalId() from None
    return account


async def lock_account(session: AsyncSession, account_id: uuid.UUID) -> bool:
    """Lock the account's row for this transaction (changes per account are serialized on it;
    SQLite already holds the write lock). False when there is no such account."""
    locked = await session.execute(select(Account.id).where(Account.id == account_id).with_for_update())
    return locked.scalar_one_or_none() is not None


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound("No such account.")
    return account


async def set_cash_balance(session: AsyncSession, account_id: uuid.UUID, cash_balance: int) -> Account:
    account = await get_account(session, account_id)
    account.cash_balance = cash_balance
    await session.flush()
    return account


async def issue_key(
    session: AsyncSession, role: Role, account_id: uuid.UUID | None, name: str | None = None
) -> IssuedKey:
    """Create a key; customer keys are bound to an existing account, staff keys to none. A staff
    key may name its operator (`name`), whom every move made with it names on the timeline."""
    if role is Role.customer:
        if account_id is None:
            raise ValueError("customer keys need an account")
        if name is not None:
            raise ValueError("customer keys are named by their account, not by --name")
        await get_account(session, account_id)
    elif account_id is not None:
        raise ValueError("billing and finance keys are not bound to an account")
    new: NewKey = generate_key()
    record = ApiKey(
        role=role.value, account_id=account_id, prefix=new.prefix, key_hash=new.key_hash, name=name
    )
    session.add(record)
    await session.flush()
    return IssuedKey(record=record, key=new.key)


_KEY_ORDER = (ApiKey.created_at, ApiKey.id)
# An account's keys, newest first, without and with a cursor.
_ACCOUNT_KEYS = {
    after: keyset(
        select(ApiKey).where(ApiKey.account_id == bindparam("account_id")), *_KEY_ORDER, after=after
    )
    for after in (False, True)
}


async def list_keys(
    session: AsyncSession, account_id: uuid.UUID, params: PageParams
) -> tuple[list[ApiKey], bool, str | None]:
    await get_account(session, account_id)
    stmt = _ACCOUNT_KEYS[params.cursor is not None]
    return await paginate(session, stmt, params, *_KEY_ORDER, values={"account_id": account_id})


async def revoke_key(session: AsyncSession, account_id: uuid.UUID, key_id: uuid.UUID) -> None:
    """Revoke one of the account's keys; revoking a revoked key changes nothing (not even when)."""
    result = await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.account_id == account_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return
    found = select(ApiKey.id).where(ApiKey.id == key_id, ApiKey.account_id == account_id)
    if (await session.execute(found)).first() is None:
        raise NotFound("No such API key for this account.")


class NoSuchKey(NotFound):
    detail = "No API key has this prefix."


class AmbiguousPrefix(Conflict):
    code = "ambiguous_prefix"
    detail = "Several valid API keys have this prefix."


@dataclass(frozen=True, slots=True)
class Revoked:
    key: ApiKey
    already: bool  # it had been revoked before


async def revoke_by_prefix(session: AsyncSession, prefix: str) -> Revoked:
    """Revoke the one key whose prefix is `prefix` (or which is `prefix`, given a whole key), of any
    role. A prefix shared by several keys revokes the only one still valid, or none."""
    keys = list(
        (
            await session.execute(
                select(ApiKey)
                .where(or_(ApiKey.prefix == prefix, ApiKey.key_hash == hash_key(prefix)))
                .order_by(ApiKey.created_at, ApiKey.id)
            )
        ).scalars()
    )
    if not keys:
        raise NoSuchKey(f"No API key has the prefix {prefix!r}.")
    valid = [key for key in keys if key.revoked_at is None]
    if len(valid) > 1:
        ids = ", ".join(f"{key.id} ({key.role})" for key in valid)
        raise AmbiguousPrefix(
            f"{len(valid)} valid API keys have the prefix {prefix!r}: {ids}. Give the whole key instead."
        )
    if not valid:
        return Revoked(key=keys[-1], already=True)
    key = valid[0]
    key.revoked_at = utcnow()
    await session.flush()
    return Revoked(key=key, already=False)
