"""Where an endpoint's time goes: pyinstrument over N requests, in process, against a seeded database.

    python -m bench.profile pending [--requests 300] [--postgres URL] [--quick]

Runs after `make bench` (or `make bench-quick`) has seeded the database: the app is created as
`invoicing serve` would create it and called through its ASGI interface (middleware, routing,
auth, the endpoint, the commit and the response body), without the HTTP server and the load
generator, so the profile shows only the service's own work. SQLite calls run in aiosqlite's
thread per connection: the profile shows the event loop's wait for them, not SQLite's own work.
"""

import argparse
import asyncio
import json
import logging
import time
from typing import Any

from pyinstrument import Profiler

from app.core.settings import Settings
from app.main import create_app
from bench.run import DATA

ENDPOINTS = {
    "F0": ("/bench/f0", None, ""),
    "F1": ("/bench/f1", "customer_key", ""),
    "healthz": ("/healthz", None, ""),
    "account": ("/v1/account", "customer_key", ""),
    "bills": ("/v1/bills", "customer_key", "limit=20"),
    "request": ("/v1/invoice-requests/{request_id}", "customer_key", ""),
    "summary": ("/v1/invoiceable-summary", "customer_key", ""),
    "pending": ("/v1/invoice-requests", "finance_key", "status=pending&limit=50"),
    "first page": ("/v1/invoice-requests", "finance_key", "limit=50"),
    "deep page": ("/v1/invoice-requests", "finance_key", "limit=50&cursor={deep_cursor}"),
}


async def call(app: Any, path: str, key: str | None, query: str) -> int:
    headers = [(b"host", b"bench")]
    if key:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def profile(url: str, fixtures: dict[str, Any], endpoint: str, requests: int) -> tuple[Profiler, float]:
    app = create_app(Settings(database_url=url, bench_routes=True))
    logging.getLogger("invoicing.access").disabled = True  # the JSON log line is not what we look at
    path, key_name, query = ENDPOINTS[endpoint]
    path = path.format(request_id=fixtures["customer_request_ids"][3])
    query = query.format(deep_cursor=fixtures["deep_cursor"])
    key = fixtures[key_name] if key_name else None
    async with app.router.lifespan_context(app):
        for _ in range(50):  # warm caches, compiled statements, the key cache
            assert await call(app, path, key, query) == 200
        profiler = Profiler(interval=0.0002, async_mode="disabled")
        started = time.perf_counter()
        profiler.start()
        for _ in range(requests):
            await call(app, path, key, query)
        profiler.stop()
        per_request = (time.perf_counter() - started) / requests
    return profiler, per_request


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench.profile", description=__doc__)
    parser.add_argument("endpoint", choices=sorted(ENDPOINTS))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="the database seeded by make bench-quick")
    parser.add_argument("--postgres", metavar="URL", help="the PostgreSQL server make bench seeded")
    args = parser.parse_args()
    size = "quick" if args.quick else "full"
    if args.postgres:
        from sqlalchemy.engine import make_url

        url = make_url(args.postgres).set(drivername="postgresql+psycopg", database=f"invoicing_bench_{size}")
        database_url = url.render_as_string(hide_password=False)
        fixtures_path = DATA / f"fixtures-postgres-{size}.json"
    else:
        database_url = f"sqlite:///{DATA / f'bench-{size}.db'}"
        fixtures_path = DATA / f"fixtures-sqlite-{size}.json"
    if not fixtures_path.exists():
        raise SystemExit(f"no seeded database ({fixtures_path} is missing): run make bench first")
    fixtures = json.loads(fixtures_path.read_text())
    profiler, per_request = asyncio.run(profile(database_url, fixtures, args.endpoint, args.requests))
    print(profiler.output_text(color=False, short_mode=False))
    print(f"{args.endpoint}: {per_request * 1e6:.0f} us per request in process (with the profiler on)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
