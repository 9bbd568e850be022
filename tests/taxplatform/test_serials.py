"""Serials: derived from the request, the issuing round and the invoice's position, the same on
every try."""

import uuid

import pytest

from app.taxplatform import parse_serial, serial_for
from app.taxplatform.serials import SerialParts


def test_a_serial_names_its_request_position_kind_and_round() -> None:
    request_id = uuid.uuid4()
    blue = serial_for(request_id, 2)
    assert blue == serial_for(request_id, 2)  # the same on every try
    others = {serial_for(request_id, 2, "red"), serial_for(request_id, 3), serial_for(request_id, 2, round=1)}
    assert blue not in others and len(others) == 3
    assert len(blue) == 38 and blue.isalnum()
    assert parse_serial(blue) == SerialParts(request_id, 2, "blue", 0)
    assert parse_serial(serial_for(request_id, 999, "red", 99)) == SerialParts(request_id, 999, "red", 99)


@pytest.mark.parametrize(("position", "round"), [(0, 0), (1000, 0), (-1, 0), (1, -1), (1, 100)])
def test_positions_are_1_to_999_and_rounds_0_to_99(position: int, round: int) -> None:
    with pytest.raises(ValueError, match=r"position|round"):
        serial_for(uuid.uuid4(), position, round=round)


@pytest.mark.parametrize(
    "text", ["", "abc", "0" * 32 + "X00001", "0" * 32 + "B0001", "G" * 32 + "B00001", "0" * 32 + "B00001 "]
)
def test_other_strings_are_not_serials(text: str) -> None:
    with pytest.raises(ValueError, match="not a serial"):
        parse_serial(text)
