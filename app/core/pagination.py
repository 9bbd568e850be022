"""Keyset pagination, newest first, with opaque cursors: cost does not depend on page depth."""

import base64
import binascii
import functools
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Integer, Select, bindparam, tuple_
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


def encode_cursor(values: Sequence[Any]) -> str:
    """The one cursor codec: key values as URL-safe base64 of a JSON list (integers as numbers,
    instants as RFC 3339, anything else as its string)."""
    parts = [
        v
        if isinstance(v, int) and not isinstance(v, bool)
        else v.isoformat()
        if isinstance(v, datetime)
        else str(v)
        for v in values
    ]
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# The largest key a database compares: BIGINT (PostgreSQL) and INTEGER (SQLite) are 64-bit signed.
MAX_INTEGER_KEY = 2**63 - 1


def decode_cursor(cursor: str, kinds: Sequence[type], field: str = "query.cursor") -> list[Any]:
    """Key values of the given Python types from a cursor `encode_cursor` made; anything else is a
    422 on `field`. Only values a row could hold get through: nothing reaches the database that it
    would refuse with an error (an instant without a UTC equivalent, an integer past 64 bits, text
    with NUL or with a lone surrogate)."""
    invalid = ValidationFailed(field, "is not a cursor this API issued")
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        parts = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(parts, list) or len(parts) != len(kinds):
        raise invalid
    try:
        return [_decode_part(part, kind) for part, kind in zip(parts, kinds, strict=True)]
    except (ValueError, OverflowError):
        raise invalid from None


def _decode_part(part: object, kind: type) -> Any:
    if kind is int:
        if not isinstance(part, int) or isinstance(part, bool) or not 0 <= part <= MAX_INTEGER_KEY:
            raise ValueError(part)
        return part
    if not isinstance(part, str) or "\x00" in part:
        raise ValueError(part)
    part.encode()  # UnicodeEncodeError (a ValueError) for a lone surrogate
    if kind is datetime:
        value = datetime.fromisoformat(part)
        if value.tzinfo is None:
            raise ValueError(part)
        return value.astimezone(UTC)  # OverflowError where UTC has no such instant
    if kind is uuid.UUID:
        return uuid.UUID(part)
    return part


def _kind(key: InstrumentedAttribute[Any]) -> type:
    """The Python type of a key column, looking through TypeDecorators such as UTCDateTime."""
    column_type = getattr(key.type, "impl_instance", key.type)
    return column_type.python_type  # type: ignore[no-any-return]


def keyset(
    stmt: AnySelect, *keys: InstrumentedAttribute[Any], after: bool, ascending: bool = False
) -> AnySelect:
    """`stmt` as a page of a keyset list ordered by `keys` (newest first unless `ascending`; the
    last key must be unique, e.g. the id), with the cursor and the limit left as bound parameters.

    Build it once per shape (with or without a cursor) where the shape is fixed, and reuse it:
    SQLAlchemy then finds the compiled SQL in its cache without rebuilding the statement. Run it
    with `paginate`.
    """
    if after:
        bounds = tuple_(*(bindparam(f"keyset_after_{i}", type_=key.type) for i, key in enumerate(keys)))
        stmt = stmt.where(tuple_(*keys) > bounds if ascending else tuple_(*keys) < bounds)
    order = [key.asc() if ascending else key.desc() for key in keys]
    return stmt.order_by(*order).limit(bindparam("keyset_limit", type_=Integer))


async def paginate(
    executor: AsyncSession | AsyncConnection,
    stmt: AnySelect,
    params: PageParams,
    *keys: InstrumentedAttribute[Any],
    values: dict[str, Any] | None = None,
    cursor_field: str = "query.cursor",
) -> tuple[list[Any], bool, str | None]:
    """The one paginator: run a `keyset(...)` statement; returns (rows, has_more, next_cursor).

    A statement of one ORM entity gives entities; one of columns gives rows (pass the session's
    connection, `await session.connection()`, to skip the ORM's result machinery they do not need).
    """
    rows, has_more = await fetch_page(executor, stmt, params, *keys, values=values, cursor_field=cursor_field)
    return rows, has_more, cursor_of(rows[-1], keys) if has_more else None


async def fetch_page(
    executor: AsyncSession | AsyncConnection,
    stmt: AnySelect,
    params: PageParams,
    *keys: InstrumentedAttribute[Any],
    values: dict[str, Any] | None = None,
    cursor_field: str = "query.cursor",
) -> tuple[list[Any], bool]:
    """`paginate` without the cursor: (rows, has_more). For a statement whose key columns are read
    raw (not as the keys' Python types): make the cursor with `cursor_of` from the last item once
    it has its keys' types, so it is the one `paginate` would have made."""
    bound = dict(values or {}, keyset_limit=params.limit + 1)
    if params.cursor is not None:
        after = decode_cursor(params.cursor, [_kind(key) for key in keys], cursor_field)
        bound.update({f"keyset_after_{i}": value for i, value in enumerate(after)})
    result = await executor.execute(stmt, bound)
    rows = list(result.scalars() if _selects_one_entity(stmt) else result)
    return rows[: params.limit], len(rows) > params.limit


def cursor_of(row: Any, keys: Sequence[InstrumentedAttribute[Any]]) -> str:
    """The cursor that resumes after `row` (a row or any object with the keys' attributes)."""
    return encode_cursor([getattr(row, key.key) for key in keys])


@functools.lru_cache(maxsize=512)
def _selects_one_entity(stmt: AnySelect) -> bool:
    """Whether `stmt` selects one ORM entity (its rows are entities) or columns. Cached per statement
    object (statements are built once, `keyset`): `column_descriptions` costs about a third of a
    20-row page on SQLite when computed for every request."""
    descriptions = stmt.column_descriptions
    return len(descriptions) == 1 and descriptions[0]["entity"] is descriptions[0]["expr"] is not None
