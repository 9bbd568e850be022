"""Exception handlers (the HTTP layer): every error path ends in an RFC 9457 problem response.

Domain errors (app/core/errors.py) become their status and code; FastAPI's validation errors 422
`validation_error`; Starlette's HTTP errors their status; a database that cannot answer 503
`database_unavailable` with Retry-After. Every problem response, here, in the middleware
(app/core/middleware/errors.py) and in the server's own refusals (app/core/http_protocol.py), is
built by `problem_response`.
"""

import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.database import UNAVAILABLE_ERRORS, is_unavailable
from app.core.errors import (
    PROBLEM_MEDIA_TYPE,
    DatabaseUnavailable,
    DomainError,
    database_unavailable_headers,
    log_database_unavailable,
    problem_body,
)
from app.core.jsonbody import DUPLICATE_KEY


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
    408: "request_timeout",
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


def domain_error_response(error: DomainError, headers: dict[str, str] | None = None) -> JSONResponse:
    """The answer to a refusal, raised by a route or by the middleware (plus `headers`)."""
    merged = {**error.headers, **(headers or {})}
    if error.status == 401:
        merged["WWW-Authenticate"] = "Bearer"
    return problem_response(error.status, error.code, error.detail, headers=merged or None, **error.extra)


def database_unavailable_response(error: BaseException) -> JSONResponse:
    """503 `database_unavailable` with Retry-After, logged once (app/core/database.is_unavailable)."""
    log_database_unavailable(error)
    return domain_error_response(DatabaseUnavailable(headers=database_unavailable_headers()))


async def _domain_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return domain_error_response(exc)


async def _database_unavailable_handler(_request: Request, exc: Exception) -> JSONResponse:
    if not is_unavailable(exc):
        raise exc
    return database_unavailable_response(exc)


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
    # same errors raised outside a route (opening or committing the request's transaction) are
    # answered by ErrorMiddleware, with the same response.
    for unavailable in UNAVAILABLE_ERRORS:
        app.add_exception_handler(unavailable, _database_unavailable_handler)
