"""Reading the customer's own account: the account row and whether its enterprise is certified."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import get_account
from app.certification.service import get_certification
from app.my_account.schemas import MyAccountOut


async def my_account(session: AsyncSession, account_id: uuid.UUID) -> MyAccountOut:
    account = await get_account(session, account_id)
    certified = await get_certification(session, account_id) is not None
    return MyAccountOut(
        id=account.id,
        name=account.name,
        cash_balance=account.cash_balance,
        certification_status="certified" if certified else "uncertified",
        invoice_deficit=account.invoice_deficit,
    )
