"""The framework behaviour the service relies on, one small test each, so that an upgrade of
FastAPI, Starlette or uvicorn breaks a test here rather than production:

- FastAPI reads a body through `await request.json()` of the request object the route handler is
  given (app/core/jsonbody.py decodes exactly there);
- FastAPI raises its body-decoding errors `from` the original one: a `json.JSONDecodeError` becomes
  a 422 `json_invalid` whose ctx carries the message, anything else an HTTPException(400) with the
  cause attached (app/core/handlers.py tells them apart by `__cause__`);
- Starlette's router leaves the matched route in `scope["route"]` (the access log and metrics
  label requests by its path template);
- uvicorn's `Config.bind_socket` and `Multiprocess(config, sockets=...)` (app/cli.py binds the
  listener itself to set TCP_NODELAY on it).
"""

import json
import socket
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from app import cli
from app.core import jsonbody
from app.core.jsonbody import ExactJSONRoute


def _app() -> tuple[FastAPI, list[Exception]]:
    app = FastAPI()
    router = APIRouter(route_class=ExactJSONRoute)
    seen: list[Exception] = []

    @router.post("/echo/{name}")
    async def echo(name: str, body: dict[str, Any]) -> dict[str, str]:
        return {key: type(value).__name__ for key, value in body.items()}

    async def capture(_request: Request, exc: Exception) -> Any:
        seen.append(exc)
        from fastapi.responses import JSONResponse

        return JSONResponse({"captured": type(exc).__name__}, status_code=499)

    app.add_exception_handler(RequestValidationError, capture)
    app.add_exception_handler(HTTPException, capture)
    app.include_router(router)
    return app, seen


async def _post(app: FastAPI, content: bytes) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        return await http.post("/echo/x", content=content, headers={"content-type": "application/json"})


async def test_fastapi_decodes_the_body_with_the_route_requests_json(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes | str] = []
    original = jsonbody.loads

    def spy(body: bytes | str) -> Any:
        calls.append(body)
        return original(body)

    monkeypatch.setattr(jsonbody, "loads", spy)
    app, _ = _app()
    response = await _post(app, b'{"amount": 1.10}')
    assert response.status_code == 200, response.text
    assert response.json() == {"amount": Decimal.__name__}
    assert calls == [b'{"amount": 1.10}']


async def test_a_json_decode_error_becomes_json_invalid_with_its_message() -> None:
    app, seen = _app()
    await _post(app, b'{"a": 1, "a": 2}')
    (error,) = seen
    assert isinstance(error, RequestValidationError)
    assert isinstance(error.__cause__, json.JSONDecodeError)
    (detail,) = error.errors()
    assert detail["type"] == "json_invalid"
    assert detail["ctx"]["error"] == 'duplicate key "a"'


async def test_other_decode_failures_are_a_400_raised_from_their_cause() -> None:
    app, seen = _app()
    await _post(app, b'{"a": "\xff"}')  # not UTF-8
    (error,) = seen
    assert isinstance(error, HTTPException) and error.status_code == 400
    assert error.__cause__ is not None


async def test_the_router_leaves_the_matched_route_in_the_scope() -> None:
    app, _ = _app()
    templates: list[str | None] = []

    async def outer(scope: Scope, receive: Receive, send: Send) -> None:
        await app(scope, receive, send)
        if scope["type"] == "http":
            templates.append(getattr(scope.get("route"), "path", None))

    transport = httpx.ASGITransport(app=outer)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        await http.post("/echo/someone", json={})
    assert templates == ["/echo/{name}"]


def test_serve_binds_the_listener_itself_with_tcp_nodelay(monkeypatch: pytest.MonkeyPatch) -> None:
    from uvicorn import supervisors

    started: list[supervisors.Multiprocess] = []

    def run(self: supervisors.Multiprocess) -> None:
        started.append(self)

    monkeypatch.setattr(supervisors.Multiprocess, "run", run)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/tmp")
    cli.serve("127.0.0.1", 0, workers=2)
    (supervisor,) = started
    try:
        assert supervisor.config.workers == 2
        (listener,) = supervisor.sockets
        assert listener.getsockname()[0] == "127.0.0.1"
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        for sock in supervisor.sockets:
            sock.close()
