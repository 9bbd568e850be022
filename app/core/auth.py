"""API keys and who is calling: plain data and rules, no web framework (services import this).

Keys are random, shown once, and stored as SHA-256. The lookup of a key's row belongs to the
accounts package (`app/accounts/keys.py`); `KeyResolver` receives it as a function, so this
module knows no domain model. `KeyResolver.authenticate` is the one place that reads a bearer
token and resolves it: AuthenticationMiddleware calls it before a body is read, the FastAPI
dependency (`app/core/dependencies.py`) for everything else.
"""

import hashlib
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Unauthenticated
from app.core.ratelimit import RateLimiter

KEY_PREFIX = "ik_"


class Role(StrEnum):
    customer = "customer"
    billing = "billing"
    finance = "finance"


@dataclass(frozen=True, slots=True)
class AuthContext:
    key_id: uuid.UUID
    role: Role
    account_id: uuid.UUID | None
    # The operator holding a staff key (`invoicing create-key --name`); None for customer keys.
    name: str | None = None

    @property
    def customer_account_id(self) -> uuid.UUID:
        """The account a customer key is bound to (customer keys always have one)."""
        assert self.account_id is not None
        return self.account_id


@dataclass(frozen=True, slots=True)
class NewKey:
    key: str
    prefix: str
    key_hash: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def generate_key() -> NewKey:
    key = KEY_PREFIX + secrets.token_urlsafe(32)  # 256 bits of entropy
    return NewKey(key=key, prefix=key[:12], key_hash=hash_key(key))


class KeyCache:
    """Resolved keys by hash, trusted for `ttl_seconds` without a database read.

    A key's role and account never change; only revocation does, so a revoked key keeps working
    in a worker for at most `ttl_seconds` (INVOICING_AUTH_CACHE_SECONDS; 0 turns the cache off).
    Unknown keys are never cached, and the cache holds at most `max_entries` keys per worker.
    """

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, AuthContext]] = {}

    def get(self, digest: str) -> AuthContext | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            self._entries.pop(digest, None)
            return None
        return entry[1]

    def put(self, digest: str, auth: AuthContext) -> None:
        if self.ttl_seconds <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))  # the oldest entry
        self._entries[digest] = (time.monotonic() + self.ttl_seconds, auth)


# Finds the live (unrevoked) key whose SHA-256 is `digest`: app/accounts/keys.find_key.
KeyLookup = Callable[[AsyncSession, str], Awaitable[AuthContext | None]]
# Opens (or lends) a session to look a key up in: `database.read_session`, or the request's own.
SessionOpener = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None for any other header or none."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _looks_like_key(key: str) -> bool:
    return key.startswith(KEY_PREFIX) and len(key) <= 128


class KeyResolver:
    """From the key a caller sent to who is calling: a shape check, the cache, then the lookup.

    The key is found by its SHA-256 digest (an indexed equality); the digest of a guess reveals
    nothing about a stored key, so no constant-time comparison is needed after the lookup.
    """

    def __init__(self, lookup: KeyLookup, cache: KeyCache, failures: RateLimiter | None = None) -> None:
        self.lookup = lookup
        self.cache = cache
        # Counts refused keys per client address (INVOICING_AUTH_FAILURES_PER_MINUTE).
        self.failures = failures

    async def authenticate(
        self, authorization: str | None, client: str | None, open_session: SessionOpener
    ) -> AuthContext:
        """Who sent `Authorization` (the header's value): Unauthenticated (401) if nobody we know.

        A missing, malformed, unknown or revoked key counts against the client's address: past
        the limit the refusal is RateLimited (429 with Retry-After) instead. A known key is never
        refused here (its own limit is counted by the dependency)."""
        token = bearer_token(authorization)
        if token is not None and _looks_like_key(token):
            digest = hash_key(token)
            auth = self.cache.get(digest)
            if auth is None:
                async with open_session() as session:
                    auth = await self.lookup(session, digest)
                if auth is not None:
                    self.cache.put(digest, auth)
            if auth is not None:
                return auth
        if self.failures is not None:
            await self.failures.check(f"address:{client or 'unknown'}")
        if token is None:
            raise Unauthenticated()
        raise Unauthenticated("The API key is unknown or revoked.")

    def cached(self, key: str) -> AuthContext | None:
        """The caller from the cache alone (None: not cached, or not a key at all)."""
        if not _looks_like_key(key):
            return None
        return self.cache.get(hash_key(key))

    async def resolve(self, session: AsyncSession, key: str) -> AuthContext | None:
        if not _looks_like_key(key):
            return None
        digest = hash_key(key)
        if (cached := self.cache.get(digest)) is not None:
            return cached
        auth = await self.lookup(session, digest)
        if auth is not None:
            self.cache.put(digest, auth)
        return auth


class KeyUsageRecorder(Protocol):
    """Told of every authenticated request (app/accounts/usage.py keeps `last_used_at`)."""

    def seen(self, key_id: uuid.UUID) -> None: ...
