"""UTC time: aware datetimes inside, RFC 3339 with `Z` in JSON."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, Strict, WithJsonSchema


def utcnow() -> datetime:
    return datetime.now(UTC)


def format_datetime(value: datetime) -> str:
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


def _require_text(value: object) -> object:
    """JSON carries timestamps as RFC 3339 strings; numbers (Unix times) and other types are refused."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("must be an RFC 3339 date-time string, e.g. 2026-01-31T08:00:00Z")
    return value


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must include a time zone, e.g. 2026-01-31T08:00:00Z")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 has no UTC equivalent
        raise ValueError("is out of range") from None


Timestamp = Annotated[
    datetime,
    PlainSerializer(format_datetime, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-01-31T08:00:00Z"]}),
]
# Request models are strict, and FastAPI validates the decoded JSON (not the raw text), so strict
# datetime parsing would refuse every string: parse leniently, but only from a string.
TimestampIn = Annotated[
    datetime,
    BeforeValidator(_require_text),
    Strict(False),
    AfterValidator(_require_aware),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-01-31T08:00:00Z"]}),
]
