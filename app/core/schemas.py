"""Base classes for request and response models."""

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

# C0 controls other than tab/newline, DEL, C1 controls, invisible and bidirectional formatting
# characters (zero-width spaces and joiners, direction marks, embeddings, overrides and isolates, the
# BOM), and lone surrogates: never stored, so no name can hide or reorder text. The same set (less
# the surrogates, which no JSON Schema regex can name) is FORBIDDEN_CLASS in the documented patterns.
FORBIDDEN_CLASS = (
    r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    r"\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
)
_FORBIDDEN_CHARACTERS = re.compile(f"[{FORBIDDEN_CLASS}\ud800-\udfff]")


def _has_forbidden(value: Any) -> bool:
    if isinstance(value, str):
        return _FORBIDDEN_CHARACTERS.search(value) is not None
    if isinstance(value, list):
        return any(_has_forbidden(item) for item in value)
    return False


class RequestModel(BaseModel):
    """Request bodies: unknown fields are refused and types are never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True)

    # Before any other validation, so a forbidden character is refused wherever it stands (even
    # where trimming would have dropped it).
    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if _has_forbidden(value):
            raise ValueError("must not contain control or invisible formatting characters")
        return value


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
