"""Per-request context visible to logs and error bodies (request id, caller)."""

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
role_var: ContextVar[str | None] = ContextVar("role", default=None)
account_id_var: ContextVar[str | None] = ContextVar("account_id", default=None)
