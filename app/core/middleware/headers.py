"""`Cache-Control: no-store` and `X-Content-Type-Options: nosniff` on the API's own responses."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Paths whose responses are the API's own (exact, or followed by "/"): they hold customer data and
# are never cached, and their content type is never sniffed. Everything else (the console under
# /console/) chooses its own caching.
API_PATHS = ("/v1", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/redoc")
_API_HEADERS = ((b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"))


def is_api_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in API_PATHS)


class ResponseHeadersMiddleware:
    """`Cache-Control: no-store` and `X-Content-Type-Options: nosniff` on API responses (a route that
    sets its own Cache-Control keeps it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in _API_HEADERS if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
