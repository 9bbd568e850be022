"""UTC time: aware datetimes inside, RFC 3339 with `Z` in JSON."""

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, Strict, WithJsonSchema


def utcnow() -> datetime:
    return datetime.now(UTC)


def format_datetime(value: datetime) -> str:
    value = value.astimezone(UTC)
    # Not strftime: "%Y" drops the leading zeros of years before 1000 (RFC 3339 needs four digits).
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


# RFC 3339 section 5.6 date-time, the JSON Schema `date-time` format: Pydantic alone would also take
# Unix times ("1700000000"), dates without a time, and offsets without a colon.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _require_text(value: object) -> object:
    """JSON carries timestamps as RFC 3339 strings; numbers (Unix times) and other types are refused."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 date-time string, e.g. 2026-01-31T08:00:00Z")
    return value


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must include a time zone, e.g. 2026-01-31T08:00:00Z")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 has no UTC equivalent
        raise ValueError("is out of range") from None


_TIMESTAMP_SCHEMA = WithJsonSchema(
    {"type": "string", "format": "date-time", "examples": ["2026-01-31T08:00:00Z"]}
)

Timestamp = Annotated[datetime, PlainSerializer(format_datetime, return_type=str), _TIMESTAMP_SCHEMA]
# For instants already in UTC (anything read through app.core.database.UTCDateTime): pydantic-core
# writes a UTC datetime exactly as `format_datetime` does (`Z`, microseconds only when non-zero),
# without a Python call per value. Not for values of any other offset.
UTCTimestamp = Annotated[datetime, _TIMESTAMP_SCHEMA]
# Request models are strict, and FastAPI validates the decoded JSON (not the raw text), so strict
# datetime parsing would refuse every string: parse leniently, but only from a string.
TimestampIn = Annotated[
    datetime,
    BeforeValidator(_require_text),
    Strict(False),
    AfterValidator(_require_aware),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-01-31T08:00:00Z"]}),
]
