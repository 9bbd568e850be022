"""API-key authentication and role checks; keys are random, shown once, stored as SHA-256."""

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Protocol

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import ApiKey
from app.core.errors import Forbidden, Unauthenticated
from app.core.ratelimit import RateLimiter
from app.core.session import get_session

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


_KEY_BY_HASH = select(ApiKey.id, ApiKey.role, ApiKey.account_id, ApiKey.key_hash).where(
    ApiKey.key_hash == bindparam("digest"), ApiKey.revoked_at.is_(None)
)


async def resolve_key(session: AsyncSession, key: str, cache: KeyCache | None = None) -> AuthContext | None:
    if not key.startswith(KEY_PREFIX) or len(key) > 128:
        return None
    digest = hash_key(key)
    if cache is not None and (cached := cache.get(digest)) is not None:
        return cached
    row = (await session.execute(_KEY_BY_HASH, {"digest": digest})).one_or_none()
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        return None
    auth = AuthContext(key_id=row.id, role=Role(row.role), account_id=row.account_id)
    if cache is not None:
        cache.put(digest, auth)
    return auth


class KeyUsageRecorder(Protocol):
    """Told of every authenticated request (app/accounts/usage.py keeps `last_used_at`)."""

    def seen(self, key_id: uuid.UUID) -> None: ...


_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer ik_…`")


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session: Annotated[AsyncSession, Depends(get_session)],
) -> AuthContext:
    state = request.scope.setdefault("state", {})
    auth = state.get("auth")
    if not isinstance(auth, AuthContext):
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthenticated()
        auth = await resolve_key(session, credentials.credentials, request.app.state.key_cache)
        if auth is None:
            raise Unauthenticated("The API key is unknown or revoked.")
        state["auth"] = auth
    if not state.get("rate_checked"):
        state["rate_checked"] = True
        usage: KeyUsageRecorder = request.app.state.key_usage
        usage.seen(auth.key_id)
        limiter: RateLimiter = request.app.state.rate_limiter
        await limiter.check(str(auth.key_id))
    return auth


def require_role(*roles: Role) -> Callable[..., Awaitable[AuthContext]]:
    """The key must have one of `roles`. The OpenAPI document lists them as the role names of the
    operation's bearer requirement (`security: [{HTTPBearer: [customer]}]`, as OpenAPI 3.1 allows
    for non-OAuth schemes), so integrators and tests read who may call what from the document."""
    allowed = frozenset(roles)
    names = sorted(role.value for role in allowed)

    async def dependency(auth: Annotated[AuthContext, Security(authenticate, scopes=names)]) -> AuthContext:
        if auth.role not in allowed:
            raise Forbidden(f"This operation needs a {' or '.join(sorted(allowed))} key.")
        return auth

    return dependency


Customer = Annotated[AuthContext, Depends(require_role(Role.customer))]
Billing = Annotated[AuthContext, Depends(require_role(Role.billing))]
Finance = Annotated[AuthContext, Depends(require_role(Role.finance))]
BillingOrFinance = Annotated[AuthContext, Depends(require_role(Role.billing, Role.finance))]
CustomerOrFinance = Annotated[AuthContext, Depends(require_role(Role.customer, Role.finance))]
