"""Request bodies decoded exactly: a JSON number with a fraction or exponent becomes a Decimal, never
a float, NaN/Infinity (which Python's json accepts) are malformed JSON, and so is an object that
repeats a key (`{"recipient": "Li", "recipient": "Mallory"}`: parsers disagree on which one counts,
so the body is refused, 422 `validation_error`, instead of the last one silently winning).

FastAPI turns a `json.JSONDecodeError` raised by `Request.json()` into a 422 `json_invalid` error
(tests/core/test_framework_hooks.py holds it to that)."""

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


def _no_constants(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)


DUPLICATE_KEY = "duplicate key"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for key, value in pairs:
        if key in decoded:
            raise json.JSONDecodeError(f"{DUPLICATE_KEY} {json.dumps(key)}", "", 0)
        decoded[key] = value
    return decoded


def loads(body: bytes | str) -> Any:
    return json.loads(body, parse_float=Decimal, parse_constant=_no_constants, object_pairs_hook=_unique_keys)


class _ExactJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


class ExactJSONRoute(APIRoute):
    """Routes whose bodies are decoded by `loads`: `1027.0` reaches validation as Decimal("1027.0")
    (an integer amount, as JSON Schema reads it) and `1.0000000000000001` is not silently rounded."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact(request: Request) -> Response:
            return await handler(_ExactJSONRequest(request.scope, request.receive))

        return exact
