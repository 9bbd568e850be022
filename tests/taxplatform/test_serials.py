"""Serials: derived from the request and the invoice's position, the same on every try."""

import uuid

import pytest

from app.taxplatform import parse_serial, serial_for


def test_a_serial_names_its_request_position_and_kind() -> None:
    request_id = uuid.uuid4()
    blue = serial_for(request_id, 2)
    red = serial_for(request_id, 2, "red")
    assert blue == serial_for(request_id, 2)  # the same on every try
    assert blue != red and blue != serial_for(request_id, 3)
    assert len(blue) == 36 and blue.isalnum()
    assert parse_serial(blue) == (request_id, 2, "blue")
    assert parse_serial(red) == (request_id, 2, "red")


@pytest.mark.parametrize("position", [0, 1000, -1])
def test_positions_are_one_to_999(position: int) -> None:
    with pytest.raises(ValueError, match="position"):
        serial_for(uuid.uuid4(), position)


@pytest.mark.parametrize("text", ["", "abc", "0" * 32 + "X001", "0" * 32 + "B01", "G" * 32 + "B001"])
def test_other_strings_are_not_serials(text: str) -> None:
    with pytest.raises(ValueError, match="not a serial"):
        parse_serial(text)
