"""The JSON log line: base fields, the request id, extras, exceptions; nothing an extra can hide."""

import json
import logging
import sys

from app.core.context import request_id_var
from app.core.logging import JsonLineFormatter


def _line(record: logging.LogRecord) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(JsonLineFormatter().format(record))
    return parsed


def test_a_line_has_the_base_fields_the_request_id_and_the_extras() -> None:
    logger = logging.getLogger("invoicing.test")
    record = logger.makeRecord(
        "invoicing.test", logging.INFO, __file__, 1, "paid %s", ("1.00",), None,
        extra={"account_id": "a1", "status": 200, "time": "not mine", "color_message": "\x1b[36mx"},
    )  # fmt: skip
    token = request_id_var.set("req-1")
    try:
        line = _line(record)
    finally:
        request_id_var.reset(token)
    assert line["level"] == "INFO" and line["logger"] == "invoicing.test"
    assert line["message"] == "paid 1.00" and line["request_id"] == "req-1"
    assert line["account_id"] == "a1" and line["status"] == 200
    assert isinstance(line["time"], str) and line["time"].endswith("Z") and line["time"] != "not mine"
    assert "color_message" not in line


def test_an_exception_is_one_field_and_odd_values_are_written_as_text() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info(), extra={"when": object()}
        )
    line = _line(record)
    assert "ValueError: boom" in str(line["exc_info"])
    assert str(line["when"]).startswith("<object object")
    assert line["request_id"] is None
