"""Keyset pagination, newest first, with opaque cursors: cost does not depend on page depth."""

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Integer, Select, bindparam, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.errors import ValidationFailed

T = TypeVar("T")
AnySelect = Select[*tuple[Any, ...]]  # a select of any columns
Row = TypeVar("Row")


class Page(BaseModel, Generic[T]):
    data: list[T]
    has_more: bool
    next_cursor: str | None = Field(description="Pass back as `cursor` for the next page; null at the end")


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    cursor: Annotated[
        str | None,
        Query(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$", description="From `next_cursor`"),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


Pagination = Annotated[PageParams, Depends(page_params)]


def _encode(values: Sequence[Any]) -> str:
    parts = [v.isoformat() if isinstance(v, datetime) else str(v) for v in values]
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(cursor: str, kinds: Sequence[type]) -> list[Any]:
    invalid = ValidationFailed("query.cursor", "is not a cursor this API issued")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(parts, list) or len(parts) != len(kinds) or not all(isinstance(p, str) for p in parts):
        raise invalid
    values: list[Any] = []
    try:
        for part, kind in zip(parts, kinds, strict=True):
            if kind is datetime:
                value = datetime.fromisoformat(part)
                if value.tzinfo is None:
                    raise ValueError(part)
                values.append(value)
            elif kind is uuid.UUID:
                values.append(uuid.UUID(part))
            else:
                values.append(part)
    except ValueError:
        raise invalid from None
    return values


def _kind(key: InstrumentedAttribute[Any]) -> type:
    """The Python type of a key column, looking through TypeDecorators such as UTCDateTime."""
    column_type = getattr(key.type, "impl_instance", key.type)
    return column_type.python_type  # type: ignore[no-any-return]


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    params: PageParams,
    *keys: InstrumentedAttribute[Any],
) -> tuple[list[Any], bool, str | None]:
    """Run `stmt` ordered by `keys` descending (the last key must be unique, e.g. the id).

    Returns (rows, has_more, next_cursor). `stmt` selects ORM entities or rows that have the
    key attributes by name.
    """
    result = await session.execute(_keyset(stmt, params, keys))
    return _page(list(result.scalars().all()), params, keys)


def keyset(stmt: AnySelect, *keys: InstrumentedAttribute[Any], after: bool) -> AnySelect:
    """`stmt` as a page of a keyset list, with the cursor and the limit left as bound parameters.

    Build it once per shape (with or without a cursor) and reuse it: SQLAlchemy then finds the
    compiled SQL in its cache without rebuilding or re-keying the statement on every request.
    Run it with `run_keyset`.
    """
    if after:
        bounds = [bindparam(f"keyset_after_{i}", type_=key.type) for i, key in enumerate(keys)]
        stmt = stmt.where(tuple_(*keys) < tuple_(*bounds))
    return stmt.order_by(*(key.desc() for key in keys)).limit(bindparam("keyset_limit", type_=Integer))


async def run_keyset(
    session: AsyncSession | AsyncConnection,
    stmt: AnySelect,
    params: PageParams,
    values: dict[str, Any],
    *keys: InstrumentedAttribute[Any],
) -> tuple[list[Any], bool, str | None]:
    """Run a `keyset(...)` statement of plain columns; returns (rows, has_more, next_cursor).

    Pass the session's connection (`await session.connection()`) to skip the ORM's result
    machinery, which plain columns do not need.
    """
    bound = dict(values, keyset_limit=params.limit + 1)
    if params.cursor is not None:
        after = _decode(params.cursor, [_kind(k) for k in keys])
        bound.update({f"keyset_after_{i}": value for i, value in enumerate(after)})
    result = await session.execute(stmt, bound)
    return _page(list(result.all()), params, keys)


def _keyset(stmt: Select[Any], params: PageParams, keys: Sequence[InstrumentedAttribute[Any]]) -> Select[Any]:
    if params.cursor is not None:
        after = _decode(params.cursor, [_kind(k) for k in keys])
        # Bind with the columns' own types so e.g. UTCDateTime stores-as-compares on SQLite.
        bounds = [literal(value, k.type) for value, k in zip(after, keys, strict=True)]
        stmt = stmt.where(tuple_(*keys) < tuple_(*bounds))
    return stmt.order_by(*(k.desc() for k in keys)).limit(params.limit + 1)


def _page(
    rows: list[Any], params: PageParams, keys: Sequence[InstrumentedAttribute[Any]]
) -> tuple[list[Any], bool, str | None]:
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    next_cursor = _encode([getattr(rows[-1], k.key) for k in keys]) if has_more and rows else None
    return rows, has_more, next_cursor
