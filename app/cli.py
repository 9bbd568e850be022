"""The `invoicing` command line: migrate, create-key, revoke-key, serve, worker, auto-invoice, demo."""

import argparse
import asyncio
import importlib.util
import os
import re
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from app.core.migrations import alembic_config, migrate
from app.core.settings import get_settings

__all__ = ["alembic_config", "main", "migrate"]


async def _create_key(role: str, account: str | None, name: str | None = None) -> str:
    from app.accounts import service
    from app.core.auth import Role
    from app.core.database import Database

    settings = get_settings()
    database = Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        async with database.write_session() as session, session.begin():
            account_id = uuid.UUID(account) if account else None
            issued = await service.issue_key(session, Role(role), account_id, name)
        return issued.key
    finally:
        await database.dispose()


async def _ensure_default_seller() -> str:
    """The default seller's name: created from INVOICING_SELLER_* when there is none (the upgrade
    that adds sellers creates it; a database whose sellers were emptied by hand gets one again)."""
    from app.core.database import Database
    from app.sellers.service import ensure_default_seller

    settings = get_settings()
    database = Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        async with database.write_session() as session, session.begin():
            seller = await ensure_default_seller(session, settings)
            return seller.name
    finally:
        await database.dispose()


async def _revoke_key(prefix: str) -> str:
    """Revoke the key with this prefix; the line to print. DomainError when none or several match."""
    from app.accounts import service
    from app.core.database import Database

    settings = get_settings()
    database = Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        async with database.write_session() as session, session.begin():
            revoked = await service.revoke_by_prefix(session, prefix)
    finally:
        await database.dispose()
    key = revoked.key
    what = f"{key.role} key {key.id} (prefix {key.prefix})"
    if revoked.already:
        return f"{what} was already revoked at {key.revoked_at:%Y-%m-%dT%H:%M:%SZ}"
    cache = settings.auth_cache_seconds
    return f"revoked {what}; every worker refuses it within {cache} s (INVOICING_AUTH_CACHE_SECONDS)"


