"""Base classes for request and response models."""

from pydantic import BaseModel, ConfigDict


class RequestModel(BaseModel):
    """Request bodies: unknown fields are refused and types are never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=False)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
