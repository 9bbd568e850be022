"""JSON logs, one object a line, each stamped with the request id."""

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from app.core.context import request_id_var


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
    )
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).disabled = True
    # aiosqlite traces every call with its arguments (statement parameters: key hashes, bank
    # accounts) at DEBUG; the service's DEBUG must not include them.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, root.level))
