"""ASGI middleware, one module each, outermost first; each has one job.

0. `ResponseHeadersMiddleware` (headers.py): `Cache-Control: no-store` and
   `X-Content-Type-Options: nosniff` on the API's own responses.
1. `AccessLogMiddleware` (access_log.py): the request id in and out, one JSON access-log line,
   the request metrics. It observes; it answers nothing.
2. `ErrorMiddleware` (errors.py): the answer to what escaped the routes' handlers: a refusal raised
   by the middleware below, 503 `database_unavailable` (Retry-After), or a logged 500.
3. `AuthenticationMiddleware` (authentication.py): the caller of a /v1 request that may carry a
   body, before the body is read (401/429 without reading it).
4. `BodyLimitMiddleware` (body.py): reads the body once, within its size limit (413) and deadline
   (408), into the request's state.
5. `IdempotencyMiddleware` (idempotency.py): `Idempotency-Key` on POST: a replay, a refusal, or the
   request run under a claim whose answer is stored (app/core/idempotency.py).
6. `TransactionMiddleware` (transaction.py): the request's session, committed or rolled back before
   the response leaves (the one place a response is held back).

What they share about one request is one typed object, app/core/request_state.RequestState. The
request line and headers are limited in size and time by the server itself
(app/core/http_protocol.py), before any of this runs.
"""

from app.core.middleware.access_log import AccessLogMiddleware
from app.core.middleware.authentication import AuthenticationMiddleware
from app.core.middleware.body import BodyLimit, BodyLimitMiddleware
from app.core.middleware.errors import ErrorMiddleware
from app.core.middleware.headers import API_PATHS, ResponseHeadersMiddleware, is_api_path
from app.core.middleware.idempotency import IdempotencyMiddleware
from app.core.middleware.transaction import TransactionMiddleware

__all__ = [
    "API_PATHS",
    "AccessLogMiddleware",
    "AuthenticationMiddleware",
    "BodyLimit",
    "BodyLimitMiddleware",
    "ErrorMiddleware",
    "IdempotencyMiddleware",
    "ResponseHeadersMiddleware",
    "TransactionMiddleware",
    "is_api_path",
]
