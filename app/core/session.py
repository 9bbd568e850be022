"""The request's database session, opened and committed by TransactionMiddleware (app/core/middleware.py)."""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession


async def get_session(request: Request) -> AsyncSession:
    session = request.scope.get("state", {}).get("db_session")
    if not isinstance(session, AsyncSession):
        raise RuntimeError("TransactionMiddleware is not installed")
    return session


Session = Annotated[AsyncSession, Depends(get_session)]
