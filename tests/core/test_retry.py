"""`retry_conflict_once`: a deadlock or serialization failure rolls the transaction back and runs the
work once more; anything else, or a second conflict, propagates."""

from typing import Any

import pytest
from sqlalchemy import exc as sa_exc

from app.core.retry import is_retryable, retry_conflict_once


class _DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _error(sqlstate: str) -> sa_exc.DBAPIError:
    return sa_exc.OperationalError("UPDATE invoice_request …", {}, _DriverError(sqlstate))


class _Session:
    def __init__(self) -> None:
        self.rollbacks = 0

    async def rollback(self) -> None:
        self.rollbacks += 1


def _work(failures: list[str]) -> Any:
    calls: list[int] = []

    @retry_conflict_once
    async def work(session: Any, value: int) -> int:
        calls.append(value)
        if failures:
            raise _error(failures.pop(0))
        return value * 2

    return work, calls


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
async def test_a_deadlock_or_serialization_failure_is_retried_once_in_a_new_transaction(
    sqlstate: str,
) -> None:
    session = _Session()
    work, calls = _work([sqlstate])
    assert await work(session, 21) == 42
    assert calls == [21, 21]
    assert session.rollbacks == 1


async def test_a_second_conflict_propagates() -> None:
    session = _Session()
    work, calls = _work(["40P01", "40P01"])
    with pytest.raises(sa_exc.OperationalError):
        await work(session, 1)
    assert calls == [1, 1]


async def test_other_errors_are_not_retried() -> None:
    session = _Session()
    work, calls = _work(["57P01"])  # admin_shutdown: the database is unavailable, answered 503
    with pytest.raises(sa_exc.OperationalError):
        await work(session, 1)
    assert calls == [1]
    assert session.rollbacks == 0
    assert not is_retryable(ValueError("not a database error"))
