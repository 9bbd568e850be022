"""The FastAPI application factory."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.accounts.keys import find_key
from app.accounts.router import router as accounts_router
from app.accounts.usage import KeyUsage
from app.addresses.router import router as addresses_router
from app.autoinvoicing.router import router as autoinvoicing_router
from app.bills.router import router as bills_router
from app.cards.router import router as cards_router
from app.certification.router import router as certification_router
from app.console.router import DEFAULT_DIST
from app.console.router import build_router as build_console_router
from app.core.auth import KeyCache, KeyResolver
from app.core.database import Database
from app.core.handlers import install_error_handlers
from app.core.logging import configure_logging
from app.core.middleware import (
    AccessLogMiddleware,
    AuthenticationMiddleware,
    BodyLimit,
    BodyLimitMiddleware,
    ErrorMiddleware,
    IdempotencyMiddleware,
    ResponseHeadersMiddleware,
    TransactionMiddleware,
)
from app.core.openapi import install_openapi
from app.core.ratelimit import RateLimiter
from app.core.settings import Settings, get_settings
from app.events.router import router as events_router
from app.invoiceable.router import router as summary_router
from app.my_account.router import router as my_account_router
from app.ops.docs_router import build_router as build_docs_router
from app.ops.router import router as ops_router
from app.profiles.router import router as profiles_router
from app.requests.filetypes import FILE_PATH_PATTERN
from app.requests.router import router as requests_router
from app.sellers.router import router as sellers_router
from app.webhooks.router import router as webhooks_router

DESCRIPTION = """
Invoice management for the billing center: enterprise certification, invoice profiles,
mailing addresses, monthly bills and stored-value cards, invoice requests and their
finance workflow.

Money is a string with two decimals (CNY). Errors are RFC 9457 problem documents with a
stable `code`. Every POST honours `Idempotency-Key`.
"""

TAGS = [
    {"name": "accounts", "description": "Accounts, cash balances and API keys (billing role)"},
    {"name": "certification", "description": "Enterprise certification (customer)"},
    {"name": "invoice profiles", "description": "Invoice information (customer)"},
    {"name": "mailing addresses", "description": "Sending information (customer)"},
    {"name": "sellers", "description": "The issuing entities (billing writes, finance reads)"},
    {"name": "bills", "description": "Monthly bills"},
    {"name": "stored-value cards", "description": "Stored-value cards"},
    {"name": "invoice requests", "description": "Invoice requests and the finance workflow"},
    {"name": "automatic invoicing", "description": "Automatic monthly invoicing (customer)"},
    {"name": "events", "description": "Events feed for internal services"},
    {
        "name": "webhooks",
        "description": "Webhook endpoints: the events feed pushed, signed (billing and finance)",
    },
    {"name": "operations", "description": "Health, readiness, metrics"},
]


_frozen = False


def _freeze_startup_objects() -> None:
    """`gc.freeze()` once per process, after a collection (nothing cyclic and dead is kept)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    database = Database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pre_ping=settings.db_pre_ping,
        strict_lock_order=settings.strict_lock_order,
    )

    key_usage = KeyUsage(database, settings.key_last_used_seconds)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Everything loaded by now (modules, the app, compiled statements) lives as long as the
        # process: move it out of the collector's sight, so a collection during a request scans
        # only that request's garbage (shorter pauses, a steadier p99; docs/PERFORMANCE.md).
        _freeze_startup_objects()
        yield
        await key_usage.close()
        await database.dispose()

    app = FastAPI(
        title="Invoicing",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # app/ops/docs_router.py serves /docs from this origin; no CDN-loaded /redoc
        redoc_url=None,
        # No OpenTelemetry here (app/core/metrics.py is the service's own): without this, FastAPI
        # asks the global providers on every request whether one was configured (docs/PERFORMANCE.md).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.database = database
    app.state.rate_limiter = RateLimiter(
        settings.rate_limit_per_minute, settings.rate_limit_storage_uri, settings.rate_limit_key_prefix
    )
    app.state.key_cache = KeyCache(settings.auth_cache_seconds)
    app.state.key_usage = key_usage
    failures = RateLimiter(
        settings.auth_failures_per_minute,
        settings.rate_limit_storage_uri,
        settings.rate_limit_key_prefix,
        detail="Too many requests with a missing, unknown or revoked API key from this address; "
        "retry after the time in Retry-After.",
    )
    app.state.key_resolver = KeyResolver(find_key, app.state.key_cache, failures)
    install_error_handlers(app)
    install_openapi(app)
    # Added innermost first: ResponseHeaders → AccessLog → Error → Authentication → BodyLimit →
    # Idempotency → Transaction → the route (app/core/middleware/__init__.py).
    app.add_middleware(TransactionMiddleware, database=database)
    app.add_middleware(IdempotencyMiddleware, database=database, settings=settings)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        timeout_seconds=settings.body_timeout_seconds,
        # Invoice file uploads: up to INVOICING_MAX_FILE_BYTES, every other body INVOICING_MAX_BODY_BYTES.
        larger=[BodyLimit("PUT", FILE_PATH_PATTERN, settings.max_file_bytes)],
    )
    app.add_middleware(AuthenticationMiddleware, database=database, key_resolver=app.state.key_resolver)
    app.add_middleware(ErrorMiddleware)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(ResponseHeadersMiddleware)
    if settings.bench_routes:  # first, so the floors pay the least route matching
        from app.ops.bench import router as bench_router

        app.include_router(bench_router)
    for router in (
        ops_router,
        accounts_router,
        my_account_router,
        certification_router,
        profiles_router,
        addresses_router,
        sellers_router,
        bills_router,
        cards_router,
        summary_router,
        requests_router,
        autoinvoicing_router,
        events_router,
        webhooks_router,
    ):
        app.include_router(router)
    app.include_router(build_docs_router())
    app.include_router(build_console_router(settings.console_dir or DEFAULT_DIST))
    return app
