"""Opaque resource ids: UUIDs in storage, strings on the wire; a malformed id is simply not found."""

import uuid
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema

from app.core.errors import NotFound


def parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise NotFound() from None


def try_parse_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None


_ID_SCHEMA = WithJsonSchema({"type": "string", "examples": ["0b7e1e0c-8a4e-4c1e-9a53-2f1d7c3b9a10"]})

Id = Annotated[uuid.UUID, PlainSerializer(str, return_type=str), _ID_SCHEMA]
# The same JSON as `Id`, written by pydantic-core without a Python call per value, and validated
# (in Rust) from a UUID or its text, e.g. the 32 hex digits SQLite stores: for long lists, whose
# rows can then skip SQLAlchemy's UUID conversion (`type_coerce(column, String)`).
NativeId = Annotated[uuid.UUID, _ID_SCHEMA]
