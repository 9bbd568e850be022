"""Service configuration, read once from `INVOICING_*` environment variables."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INVOICING_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./invoicing.db",
        description="SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db",
    )
    require_positive_cash_balance: bool = Field(
        default=True, description="Refuse invoice requests while the account's cash balance is <= 0"
    )
    log_level: str = Field(default="INFO", description="Python log level for the JSON logs")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest accepted request body")
    idempotency_ttl_seconds: int = Field(default=86_400, ge=60, description="How long keys are replayed")
    idempotency_lock_seconds: int = Field(
        default=60, ge=1, description="After this, an in-flight key left by a crashed worker may be retaken"
    )
    db_pool_size: int = Field(default=10, ge=1, description="Connections per worker (PostgreSQL)")
    db_max_overflow: int = Field(default=10, ge=0, description="Extra connections per worker (PostgreSQL)")
    rate_limit_per_minute: int = Field(
        default=0, ge=0, description="Requests per minute per API key; 0 = off"
    )
    rate_limit_storage_uri: str = Field(
        default="async+memory://", description="`limits` storage; memory is per worker process"
    )
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0, description="How long SQLite waits for a lock")
    auth_cache_seconds: int = Field(
        default=5,
        ge=0,
        description="How long a worker trusts a resolved API key; a revoked key works at most this long",
    )
    bench_routes: bool = Field(
        default=False, description="Mount the benchmark's floor routes under /bench (never in production)"
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
