"""JSON logs, one object a line, each stamped with the request id.

Every line has `time` (RFC 3339, UTC, milliseconds), `level`, `logger`, `message` and `request_id`,
then the record's `extra` fields, then `exc_info` / `stack_info` when present. The formatter is a
few lines over the standard library's `Formatter` rather than python-json-logger: the access log
writes one line per request, and that library's generic field merging cost ~33 µs a line, half
of what an empty FastAPI route costs (docs/PERFORMANCE.md).
"""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from app.core.context import request_id_var

# Attributes every LogRecord has: whatever else a record carries came from `extra` (but uvicorn's
# `color_message`, the message again with terminal colour codes).
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
    "color_message",
}


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        line: dict[str, Any] = {
            "time": stamp.replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        for name, value in record.__dict__.items():
            if name not in _RECORD_FIELDS and name not in line:  # an extra never hides a base field
                line[name] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLineFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # No line names its source file, thread or process: spare every record the stack walk
    # (findCaller) and the lookups (the "Optimization" section of the logging HOWTO).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).disabled = True
    # aiosqlite traces every call with its arguments (statement parameters: key hashes, bank
    # accounts) at DEBUG; the service's DEBUG must not include them.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, root.level))
