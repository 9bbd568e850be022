"""The request's database session, opened on first use and committed by TransactionMiddleware
(app/core/middleware.py)."""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import LazySession


async def get_session(request: Request) -> AsyncSession:
    lazy = request.scope.get("state", {}).get("db")
    if not isinstance(lazy, LazySession):
        raise RuntimeError("TransactionMiddleware is not installed")
    return await lazy.get()


Session = Annotated[AsyncSession, Depends(get_session)]
