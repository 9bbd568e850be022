"""The worker, measured (issue 15): emails per second and the automatic-invoicing run, for `make bench`.

    python -m bench.worker [--mails N] [--accounts N] [--postgres URL]

1. Mail: enqueues N `request_rejected` mails, starts a local SMTP server (aiosmtpd, loopback) and
   drains the queue with one `Worker` (app/worker/runner.py) through the real SMTP transport; prints
   messages per second and checks the server accepted every one.
2. Automatic invoicing: seeds N enabled accounts (bench/auto_invoicing.py), then runs the job in
   fresh child processes (two side by side on PostgreSQL, each its part of the ids, as two workers
   serve the daily run's part jobs; one on SQLite), so each one's peak resident memory (VmHWM,
   /proc/self/status) is the run's alone; prints accounts per second, time per account and peak memory.
   `--auto-only 10000,100000 [--auto-workers 2]` measures only this, at each scale (issue 24:
   >= 200 accounts/s on PostgreSQL with two workers, peak RSS flat from 10,000 to 100,000).
Each part uses its own fresh database (SQLite file in a temporary directory, or a database created on
the PostgreSQL server and dropped after).
"""

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.cli import migrate
from app.core.database import Database
from app.core.settings import Settings


@contextmanager
def fresh_database(postgres: str | None) -> Iterator[str]:
    if postgres:
        os.environ["INVOICING_TEST_POSTGRES_URL"] = postgres
        from tests.conftest import create_postgres_database, drop_postgres_database

        url, name = create_postgres_database()
        try:
            yield url
        finally:
            drop_postgres_database(name)
    else:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{Path(directory) / 'worker.db'}"


