"""OpenAPI: every operation documents its problem responses as application/problem+json."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.core.errors import PROBLEM_MEDIA_TYPE, Problem

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing or unknown API key (`unauthenticated`)",
    403: "The key's role may not do this (`forbidden`)",
    404: "No such resource for this caller (`not_found`)",
    409: "Refused by the resource's current state",
    413: "Request body too large (`payload_too_large`)",
    422: "Invalid input (`validation_error` with `errors`), or a refused value",
    429: "Too many requests (`rate_limited`)",
}


def _problem(status: int) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS.get(status, "Problem"),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}},
    }


def problems(*statuses: int, authenticated: bool = True) -> dict[int | str, dict[str, Any]]:
    """Problem responses for a route: the given statuses plus what every route can answer."""
    codes = set(statuses) | {422}
    if authenticated:
        codes |= {401, 403, 429}
    return {code: _problem(code) for code in sorted(codes)}


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
            for operation in path_item.values():
                responses = operation.get("responses", {})
                for code in list(responses):
                    if code.isdigit() and int(code) >= 400:
                        responses[code] = _problem(int(code))
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
