"""Small readings of an ASGI scope shared by the middleware."""

from starlette.types import Scope

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of the request header `name` (lower case), as latin-1 text."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def has_body(scope: Scope) -> bool:
    """Whether the request announces a body (HTTP/1.1: a length or a chunked transfer; an HTTP/2
    request without a length may still have one, so it counts as having one)."""
    if scope.get("http_version") not in ("1.0", "1.1"):
        return True
    return any(name in (b"content-length", b"transfer-encoding") for name, _ in scope.get("headers", ()))


def carries_body(scope: Scope) -> bool:
    """Whether there may be a body to read: any method but GET/HEAD/OPTIONS, or one announced."""
    return scope["method"] not in SAFE_METHODS or has_body(scope)
