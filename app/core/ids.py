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


Id = Annotated[
    uuid.UUID,
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["0b7e1e0c-8a4e-4c1e-9a53-2f1d7c3b9a10"]}),
]
