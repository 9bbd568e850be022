"""Domain errors and their RFC 9457 problem rendering; every error path ends here."""

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.database import describe, is_unavailable
from app.core.jsonbody import DUPLICATE_KEY

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


def problem_response(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, code, detail, **extra),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc]
    return ".".join(parts) if parts else "body"


def _validation_message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "is invalid"))
    if error.get("type") == "json_invalid":
        reason = str((error.get("ctx") or {}).get("error", ""))
        if reason.startswith(DUPLICATE_KEY):  # app/core/jsonbody.py
            return f"is not valid JSON: the key {reason.removeprefix(DUPLICATE_KEY).strip()} appears twice"
        return "is not valid JSON"
    return message.removeprefix("Value error, ")


async def _domain_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = dict(exc.headers)
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return problem_response(exc.status, exc.code, exc.detail, headers=headers or None, **exc.extra)


async def _database_unavailable_handler(_request: Request, exc: Exception) -> JSONResponse:
    if not is_unavailable(exc):
        raise exc
    log_database_unavailable(exc)
    error = DatabaseUnavailable()
    return problem_response(error.status, error.code, error.detail, headers=database_unavailable_headers())


async def _validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            loc = ("body",)
        errors.append({"field": _field_name(loc), "message": _validation_message(error)})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]) or "The request is invalid."
    return problem_response(422, "validation_error", detail, errors=errors)


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def _allowed_methods(request: Request) -> str:
    """Every method the OpenAPI document lists for this path (Starlette names only the methods of the
    first route that matched the path, so `Allow` would disagree with the document)."""
    table: list[tuple[re.Pattern[str], str]] | None = getattr(request.app.state, "allow_table", None)
    if table is None:
        table = []
        for template, item in request.app.openapi().get("paths", {}).items():
            regex = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")
            methods = sorted(method.upper() for method in item if method in _HTTP_METHODS)
            table.append((regex, ", ".join(methods)))
        request.app.state.allow_table = table
    path = request.scope.get("path", "")
    return next((methods for regex, methods in table if regex.match(path)), "")


async def _http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.__cause__ is not None:
        # FastAPI could not decode the body at all (not UTF-8, nested too deep, a number too long):
        # malformed JSON like any other, so the same 422 as a syntax error.
        field_error = {"field": "body", "message": "is not valid JSON"}
        return problem_response(422, "validation_error", "body: is not valid JSON", errors=[field_error])
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404:
        detail = "No such resource or route."
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem_response(exc.status_code, code, detail, headers=headers or None)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
    # The database could not answer (app/core/database.is_unavailable): 503 with Retry-After. The
    # same classes raised outside a route (opening or committing the request's transaction) are
    # answered by RequestContextMiddleware.
    for unavailable in (
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.TimeoutError,
        sa_exc.DisconnectionError,
    ):
        app.add_exception_handler(unavailable, _database_unavailable_handler)
