"""Instructions per request, counted by valgrind's callgrind: the figure other load on the machine cannot move.

    python -m bench.instructions [--postgres URL] [--requests 300] [--concurrency 32] [NAME ...]

Runs the app in process (as bench/inprocess.py: the ASGI callable, no server, no socket, logs on
to /dev/null) under `valgrind --tool=callgrind --instr-atstart=no`, warms every endpoint up, then
switches instrumentation on (`callgrind_control -i on`) for N requests of one endpoint from
`--concurrency` tasks and off again, and prints instructions per request (every thread: aiosqlite's
SQLite calls included; PostgreSQL's own work is in another process and not counted). Wall-clock
rates on a machine shared with other work drift by 2x between minutes; instruction counts repeat
within about 1 %. Needs valgrind (`sudo apt-get install valgrind`). NAMEs: those of bench/inprocess.py.
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.inprocess import DATA


def _count(out_file: Path) -> int:
    text = out_file.read_text(errors="replace")
    match = re.search(r"^totals:\s+(\d+)", text, re.M)
    return int(match.group(1)) if match else 0


async def _child(args: argparse.Namespace) -> None:
    import logging

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
    from bench.inprocess import _one, cases_for

    app = create_app()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115, ASYNC230 - once, for the whole run
    cases = cases_for(app, fixtures)
    pid = str(os.getpid())
    async with app.router.lifespan_context(app):
        for name in args.names:
            target, scope = cases[name]
            for _ in range(30):
                await _one(target, scope)
            remaining = iter(range(args.requests))

            async def client() -> None:
                for _ in remaining:
                    await _one(target, scope)  # noqa: B023 - awaited before the loop moves on

            subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)  # noqa: S603, S607
            subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)  # noqa: S603, S607
            await asyncio.gather(*(client() for _ in range(args.concurrency)))
            subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)  # noqa: S603, S607
            subprocess.run(["callgrind_control", "-d", name, pid], check=True, capture_output=True)  # noqa: S603, S607


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench.instructions", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=["healthz", "F1", "account"])
    parser.add_argument("--size", choices=["quick", "full"], default="quick")
    parser.add_argument("--postgres", help="the server URL bench.run seeded (its invoicing_bench_<size>)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import uvloop  # as the server runs

        uvloop.run(_child(args))
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: `sudo apt-get install valgrind`")
    with tempfile.TemporaryDirectory() as tmp:  # noqa: SIM117
        out = Path(tmp) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "bench.instructions",
            "--child",
            "--size",
            args.size,
            "--requests",
            str(args.requests),
            "--concurrency",
            str(args.concurrency),
            *(["--postgres", args.postgres] if args.postgres else []),
            *args.names,
        ]
        done = subprocess.run(command, check=False, capture_output=True, text=True)  # noqa: S603
        if done.returncode != 0:
            raise SystemExit(f"valgrind failed:\n{done.stderr[-3000:]}")
        dumps = sorted(Path(tmp).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
        if os.environ.get("BENCH_DEBUG"):
            print([p.name for p in dumps], done.stderr[-2000:])
        counts = [_count(dump) for dump in dumps if _count(dump)]
    floor: float | None = None
    for name, total in zip(args.names, counts, strict=False):
        per = total / args.requests
        floor = per if name == "healthz" else floor
        extra = f"   {per / floor:5.2f} x healthz" if floor and name != "healthz" else ""
        print(f"{name:10s} {per / 1e6:8.3f} M instructions/request{extra}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
