"""Per-API-key rate limit (moving window) with the `limits` library; off when the limit is 0.

The default storage is in-process memory, so with N workers the effective limit per key is up to
N times the setting; point INVOICING_RATE_LIMIT_STORAGE_URI at a shared store (e.g.
`async+redis://host:6379`, with the `redis` package installed) for one limit across workers.
"""

import math
import time

from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from app.core.errors import DomainError


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    detail = "Too many requests for this API key; retry after the time in Retry-After."


class RateLimiter:
    def __init__(self, per_minute: int, storage_uri: str = "async+memory://") -> None:
        self.enabled = per_minute > 0
        self.item = RateLimitItemPerMinute(max(per_minute, 1))
        self.strategy = MovingWindowRateLimiter(storage_from_string(storage_uri))

    async def check(self, key_id: str) -> None:
        """Count one request for `key_id`; raise RateLimited when over the limit."""
        if not self.enabled:
            return
        if await self.strategy.hit(self.item, key_id):
            return
        stats = await self.strategy.get_window_stats(self.item, key_id)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(headers={"Retry-After": str(retry_after)})
