"""The service's own serials for tax-platform submissions: one per (request, invoice position, kind),
the same on every try, so that a retried or duplicated submission never issues twice."""

import re
import uuid
from typing import Literal

Kind = Literal["blue", "red"]
_KIND_LETTER: dict[str, str] = {"blue": "B", "red": "R"}
# 32 hex digits of the request id, the kind's letter, the 1-based position in three digits: 36
# characters of [0-9A-Za-z], which every platform's order number accepts (docs/TAX_PLATFORM.md).
SERIAL_PATTERN = re.compile(r"[0-9a-f]{32}[BR][0-9]{3}")
MAX_POSITION = 999


def serial_for(request_id: uuid.UUID, position: int, kind: Kind = "blue") -> str:
    """The serial of the `position`-th (1-based) invoice of a request's draft, blue or red."""
    if not 1 <= position <= MAX_POSITION:
        raise ValueError(f"an invoice position is 1..{MAX_POSITION}, not {position}")
    return f"{request_id.hex}{_KIND_LETTER[kind]}{position:03d}"


def parse_serial(serial: str) -> tuple[uuid.UUID, int, Kind]:
    """The (request id, position, kind) a serial was made from; ValueError if it is not one."""
    if not SERIAL_PATTERN.fullmatch(serial):
        raise ValueError(f"{serial!r} is not a serial of this service")
    kind: Kind = "blue" if serial[32] == "B" else "red"
    return uuid.UUID(serial[:32]), int(serial[33:]), kind