class Counter:
    """aiosmtpd handler that accepts every message and counts it."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
        return "250 2.0.0 OK"


async def _send_mails(url: str, mails: int, smtp_port: int) -> tuple[int, float]:
    from app import jobs
    from app.mail.service import enqueue_mail
    from app.worker.runner import Worker

    settings = Settings(database_url=url, log_level="WARNING", smtp_url=f"smtp://127.0.0.1:{smtp_port}")
    database = Database(url, pool_size=2, max_overflow=2)
    try:
        async with database.write_session() as session, session.begin():
            for n in range(mails):
                context = {"recipient": "Li Lei", "reason": "Wrong title", "amount": "100.00"}
                context["request_id"] = f"00000000-0000-0000-0000-{n:012d}"
                await enqueue_mail(session, "request_rejected", [f"a{n}@acme.example"], context)
        worker = Worker(database, settings, jobs.load_registry(), jobs.services(settings))
        started = time.perf_counter()
        ran = await worker.drain()
        return ran, time.perf_counter() - started
    finally:
        await database.dispose()


def bench_mail(mails: int, postgres: str | None) -> dict[str, Any]:
    from aiosmtpd.controller import Controller

    from bench.run import free_port

    with fresh_database(postgres) as url:
        migrate(url)
        handler = Counter()
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        try:
            ran, seconds = asyncio.run(_send_mails(url, mails, controller.port))
        finally:
            controller.stop()
    if handler.count != mails:
        raise SystemExit(f"mail bench: the SMTP server accepted {handler.count} of {mails} messages")
    return {"mails": mails, "jobs": ran, "seconds": seconds, "per_second": mails / seconds}


async def _auto_invoice(url: str, index: int, count: int) -> dict[str, Any]:
    from app.autoinvoicing import job
    from bench.auto_invoicing import DAY

    settings = Settings(database_url=url, log_level="WARNING")
    database = Database(url)
    try:
        started = time.perf_counter()
        result = await job.run(database, settings, DAY, part=job.Part(index, count))
        seconds = time.perf_counter() - started
    finally:
        await database.dispose()
    return {"requested": result.requested, "skipped": result.skipped, "seconds": seconds}


def own_peak_rss_mib() -> float:
    """This process's own peak resident set: VmHWM, the high-water mark of its address space since
    its exec. Not `ru_maxrss`: on Linux a child's ru_maxrss starts at its parent's peak at the fork
    (the kernel carries it across exec), so the children of the bench, forked after seeding, used to
    report the seeding process's memory, which grows with the accounts seeded."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def bench_auto_invoicing(accounts: int, postgres: str | None, workers: int = 1) -> dict[str, Any]:
    """Seeds `accounts` enabled accounts, then runs the job in `workers` fresh processes side by
    side, each serving its part of the ids (as the worker's part jobs do, app/autoinvoicing/tasks.py):
    accounts per second over the whole run, and the largest peak RSS of one of them."""
    from bench.auto_invoicing import seed

    with fresh_database(postgres) as url:
        migrate(url)
        started = time.perf_counter()
        seed(url, accounts)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        children = [
            subprocess.Popen(  # noqa: S603 - this module, in a clean process
                [
                    sys.executable,
                    "-m",
                    "bench.worker",
                    "--run-auto-invoicing",
                    url,
                    "--part",
                    f"{index}/{workers}",
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            for index in range(workers)
        ]
        outputs = [child.communicate()[0] for child in children]
        seconds = time.perf_counter() - started
        if any(child.returncode for child in children):
            raise SystemExit("an automatic-invoicing process failed")
    results = [json.loads(output.strip().splitlines()[-1]) for output in outputs]
    return {
        "accounts": accounts,
        "workers": workers,
        "seed_seconds": seeded,
        "seconds": seconds,
        "requested": sum(r["requested"] for r in results),
        "skipped": sum(r["skipped"] for r in results),
        "peak_rss_mib": max(r["peak_rss_mib"] for r in results),
        "cpu_seconds": sum(r.get("cpu_seconds", 0.0) for r in results),
    }


def render_auto(auto: dict[str, Any]) -> str:
    served = auto["requested"] + auto["skipped"]
    return (
        f"worker: automatic invoicing over {auto['accounts']:,} enabled accounts, {auto['workers']} "
        f"process(es): {auto['requested']:,} requests, {auto['skipped']:,} skipped "
        f"in {auto['seconds']:.1f} s "
        f"= {served / auto['seconds']:.0f} accounts/s ({auto['seconds'] / max(served, 1) * 1000:.1f} ms per "
        f"account; the processes' own CPU {auto.get('cpu_seconds', 0) / max(served, 1) * 1000:.1f} ms per "
        f"account), peak RSS {auto['peak_rss_mib']:.0f} MiB per process"
    )


AUTO_TARGET = 200  # accounts/s on PostgreSQL with two workers (issue 24)
FLAT_TARGET = 1.10  # peak RSS at the largest scale <= this x the peak at the smallest


def auto_verdicts(runs: list[dict[str, Any]], postgres: bool) -> list[str]:
    """Issue 24's two targets of automatic invoicing, each with its verdict."""
    lines = []
    for auto in runs:
        rate = (auto["requested"] + auto["skipped"]) / auto["seconds"]
        if postgres and auto["workers"] >= 2:
            verdict = "PASS" if rate >= AUTO_TARGET else "FAIL"
            lines.append(
                f"issue 24: automatic invoicing at {auto['accounts']:,} accounts, {auto['workers']} workers: "
                f"{rate:.0f} accounts/s (target >= {AUTO_TARGET} on PostgreSQL with two workers) {verdict}"
            )
    if len(runs) > 1:
        small, large = runs[0], runs[-1]
        ratio = large["peak_rss_mib"] / small["peak_rss_mib"]
        lines.append(
            f"issue 24: automatic invoicing peak RSS per process {small['peak_rss_mib']:.0f} MiB at "
            f"{small['accounts']:,} accounts, {large['peak_rss_mib']:.0f} MiB at {large['accounts']:,}: "
            f"{ratio:.2f} x (target flat, <= {FLAT_TARGET:.2f} x) "
            f"{'PASS' if ratio <= FLAT_TARGET else 'FAIL'}"
        )
    return lines


def render(mail: dict[str, Any], auto: dict[str, Any]) -> list[str]:
    return [
        f"worker: {mail['mails']:,} emails to a local SMTP server (aiosmtpd) in {mail['seconds']:.1f} s: "
        f"{mail['per_second']:.0f} emails/s (one worker)",
        render_auto(auto),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--postgres", help="a server URL; databases are created on it and dropped after")
    parser.add_argument("--run-auto-invoicing", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--part", default="0/1", help=argparse.SUPPRESS)
    parser.add_argument(
        "--auto-only",
        metavar="N,N",
        help="only automatic invoicing, at each of these numbers of accounts (e.g. 10000,100000)",
    )
    parser.add_argument("--auto-workers", type=int, default=2, help="processes side by side (--auto-only)")
    args = parser.parse_args(argv)
    if args.run_auto_invoicing:  # the child process of bench_auto_invoicing
        index, count = (int(n) for n in args.part.split("/"))
        result = asyncio.run(_auto_invoice(args.run_auto_invoicing, index, count))
        result["peak_rss_mib"] = own_peak_rss_mib()
        usage = resource.getrusage(resource.RUSAGE_SELF)  # CPU time is not inherited, unlike ru_maxrss
        result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
        print(json.dumps(result))
        return 0
    if args.auto_only:
        runs = []
        for accounts in (int(n) for n in args.auto_only.split(",")):
            runs.append(bench_auto_invoicing(accounts, args.postgres, args.auto_workers))
            print(render_auto(runs[-1]), flush=True)
        print("\n".join(auto_verdicts(runs, bool(args.postgres))))
        return 0
    mail = bench_mail(args.mails, args.postgres)
    auto = bench_auto_invoicing(args.accounts, args.postgres, 2 if args.postgres else 1)
    print("\n".join(render(mail, auto)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
