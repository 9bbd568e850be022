"""Account rules: creation, cash balance, key issuance."""

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account, ApiKey
from app.certification.models import Certification
from app.core.auth import NewKey, Role, generate_key
from app.core.errors import Conflict, NotFound


class DuplicateExternalId(Conflict):
    code = "duplicate_external_id"
    detail = "An account with this external_id already exists."


@dataclass(frozen=True, slots=True)
class IssuedKey:
    record: ApiKey
    key: str


async def create_account(session: AsyncSession, name: str, external_id: str | None) -> Account:
    account = Account(name=name, external_id=external_id, cash_balance=0)
    try:
        async with session.begin_nested():
            session.add(account)
            await session.flush()
    except IntegrityError:
        raise DuplicateExternalId() from None
    return account


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


async def issue_key(session: AsyncSession, role: Role, account_id: uuid.UUID | None) -> IssuedKey:
    """Create a key; customer keys are bound to an existing account, staff keys to none."""
    if role is Role.customer:
        if account_id is None:
            raise ValueError("customer keys need an account")
        await get_account(session, account_id)
    elif account_id is not None:
        raise ValueError("billing and finance keys are not bound to an account")
    new: NewKey = generate_key()
    record = ApiKey(role=role.value, account_id=account_id, prefix=new.prefix, key_hash=new.key_hash)
    session.add(record)
    await session.flush()
    return IssuedKey(record=record, key=new.key)


async def my_account(session: AsyncSession, account_id: uuid.UUID) -> tuple[Account, bool]:
    account = await get_account(session, account_id)
    certified = (
        await session.execute(select(Certification.account_id).where(Certification.account_id == account_id))
    ).first() is not None
    return account, certified
