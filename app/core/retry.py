"""Running a transaction's work once more when PostgreSQL ended it to break a deadlock or a
serialization conflict, instead of answering 503 `database_unavailable`."""

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import describe

logger = logging.getLogger("invoicing.database")

# deadlock_detected, serialization_failure: the transaction was rolled back, a fresh one may pass.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})

P = ParamSpec("P")
T = TypeVar("T")


def is_retryable(error: BaseException) -> bool:
    """Whether the database rolled the transaction back only because of other transactions."""
    if not isinstance(error, sa_exc.DBAPIError) or error.connection_invalidated:
        return False
    return getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def retry_conflict_once(
    work: Callable[Concatenate[AsyncSession, P], Awaitable[T]],
) -> Callable[Concatenate[AsyncSession, P], Awaitable[T]]:
    """Wrap a service function that is the whole of its session's transaction (its first argument):
    on a deadlock or a serialization failure the transaction is rolled back and the work runs once
    more from the start, in a new transaction; a second failure propagates (503). Only work that
    writes nothing before it (a status move, whose first statement locks the account) may be
    wrapped: the rollback forgets the whole transaction."""

    async def retried(session: AsyncSession, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await work(session, *args, **kwargs)
        except sa_exc.DBAPIError as error:
            if not is_retryable(error):
                raise
            logger.warning(
                "transaction retried after a conflict",
                extra={"work": work.__qualname__, "error": describe(error)},
            )
            await session.rollback()
        return await work(session, *args, **kwargs)

    functools.update_wrapper(retried, work)
    return retried
