"""The request's database session, opened on first use and committed by TransactionMiddleware
(app/core/middleware/transaction.py)."""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.request_state import request_state


async def get_session(request: Request) -> AsyncSession:
    lazy = request_state(request.scope).session
    if lazy is None:
        raise RuntimeError("TransactionMiddleware is not installed")
    return await lazy.get()


Session = Annotated[AsyncSession, Depends(get_session)]
