"""The service's own serials for tax-platform submissions: one per (request, issuing round, invoice
position, kind), the same on every try, so that a retried or duplicated submission never issues twice."""

import re
import uuid
from dataclasses import dataclass
from typing import Literal

Kind = Literal["blue", "red"]
_KIND_LETTER: dict[str, str] = {"blue": "B", "red": "R"}
# 32 hex digits of the request id, the kind's letter, the issuing round in two digits, the 1-based
# position in three: 38 characters of [0-9A-Za-z] (docs/TAX_PLATFORM.md).
SERIAL_PATTERN = re.compile(r"[0-9a-f]{32}[BR][0-9]{2}[0-9]{3}")
MAX_POSITION = 999
MAX_ROUND = 99


@dataclass(frozen=True, slots=True)
class SerialParts:
    request_id: uuid.UUID
    position: int
    kind: Kind
    round: int


def serial_for(request_id: uuid.UUID, position: int, kind: Kind = "blue", round: int = 0) -> str:
    """The serial of the `position`-th (1-based) invoice of a request's draft, blue or red.

    `round` counts the request's issuing attempts that ended in a refusal: a refusal is final for
    its serial, so issuing again after one (finance fixed the cause) takes the next round. Every
    *try* within a round (retries, a second worker) uses the same serial."""
    if not 1 <= position <= MAX_POSITION:
        raise ValueError(f"an invoice position is 1..{MAX_POSITION}, not {position}")
    if not 0 <= round <= MAX_ROUND:
        raise ValueError(f"an issuing round is 0..{MAX_ROUND}, not {round}")
    return f"{request_id.hex}{_KIND_LETTER[kind]}{round:02d}{position:03d}"


def parse_serial(serial: str) -> SerialParts:
    """What a serial was made from; ValueError if it is not one of this service's."""
    if not SERIAL_PATTERN.fullmatch(serial):
        raise ValueError(f"{serial!r} is not a serial of this service")
    kind: Kind = "blue" if serial[32] == "B" else "red"
    return SerialParts(uuid.UUID(serial[:32]), int(serial[35:]), kind, int(serial[33:35]))
