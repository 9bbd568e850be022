"""Rate limits (moving window) with the `limits` library, each off when its limit is 0: requests per
API key (INVOICING_RATE_LIMIT_PER_MINUTE), and refused keys per client address
(INVOICING_AUTH_FAILURES_PER_MINUTE, counted by app/core/auth.KeyResolver.authenticate).

The default storage is in-process memory, so with N workers the effective limit per key is up to
N times the setting. For one limit across workers and replicas, point
INVOICING_RATE_LIMIT_STORAGE_URI at Redis (`async+redis://host:6379/0`; install `invoicing[redis]`):
every worker then counts in the same window, under INVOICING_RATE_LIMIT_KEY_PREFIX. If that store
cannot be reached, requests are let through (and a warning logged): the limiter protects the
service, it must not take it down.
"""

import logging
import math
import time
from typing import Any
from urllib.parse import urlsplit

from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

from app.core.errors import DomainError

logger = logging.getLogger(__name__)

# A Redis that does not answer must not hold a request for long (a URI query may say otherwise).
_REDIS_TIMEOUT_SECONDS = 1.0


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    detail = "Too many requests for this API key; retry after the time in Retry-After."


def _storage_options(storage_uri: str, key_prefix: str) -> dict[str, Any]:
    if not urlsplit(storage_uri).scheme.startswith(("async+redis", "async+rediss")):
        return {}
    return {
        "implementation": "redispy",  # the `redis` package (the `redis` extra), not coredis
        "key_prefix": key_prefix,
        "wrap_exceptions": True,  # any failure of the store is a StorageError
        "socket_connect_timeout": _REDIS_TIMEOUT_SECONDS,
        "socket_timeout": _REDIS_TIMEOUT_SECONDS,
    }


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        storage_uri: str = "async+memory://",
        key_prefix: str = "invoicing",
        detail: str | None = None,
    ) -> None:
        self.detail = detail
        self.enabled = per_minute > 0
        self.item = RateLimitItemPerMinute(max(per_minute, 1))
        storage = storage_from_string(storage_uri, **_storage_options(storage_uri, key_prefix))
        self.strategy = MovingWindowRateLimiter(storage)

    async def check(self, key_id: str) -> None:
        """Count one request for `key_id` (a key's id, or `address:<ip>`); RateLimited when over."""
        if not self.enabled:
            return
        try:
            if await self.strategy.hit(self.item, key_id):
                return
            stats = await self.strategy.get_window_stats(self.item, key_id)
        except StorageError as error:
            logger.warning("rate limit store unavailable, request let through: %s", error.storage_error)
            return
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(self.detail, headers={"Retry-After": str(retry_after)})
