"""Per-request context visible to logs and error bodies (the request id)."""

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
