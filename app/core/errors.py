"""Domain errors and the RFC 9457 problem body; plain Python (services raise these). The HTTP
responses are made by app/core/handlers.py."""

import logging
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.database import describe

logger = logging.getLogger("invoicing.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://invoicing.example.com/problems/"


class DomainError(Exception):
    """A refusal the caller can act on: a stable `code`, an HTTP status and a human detail."""

    code = "error"
    status = 400
    detail = "The request could not be processed."

    def __init__(
        self, detail: str | None = None, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        self.detail = detail or type(self).detail
        self.headers = headers or {}
        self.extra = extra
        super().__init__(self.detail)


class NotFound(DomainError):
    code = "not_found"
    status = 404
    detail = "The resource does not exist."


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401
    detail = "A valid API key is required: send 'Authorization: Bearer <key>'."


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    detail = "This API key's role may not perform this operation."


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422
    detail = "The request is invalid."

    def __init__(self, field: str, message: str, detail: str | None = None) -> None:
        super().__init__(detail or f"{field}: {message}", errors=[{"field": field, "message": message}])


class Conflict(DomainError):
    code = "conflict"
    status = 409
    detail = "The request conflicts with the current state of the resource."


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body exceeds {limit} bytes.")


class RequestTimeout(DomainError):
    code = "request_timeout"
    status = 408
    detail = "The request did not arrive in time; send it again, faster."


class HeadersTooLarge(DomainError):
    code = "headers_too_large"
    status = 431

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request line and headers exceed {limit} bytes.")


class DatabaseUnavailable(DomainError):
    code = "database_unavailable"
    status = 503
    detail = "The database is unavailable; retry after the time in Retry-After."


# Seconds a client is told to wait after a 503 `database_unavailable`.
DATABASE_RETRY_AFTER_SECONDS = 2


def database_unavailable_headers() -> dict[str, str]:
    return {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}


def log_database_unavailable(error: BaseException) -> None:
    """One warning line per request, without a traceback: an outage would otherwise flood the log."""
    logger.warning("database unavailable", extra={"error": describe(error)})


class FieldError(BaseModel):
    field: str = Field(examples=["body.bank_account"])
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with a stable machine `code`."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=[PROBLEM_TYPE_BASE + "not_found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(ge=400, le=599, examples=[404])
    detail: str = Field(examples=["The resource does not exist."])
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$", examples=["not_found"])
    request_id: str | None = None
    errors: list[FieldError] | None = None


def problem_body(status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    from app.core.context import request_id_var  # local: context imports nothing of ours

    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return body
