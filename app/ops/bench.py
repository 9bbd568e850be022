"""Benchmark floors, mounted only with INVOICING_BENCH_ROUTES=true (see bench/ and docs/PERFORMANCE.md).

F0 is what the framework and our middleware cost with no auth and no database; F1 adds what every
real endpoint pays at least: the API-key check and one primary-key read through the same engine.
"""

from fastapi import APIRouter
from sqlalchemy import bindparam, select

from app.accounts.models import Account
from app.core.dependencies import Customer
from app.core.errors import NotFound
from app.core.ids import Id
from app.core.money import MoneyOut
from app.core.schemas import ResponseModel
from app.core.session import Session

router = APIRouter(prefix="/bench", tags=["operations"], include_in_schema=False)


# Built once, like every hot statement in the service: only the bound id varies.
_ACCOUNT_BY_ID = select(Account.id, Account.cash_balance).where(Account.id == bindparam("account_id"))


class NoopOut(ResponseModel):
    ok: bool


class AccountRowOut(ResponseModel):
    id: Id
    cash_balance: MoneyOut


@router.get("/f0", response_model=NoopOut, operation_id="bench-f0", summary="Floor F0: no auth, no database")
async def floor_f0() -> NoopOut:
    return NoopOut(ok=True)


@router.get(
    "/f1",
    response_model=AccountRowOut,
    operation_id="bench-f1",
    summary="Floor F1: authenticate, then read one row by primary key",
)
async def floor_f1(session: Session, auth: Customer) -> AccountRowOut:
    connection = await session.connection()  # plain columns: no ORM result machinery
    row = (await connection.execute(_ACCOUNT_BY_ID, {"account_id": auth.customer_account_id})).one_or_none()
    if row is None:
        raise NotFound("No such account.")
    return AccountRowOut(id=row.id, cash_balance=row.cash_balance)
