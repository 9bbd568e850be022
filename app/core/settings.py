"""Service configuration, read once from `INVOICING_*` environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
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
    red_letter_confirm_hours: int = Field(
        default=72,
        ge=1,
        le=8760,
        description="How long the buyer has to confirm or decline a red-letter reversal that needs its "
        "agreement; then the worker returns the request to where it was (reversal_expired)",
    )
    log_level: str = Field(default="INFO", description="Python log level for the JSON logs")
    metrics_token: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="Set: /metrics needs `Authorization: Bearer <token>`. Unset: /metrics answers only "
        "clients on the loopback interface that no proxy forwarded",
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest accepted request body (every JSON body)"
    )
    max_file_bytes: int = Field(
        default=10_485_760, ge=1024, description="Largest accepted invoice file upload (PUT …/files/{format})"
    )
    max_header_bytes: int = Field(
        default=16_384,
        ge=1024,
        description="Largest request line plus headers; past it the server answers 431 and closes",
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="A request's line and headers must arrive within this (from the connection or the "
        "request's first byte); else 408 and the connection is closed",
    )
    body_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A request's body must arrive within this after its headers; else 408 request_timeout",
    )
    auth_failures_per_minute: int = Field(
        default=60,
        ge=0,
        description="Requests with a missing, unknown or revoked key per client address and minute; "
        "past it they get 429 rate_limited instead of 401; 0 = off",
    )
    idempotency_ttl_seconds: int = Field(default=86_400, ge=60, description="How long keys are replayed")
    idempotency_lock_seconds: int = Field(
        default=60, ge=1, description="After this, an in-flight key left by a crashed worker may be retaken"
    )
    db_pool_size: int = Field(default=10, ge=1, description="Connections per worker (PostgreSQL)")
    db_max_overflow: int = Field(default=10, ge=0, description="Extra connections per worker (PostgreSQL)")
    db_pre_ping: bool = Field(
        default=True,
        description="PostgreSQL: test each pooled connection as it is checked out (one round trip per "
        "request); off, the first request on a connection the server dropped answers 503 and the pool "
        "is renewed",
    )
    rate_limit_per_minute: int = Field(
        default=0, ge=0, description="Requests per minute per API key; 0 = off"
    )
    rate_limit_storage_uri: str = Field(
        default="async+memory://",
        description="`limits` storage; memory is per worker process, async+redis://host:6379/0 is shared",
    )
    rate_limit_key_prefix: str = Field(
        default="invoicing", min_length=1, description="Prefix of the limiter's keys in a shared store"
    )
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0, description="How long SQLite waits for a lock")
    auth_cache_seconds: int = Field(
        default=5,
        ge=0,
        description="How long a worker trusts a resolved API key; a revoked key works at most this long",
    )
    worker_poll_seconds: float = Field(
        default=1.0, gt=0, description="How long an idle worker waits before it looks for due jobs again"
    )
    worker_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A running job's lease; a job whose worker died is taken again once it expires",
    )
    worker_retry_seconds: str = Field(
        default="30,120,600,1800,7200",
        pattern=r"^\s*[0-9]+(\.[0-9]+)?(\s*,\s*[0-9]+(\.[0-9]+)?)*\s*$",
        description="Pauses before each retry of a failed job, comma-separated; tries = pauses + 1",
    )
    worker_keep_done_days: int = Field(
        default=7, ge=1, description="Finished jobs are deleted by housekeeping after this many days"
    )
    smtp_url: str | None = Field(
        default=None,
        description="smtp://user:pass@host:port (?starttls=true) or smtps://… (implicit TLS); unset: .eml",
    )
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, description="Connect and command timeout")
    mail_from: str = Field(
        default="Invoicing <invoicing@localhost>", description="The From of every message the service sends"
    )
    mail_dir: str = Field(
        default="./mail", description="Where messages are written as .eml files when no SMTP URL is set"
    )
    pdf_font_path: Path | None = Field(
        default=None,
        description="The CJK font (.ttf/.otf/.ttc) invoice PDFs are set in; unset: the first found of "
        "Debian's fonts-wqy-microhei, fonts-wqy-zenhei, fonts-arphic-uming, fonts-droid-fallback, "
        "fonts-noto-cjk",
    )
    tax_platform: Literal["manual", "sandbox"] = Field(
        default="manual",
        description="Who issues invoices: manual (finance types the numbers) or sandbox (the built-in "
        "tax platform, app/taxplatform/sandbox.py)",
    )
    tax_sandbox_delay_seconds: float = Field(
        default=1.0,
        ge=0,
        description="The sandbox tax platform answers a submission as issued this long after it",
    )
    sla_business_days: int = Field(
        default=1,
        ge=0,
        le=60,
        description="An invoice request is due this many business days (Mon-Fri, Asia/Shanghai) later",
    )
    auto_invoicing_day: int = Field(
        default=8,
        ge=1,
        le=28,
        description="From this day of each month, the earlier months' invoices are requested automatically",
    )
    auto_invoicing_batch_size: int = Field(
        default=200, ge=1, le=10_000, description="Accounts read per batch by the monthly job"
    )
    auto_invoicing_concurrency: int = Field(
        default=4,
        ge=1,
        le=16,
        description="Accounts the monthly job serves at once per process, each in its own transaction "
        "(PostgreSQL; SQLite serves one at a time)",
    )
    key_last_used_seconds: int = Field(
        default=60,
        ge=0,
        description="Each worker writes a key's last_used_at at most once in this many seconds; 0 = never",
    )
    console_dir: Path | None = Field(
        default=None, description="The console's built bundle; default web/dist beside the app package"
    )
    webhook_allowed_http_hosts: str = Field(
        default="",
        description="Hosts (comma-separated) whose webhook endpoints may use http://; every other URL must "
        "be https://",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=300, description="A webhook delivery's whole time: connect, send, response"
    )
    webhook_retry_hours: float = Field(
        default=72.0, gt=0, description="After failing this long, an endpoint shows status `failing`"
    )
    webhook_retry_seconds: str = Field(
        default="5,30,120,600,1800,3600,7200,14400",
        pattern=r"^\s*[0-9]+(\.[0-9]+)?(\s*,\s*[0-9]+(\.[0-9]+)?)*\s*$",
        description="Pauses before each retry of a webhook delivery, comma-separated; the last repeats",
    )
    webhook_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often an endpoint with nothing to send looks at the feed again"
    )
    webhook_secret_key: SecretStr | None = Field(
        default=None,
        description="A Fernet key (`Fernet.generate_key()`) that encrypts webhook secrets at rest; unset: "
        "stored as they are",
    )
    webhook_keep_deliveries_days: int = Field(
        default=30, ge=1, description="Delivery attempts are deleted by housekeeping after this many days"
    )
    seller_name: str = Field(
        default="杭州示例云计算有限公司",
        min_length=2,
        max_length=100,
        description="The default seller that `invoicing migrate` creates when there is none: its name",
    )
    seller_taxpayer_id: str = Field(
        default="91330106MA27ABCD00",
        pattern=r"^[0-9A-HJ-NP-RTUW-Y]{18}$",
        description="The default seller's Unified Social Credit Code",
    )
    seller_address: str = Field(
        default="浙江省杭州市西湖区文三路1号", description="The default seller's address"
    )
    seller_phone: str = Field(default="0571-88888888", description="The default seller's phone")
    seller_bank_name: str = Field(
        default="中国工商银行杭州文三路支行", description="The default seller's bank"
    )
    seller_bank_account: str = Field(
        default="1202020000000000001", description="The default seller's bank account"
    )
    seller_max_invoice_amount: int | None = Field(
        default=None,
        gt=0,
        description="The default seller's largest tax-inclusive amount per invoice, in fen; unset: no limit",
    )
    default_tax_rate: Literal["0.00", "0.01", "0.03", "0.05", "0.06", "0.09", "0.13"] = Field(
        default="0.06", description="The tax rate of a bill or card that gives none"
    )
    default_tax_category_code: str = Field(
        default="3040201000000000000",
        pattern=r"^[0-9]{19}$",
        description="The tax category code (税收分类编码) of a bill or card that gives none: information "
        "technology services (信息技术服务)",
    )
    default_item_name: str = Field(
        default="*信息技术服务*云服务费",
        min_length=1,
        max_length=100,
        description="The item name on invoice lines of a bill or card that gives none",
    )
    bench_routes: bool = Field(
        default=False, description="Mount the benchmark's floor routes under /bench (never in production)"
    )
    strict_lock_order: bool = Field(
        default=False,
        description="PostgreSQL: fail a transaction that locks an account after it was given a transaction "
        "id (the events feed could list its events out of order); off, it is logged and counted. The "
        "tests turn it on",
    )

    @property
    def retry_pauses(self) -> tuple[float, ...]:
        """Seconds to wait before the 2nd, 3rd, … try of a failed job."""
        return tuple(float(part) for part in self.worker_retry_seconds.split(","))

    @property
    def webhook_retry_pauses(self) -> tuple[float, ...]:
        """Seconds to wait before the 2nd, 3rd, … try of a webhook delivery (the last repeats)."""
        return tuple(float(part) for part in self.webhook_retry_seconds.split(","))

    @property
    def webhook_http_hosts(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.webhook_allowed_http_hosts.split(",") if h.strip())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
