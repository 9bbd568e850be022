"""Reading the customer's own account: the account row and whether its enterprise is certified.

One statement (the account's columns and whether a certification row exists), plain columns on the
session's connection: no ORM objects, one round trip (docs/PERFORMANCE.md, issue 24).
"""

import uuid

from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.certification.models import Certification
from app.core.errors import NotFound
from app.my_account.schemas import MyAccountOut

_MINE = select(  # built once: only the account id varies
    Account.id,
    Account.name,
    Account.cash_balance,
    Account.invoice_deficit,
    exists().where(Certification.account_id == Account.id).label("certified"),
).where(Account.id == bindparam("account_id"))


async def my_account(session: AsyncSession, account_id: uuid.UUID) -> MyAccountOut:
    connection = await session.connection()
    row = (await connection.execute(_MINE, {"account_id": account_id})).one_or_none()
    if row is None:
        raise NotFound("No such account.")
    return MyAccountOut(
        id=row.id,
        name=row.name,
        cash_balance=row.cash_balance,
        certification_status="certified" if row.certified else "uncertified",
        invoice_deficit=row.invoice_deficit,
    )
