"""Bulk status moves of the finance desk: each id moved (or refused) in a transaction of its own.

One failure does not undo the others: every id gets the single move's own service function
(app/requests/lifecycle.py), in a write session of its own, committed before the next id. Refusals
are reported per id with the code the single move would answer. A database that stops answering
midway ends the whole call (503): the ids before it stay moved, and a retry reports them as
`invalid_transition` with their new status.
"""

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import AuthContext
from app.core.errors import DomainError, ValidationFailed
from app.core.ids import try_parse_id
from app.requests import issuing, lifecycle
from app.requests.schemas import InvoiceRequestOut

BulkMove = Literal["start", "issue", "reject"]
WriteSessionOpener = Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def bulk_move(
    open_session: WriteSessionOpener,
    auth: AuthContext,
    move: BulkMove,
    ids: Sequence[str],
    reason: str | None,
    *,
    platform: str = "manual",
) -> list[dict[str, Any]]:
    """`move` on each of `ids` in order; one result per id ({id, ok, code, status}). `issue` is
    through the tax platform `platform` (app/requests/issuing.py)."""
    if move == "reject" and reason is None:
        raise ValidationFailed("body.reason", "is required to reject")
    results: list[dict[str, Any]] = []
    for given in ids:
        request_id = try_parse_id(given)
        if request_id is None:  # no request has such an id: as the single move answers
            results.append({"id": given, "ok": False, "code": "not_found", "status": None})
            continue
        try:
            async with open_session() as session:
                try:
                    out = await _one(session, auth, move, request_id, reason, platform)
                    await session.commit()
                except BaseException:
                    await session.rollback()
                    raise
        except DomainError as refusal:
            current = refusal.extra.get("current_status")
            results.append({"id": given, "ok": False, "code": refusal.code, "status": current})
            continue
        results.append({"id": given, "ok": True, "code": None, "status": out.status})
    return results


async def _one(
    session: AsyncSession,
    auth: AuthContext,
    move: BulkMove,
    request_id: uuid.UUID,
    reason: str | None,
    platform: str,
) -> InvoiceRequestOut:
    if move == "start":
        return await lifecycle.start(session, auth, request_id)
    if move == "issue":
        return await issuing.submit(session, auth, request_id, platform=platform)
    assert reason is not None
    return await lifecycle.reject(session, auth, request_id, reason)
