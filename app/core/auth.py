"""API keys and who is calling: plain data and rules, no web framework (services import this).

Keys are random, shown once, and stored as SHA-256. The lookup of a key's row belongs to the
accounts package (`app/accounts/keys.py`); `KeyResolver` receives it as a function, so this
module knows no domain model. The FastAPI dependencies that authenticate a request and check its
role are in `app/core/dependencies.py`.
"""

import hashlib
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

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


class KeyResolver:
    """From the key a caller sent to who is calling: a shape check, the cache, then the lookup.

    The key is found by its SHA-256 digest (an indexed equality); the digest of a guess reveals
    nothing about a stored key, so no constant-time comparison is needed after the lookup.
    """

    def __init__(self, lookup: KeyLookup, cache: KeyCache) -> None:
        self.lookup = lookup
        self.cache = cache

    def cached(self, key: str) -> AuthContext | None:
        """The caller from the cache alone (None: not cached, or not a key at all)."""
        if not key.startswith(KEY_PREFIX) or len(key) > 128:
            return None
        return self.cache.get(hash_key(key))

    async def resolve(self, session: AsyncSession, key: str) -> AuthContext | None:
        if not key.startswith(KEY_PREFIX) or len(key) > 128:
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
