"""OpenAPI: every operation documents its problem responses as application/problem+json, the
`X-Request-ID` it echoes, and (every POST) the `Idempotency-Key` it honours, so generated clients
can send both."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.core.errors import PROBLEM_MEDIA_TYPE, Problem
from app.core.idempotency import KEY_PATTERN, MAX_KEY_LENGTH

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing or unknown API key (`unauthenticated`)",
    403: "The key's role may not do this (`forbidden`)",
    404: "No such resource for this caller (`not_found`)",
    408: (
        "The body did not arrive within INVOICING_BODY_TIMEOUT_SECONDS of the headers "
        "(`request_timeout`); the connection is closed"
    ),
    409: "Refused by the resource's current state",
    413: "Request body too large (`payload_too_large`)",
    415: "The body's Content-Type is not one this operation takes (`unsupported_media_type`)",
    422: "Invalid input (`validation_error` with `errors`), or a refused value",
    429: "Too many requests (`rate_limited`)",
    503: "The database cannot be reached; retry after `Retry-After` seconds (`database_unavailable`)",
}


_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer`", "required": True, "schema": {"type": "string"}}},
    429: {
        "Retry-After": {
            "description": "Seconds until this key (or, after too many refused keys, this address) may "
            "call again",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }
    },
    503: {
        "Retry-After": {
            "description": "Seconds to wait before retrying",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


_REQUEST_ID = "X-Request-ID"
_REQUEST_ID_PARAMETER: dict[str, Any] = {
    "name": _REQUEST_ID,
    "in": "header",
    "required": False,
    "description": (
        "Your id for this request, to correlate logs: echoed in the response if it is 1-128 "
        "printable ASCII characters, else replaced by one of ours"
    ),
    "schema": {"type": "string"},
}
_REQUEST_ID_HEADER: dict[str, Any] = {
    "description": "The request's id: yours if you sent a usable one, else ours; in every log line of it",
    "required": True,
    "schema": {"type": "string"},
}
_IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the same key (scoped to your API key, kept 24 hours) with the same body "
        "replays the first answer (`Idempotent-Replayed: true`); with another body it is 422 "
        "`idempotency_key_reused`; while the first is still running, 409 `idempotency_key_in_progress`. "
        "A response that carries a secret shown once (a new API key) is never kept: its replay is 409 "
        "`idempotency_key_secret_not_replayable`"
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
}


def _add_headers(operation: dict[str, Any], method: str) -> None:
    """The request headers every operation (and every POST) takes, and the one every response has."""
    parameters = operation.setdefault("parameters", [])
    extra = [_IDEMPOTENCY_KEY_PARAMETER] if method == "post" else []
    names = {parameter["name"].lower() for parameter in parameters if parameter.get("in") == "header"}
    parameters.extend(p for p in [*extra, _REQUEST_ID_PARAMETER] if p["name"].lower() not in names)
    for response in operation.get("responses", {}).values():
        response.setdefault("headers", {})[_REQUEST_ID] = _REQUEST_ID_HEADER


def _problem(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS.get(status, "Problem"),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def problems(*statuses: int, authenticated: bool = True) -> dict[int | str, dict[str, Any]]:
    """Problem responses for a route: the given statuses plus what every route can answer."""
    codes = set(statuses) | {422}
    if authenticated:
        codes |= {401, 403, 429}
    return {code: _problem(code) for code in sorted(codes)}


def _first_example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    for branch in schema.get("anyOf", []):
        value = _first_example(branch, components)
        if value is not None:
            return value
    if schema.get("type") == "object" and "properties" in schema:
        return _object_example(schema, components)
    if schema.get("type") == "array" and "items" in schema:
        item = _first_example(schema["items"], components)
        return [] if item is None else [item]
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    return None


def _object_example(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    example: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        value = _first_example(prop, components)
        if value is not None:
            example[name] = value
    return example


def _add_body_examples(schema: dict[str, Any]) -> None:
    """An example for every request body, built from its fields' own examples (one source)."""
    components = schema.get("components", {}).get("schemas", {})
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if media is None or "example" in media or "examples" in media:
                continue
            body_schema = media.get("schema", {})
            refs = [body_schema, *body_schema.get("anyOf", [])]
            ref = next((r["$ref"] for r in refs if "$ref" in r), None)  # a body that may be omitted
            target = components.get(ref.rsplit("/", 1)[-1], {}) if ref else body_schema
            if target.get("examples"):
                continue
            media["example"] = _object_example(target, components)


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for sub in components["Problem"].pop("$defs", {}).items():
            components.setdefault(sub[0], sub[1])
        for path_item in schema.get("paths", {}).values():
            for method, operation in path_item.items():
                responses = operation.get("responses", {})
                if "requestBody" in operation:  # any body may be too large, or too slow
                    responses["413"] = {}
                    responses["408"] = {}
                if "401" in responses:  # it reads the database (the key at least): it can be down
                    responses["503"] = {}
                for code in list(responses):
                    if code.isdigit() and int(code) >= 400:
                        responses[code] = _problem(int(code))
                operation["responses"] = dict(sorted(responses.items()))
                _add_headers(operation, method)
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        _add_body_examples(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
