"""The cost of one request inside the process: the app called as an ASGI callable, no server, no socket.

    python -m bench.inprocess [--postgres] [--size quick|full] [--requests N] [--concurrency N] [NAME ...]

Drives the service (built by `create_app`, logs to /dev/null) and the bare floor F00 directly with N
requests from `--concurrency` tasks on one event loop, and prints process CPU time (all threads:
aiosqlite's included) and wall time per request. Uses a database seeded by an earlier `make bench`
/ `make bench-quick` run (its fixtures file gives keys and ids). Less sensitive to other load on the
machine than the HTTP bench (CPU time, not throughput) and quick to rerun after a change; the HTTP
bench (`bench.run`) stays the measure of record, as it includes the server and the network.
"""

import argparse
import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.bare import bare

DATA = Path(__file__).resolve().parent / ".data"
App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def _scope(path: str, key: str | None = None, query: bytes = b"") -> dict[str, Any]:
    headers = [(b"host", b"bench")]
    if key:
        headers.append((b"authorization", b"Bearer " + key.encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8000),
    }


async def _one(app: App, scope: dict[str, Any]) -> int:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    status: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(dict(scope), receive, send)
    return status[0]


async def measure(app: App, scope: dict[str, Any], requests: int, concurrency: int) -> tuple[float, float]:
    """(CPU µs, wall µs) per request, after a warm-up."""
    for _ in range(max(20, requests // 20)):
        status = await _one(app, scope)
        if status != 200:
            raise SystemExit(f"{scope['path']}: status {status}")
    remaining = iter(range(requests))

    async def client() -> None:
        for _ in remaining:
            await _one(app, scope)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return (time.process_time() - cpu) / requests * 1e6, (time.perf_counter() - wall) / requests * 1e6


def cases_for(app: App, fixtures: dict[str, Any]) -> dict[str, tuple[App, dict[str, Any]]]:
    """Each measured endpoint: the app to call and its request."""
    customer, finance = fixtures["customer_key"], fixtures["finance_key"]
    request_id = fixtures["customer_request_ids"][0]
    return {
        "F00": (bare, _scope("/")),
        "F0": (app, _scope("/bench/f0")),
        "F1": (app, _scope("/bench/f1", customer)),
        "healthz": (app, _scope("/healthz")),
        "account": (app, _scope("/v1/account", customer)),
        "bills": (app, _scope("/v1/bills", customer, b"limit=20")),
        "request": (app, _scope(f"/v1/invoice-requests/{request_id}", customer)),
        "summary": (app, _scope("/v1/invoiceable-summary", customer)),
        "pending": (app, _scope("/v1/invoice-requests", finance, b"status=pending&limit=50")),
    }


async def main(args: argparse.Namespace) -> None:
    kind = "postgres" if args.postgres else "sqlite"
    fixtures = json.loads((DATA / f"fixtures-{kind}-{args.size}.json").read_text())
    if args.postgres:
        os.environ["INVOICING_DATABASE_URL"] = (
            f"{args.postgres.rstrip('/').rsplit('/', 1)[0]}/invoicing_bench_{args.size}"
        )
    else:
        os.environ["INVOICING_DATABASE_URL"] = f"sqlite:///{DATA / f'bench-{args.size}.db'}"
    os.environ["INVOICING_BENCH_ROUTES"] = "true"
    from app.main import create_app

    app = create_app()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115, ASYNC230 - once, for the whole run
    cases = cases_for(app, fixtures)
    async with app.router.lifespan_context(app):
        floor = None
        for name in args.names or list(cases):
            target, scope = cases[name]
            cpu, wall = await measure(target, scope, args.requests, args.concurrency)
            floor = cpu if name == "F1" else floor
            ratio = f"  x F1 {floor / cpu:.2f}" if floor and name not in ("F00", "F0", "F1") else ""
            print(f"{name:8s} CPU {cpu:8.1f} µs/request   wall {wall:8.1f} µs/request{ratio}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", help="F00 F0 F1 healthz account bills request summary pending (default: all)"
    )
    parser.add_argument("--size", choices=["quick", "full"], default="quick")
    parser.add_argument("--postgres", help="the server URL bench.run seeded (its invoicing_bench_<size>)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    arguments = parser.parse_args()
    try:
        import uvloop

        uvloop.run(main(arguments))
    except ImportError:
        asyncio.run(main(arguments))