def _start_worker() -> subprocess.Popen[bytes]:
    """`serve --with-worker`: one `invoicing worker` beside the API, stopped with it."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "app.cli", "worker", "--parent-pid", str(os.getpid())]
    )


def _stop_worker(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # it finishes the job in hand
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(host: str, port: int, workers: int, with_worker: bool = False) -> None:
    worker = _start_worker() if with_worker else None
    try:
        _serve(host, port, workers)
    finally:
        if worker is not None:
            _stop_worker(worker)


def run_worker(*, drain: bool, parent_pid: int | None) -> int:
    from app import jobs
    from app.core.logging import configure_logging
    from app.worker.runner import run_worker as run

    settings = get_settings()
    configure_logging(settings.log_level)
    return asyncio.run(
        run(settings, jobs.load_registry(), jobs.services(settings), drain=drain, parent_pid=parent_pid)
    )


async def _auto_invoice(day: date) -> tuple[list[str], bool]:
    from app.autoinvoicing import job
    from app.core.database import Database

    settings = get_settings()
    database = Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        result = await job.run(database, settings, day)
    finally:
        await database.dispose()
    lines = []
    if result.before_day:
        lines.append(
            f"{day.isoformat()} is before day {settings.auto_invoicing_day} of the month: nothing is due yet"
        )
    elif result.idle:
        lines.append(f"{result.idle} enabled account(s) had nothing to request for {result.month}")
    if result.failed:
        lines.append(f"{result.failed} account(s) failed (see the log); run again to retry them")
    return [*lines, result.summary()], result.failed == 0


def _date(value: str) -> date:
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError("must be a date YYYY-MM-DD")


def _serve(host: str, port: int, workers: int, target: str = "app.main:create_app") -> None:
    """Serve the app factory `target` (the bench's bare floor F00 passes its own, same settings)."""
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": 30,
        # uvloop (a pinned dependency) when installed: measured faster (docs/PERFORMANCE.md). HTTP is
        # always httptools (a pinned dependency, also measured faster), with our limits on the size
        # and arrival time of a request's line and headers (app/core/http_protocol.py).
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "http": "app.core.http_protocol:GuardedHttpToolsProtocol",
    }
    if workers == 1:
        uvicorn.run(target, **options)
        return
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Metrics from every worker are summed through files in this directory.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="invoicing-metrics-")
    config = uvicorn.Config(target, **options)
    sock = config.bind_socket()
    # uvicorn binds the shared socket with protocol 0, so asyncio does not turn Nagle off on the
    # connections the workers accept, and a response written as head then body waits for the
    # client's delayed ACK (~40 ms). Accepted sockets inherit TCP_NODELAY from the listener.
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="invoicing", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the database to the newest schema")
    key = sub.add_parser("create-key", help="create an API key and print it as the last line")
    key.add_argument("--role", required=True, choices=["customer", "billing", "finance"])
    key.add_argument("--account", help="the account id (customer keys only)")
    key.add_argument(
        "--name",
        help="the operator holding a billing or finance key (named on the timeline of its moves)",
    )
    revoke = sub.add_parser("revoke-key", help="revoke an API key of any role, named by its prefix")
    revoke.add_argument("prefix", help="the key's prefix as listed (e.g. ik_Xk2pQ9vA), or the whole key")
    run = sub.add_parser("serve", help="run the API")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--workers", type=int, default=1)
    run.add_argument(
        "--with-worker", action="store_true", help="also run one background worker (invoicing worker)"
    )
    work = sub.add_parser("worker", help="run background jobs (email delivery, housekeeping) until SIGTERM")
    work.add_argument("--drain", action="store_true", help="run every due job, then exit")
    work.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    auto = sub.add_parser(
        "auto-invoice",
        help="run automatic monthly invoicing once, as of --date; prints `requested N, skipped M` last",
    )
    auto.add_argument("--date", type=_date, default=None, help="YYYY-MM-DD (default: today, UTC)")
    sub.add_parser("demo", help="migrate, load a demo account, and print one key per role as the last lines")
    args = parser.parse_args(argv)

    if args.command == "migrate":
        migrate()
        print(f"default seller: {asyncio.run(_ensure_default_seller())}")
        print("database at the newest schema")
    elif args.command == "create-key":
        if (args.role == "customer") != (args.account is not None):
            parser.error("--account is required for customer keys and refused for the others")
        try:
            if args.account:
                uuid.UUID(args.account)
        except ValueError:
            parser.error("--account must be an account id")
        if args.name is not None:
            if args.role == "customer":
                parser.error("--name is for billing and finance keys (a customer key is its account's)")
            args.name = args.name.strip()
            if not 1 <= len(args.name) <= 100 or not args.name.isprintable():
                parser.error("--name must be 1-100 printable characters")
        try:
            key_value = asyncio.run(_create_key(args.role, args.account, args.name))
        except Exception as exc:  # a clear line for the operator, not a traceback
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"{args.role} key (shown once):", file=sys.stderr)
        print(key_value)
    elif args.command == "auto-invoice":
        day = args.date or datetime.now(UTC).date()
        try:
            lines, complete = asyncio.run(_auto_invoice(day))
        except Exception as exc:  # a clear line for the operator, not a traceback
            print(f"error: {exc}", file=sys.stderr)
            return 1
        for line in lines:
            print(line)
        if not complete:
            return 1
    elif args.command == "revoke-key":
        from app.core.errors import DomainError

        try:
            print(asyncio.run(_revoke_key(args.prefix)))
        except DomainError as refusal:  # none or several keys: say so, no traceback
            print(f"error: {refusal.detail}", file=sys.stderr)
            return 1
    elif args.command == "serve":
        serve(args.host, args.port, args.workers, with_worker=args.with_worker)
    elif args.command == "worker":
        return run_worker(drain=args.drain, parent_pid=args.parent_pid)
    elif args.command == "demo":
        from app import demo  # imports every service; only this command needs them

        return demo.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
