"""Base classes for request and response models."""

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

# C0 controls other than tab/newline, DEL, C1 controls, and lone surrogates: never stored.
_FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class RequestModel(BaseModel):
    """Request bodies: unknown fields are refused and types are never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and _FORBIDDEN_CHARACTERS.search(value):
            raise ValueError("must not contain control characters")
        return value


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
