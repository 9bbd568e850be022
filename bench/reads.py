"""The read path under concurrency (issue 24): every read beside its floors, at 32 connections, with wrk.

    python -m bench.reads [--quick] [--postgres URL] [--connections 32] [--duration 10] [--workers 1]

Needs `wrk` (https://github.com/wg/wrk; on Debian/Ubuntu `sudo apt-get install wrk`, on macOS
`brew install wrk`). Uses the database `make bench` / `make bench-quick` seeded (bench/seed.py),
seeding it first if it is missing. With `--postgres URL` it measures SQLite first, then
PostgreSQL (its own database `invoicing_bench_<size>` on that server), each in one run:

- F0: the bare ASGI app (bench/bare.py: no FastAPI, no middleware) under the service's uvicorn
  settings, its own process: the fastest this server stack answers on this machine now.
- F1: `GET /healthz` of the service: the framework, every middleware, the access-log line, the
  metrics, no auth and no database.
- the reads: `GET /v1/account`, `/v1/bills?limit=20`, `/v1/invoice-requests/{id}`,
  `/v1/invoiceable-summary` (customer) and `/v1/invoice-requests?status=pending&limit=50` (finance).

The floors run first and again last (the machine is shared: its speed drifts during a run); each
ratio is to the mean of the two. For every endpoint it prints req/s, wrk's p50 and p99, p99/p50,
the ratio to F1 (and F0), the verdict against the targets (F1 >= 0.3 x F0; every read >= 0.6 x F1
and p99 <= 5 x p50), and the server's own CPU time per request (user + system of every server
process, from /proc, over the run divided by the requests answered): the figure least moved by
other work on the machine, since it counts what the server spent, not how long it waited for a core.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.run import (
    DATA,
    ROOT,
    load_average,
    machine,
    prepare_database,
    process_tree,
    seed_database,
    start_server,
    stop_server,
)

F1_OF_F0_TARGET = 0.3
READ_OF_F1_TARGET = 0.6
TAIL_TARGET = 5.0
WRK_HINT = (
    "wrk is not installed: `sudo apt-get install wrk` (Debian/Ubuntu), `brew install wrk` (macOS), "
    "or build it from https://github.com/wg/wrk"
)


@dataclass(frozen=True)
class Endpoint:
    name: str
    label: str
    path: str
    key: str | None  # the fixtures' key to send
    kind: str  # floor | read
    bare: bool = False


def endpoints(fixtures: dict[str, Any]) -> list[Endpoint]:
    request_id = fixtures["customer_request_ids"][0]
    return [
        Endpoint("F0", "F0 bare ASGI app (no FastAPI, no middleware)", "/", None, "floor", bare=True),
        Endpoint("F1", "F1 GET /healthz (every middleware, no auth, no database)", "/healthz", None, "floor"),
        Endpoint("account", "GET /v1/account", "/v1/account", "customer_key", "read"),
        Endpoint("bills", "GET /v1/bills?limit=20", "/v1/bills?limit=20", "customer_key", "read"),
        Endpoint(
            "request",
            "GET /v1/invoice-requests/{id}",
            f"/v1/invoice-requests/{request_id}",
            "customer_key",
            "read",
        ),
        Endpoint("summary", "GET /v1/invoiceable-summary", "/v1/invoiceable-summary", "customer_key", "read"),
        Endpoint(
            "pending",
            "GET /v1/invoice-requests?status=pending&limit=50 (finance)",
            "/v1/invoice-requests?status=pending&limit=50",
            "finance_key",
            "read",
        ),
    ]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server and its worker processes (exited children included)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime: fields 14-17 of proc(5), 12-15 after the command name
        total += sum(int(value) for value in fields[11:15]) / ticks
    return total


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests, req/s, p50/p99 (ms) and errors from `wrk --latency` output."""
    percentiles = {int(p): _ms(v) for p, v in re.findall(r"^\s+(50|99)(?:\.000)?%\s+(\S+)\s*$", output, re.M)}
    requests = re.search(r"^\s+(\d+) requests in", output, re.M)
    rate = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.M)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if requests is None or rate is None or 50 not in percentiles or 99 not in percentiles:
        raise SystemExit(f"could not read wrk's output:\n{output}")
    failed = int(non_2xx.group(1)) if non_2xx else 0
    failed += sum(int(n) for n in errors.groups()) if errors else 0
    return {
        "requests": int(requests.group(1)),
        "rps": float(rate.group(1)),
        "p50": percentiles[50],
        "p99": percentiles[99],
        "failed": failed,
    }


def run_wrk(
    base: str, endpoint: Endpoint, fixtures: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    command = [
        args.wrk,
        "--latency",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "10s",
    ]
    if endpoint.key:
        command += ["-H", f"Authorization: Bearer {fixtures[endpoint.key]}"]
    done = subprocess.run(  # noqa: S603 - wrk, found on PATH
        [*command, base + endpoint.path], check=True, capture_output=True, text=True
    )
    return parse_wrk(done.stdout)


def warm_up(base: str, bare_base: str, items: list[Endpoint], fixtures: dict[str, Any]) -> None:
    with httpx.Client(timeout=30) as client:
        for _ in range(50):
            for endpoint in items:
                headers = {"Authorization": f"Bearer {fixtures[endpoint.key]}"} if endpoint.key else {}
                url = (bare_base if endpoint.bare else base) + endpoint.path
                response = client.get(url, headers=headers)
                if response.status_code != 200:
                    raise SystemExit(
                        f"warm-up: {endpoint.path} answered {response.status_code}: {response.text}"
                    )


def measure_database(args: argparse.Namespace, postgres: str | None) -> dict[str, Any]:
    size = "quick" if args.quick else "full"
    prepared = argparse.Namespace(postgres=postgres, reuse=True)
    url, fixtures_path, must_seed = prepare_database(prepared, size)
    if must_seed:
        fixtures = seed_database(url, size, fixtures_path)
    else:
        from app.cli import migrate

        if args.app_dir is None:
            migrate(url)  # a database seeded before a newer migration: bring it to head
        fixtures = json.loads(fixtures_path.read_text())
    items = [e for e in endpoints(fixtures) if e.kind == "floor" or not args.only or e.name in args.only]
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    workdir = DATA / f"reads-{stamp}-{'postgres' if postgres else 'sqlite'}"
    workdir.mkdir(parents=True, exist_ok=True)
    load_before = load_average()
    process, base = start_server(url, args.workers, workdir / "server.log", args.app_dir)
    try:
        bare_process, bare_base = start_server(url, args.workers, workdir / "bare.log", bare=True)
    except BaseException:
        stop_server(process)
        raise
    runs: dict[str, list[dict[str, Any]]] = {endpoint.name: [] for endpoint in items}
    floors = [endpoint for endpoint in items if endpoint.kind == "floor"]
    order = floors + [endpoint for endpoint in items if endpoint.kind != "floor"] + floors
    try:
        warm_up(base, bare_base, items, fixtures)
        for endpoint in order:
            server = bare_process if endpoint.bare else process
            print(f"  {endpoint.label} ...", end=" ", flush=True)
            cpu = cpu_seconds(server.pid)
            result = run_wrk(bare_base if endpoint.bare else base, endpoint, fixtures, args)
            result["cpu_us"] = (cpu_seconds(server.pid) - cpu) / max(result["requests"], 1) * 1e6
            runs[endpoint.name].append(result)
            print(
                f"{result['rps']:,.0f} req/s, p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms, "
                f"server CPU {result['cpu_us']:,.0f} us/request",
                flush=True,
            )
    finally:
        stop_server(process)
        stop_server(bare_process)
    return {
        "database": "PostgreSQL" if postgres else "SQLite",
        "size": size,
        "workers": args.workers,
        "connections": args.connections,
        "duration": args.duration,
        "load_before": load_before,
        "load_after": load_average(),
        "items": [endpoint.__dict__ for endpoint in items],
        "runs": runs,
        "workdir": str(workdir.relative_to(ROOT)),
    }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def render(report: dict[str, Any]) -> tuple[str, int, int]:
    runs = report["runs"]
    floor = {name: _mean([run["rps"] for run in runs[name]]) for name in ("F0", "F1")}
    floor_cpu = {name: _mean([run["cpu_us"] for run in runs[name]]) for name in ("F0", "F1")}
    lines = [
        f"{report['database']} ({report['size']} data), {report['workers']} server worker(s), wrk "
        f"{report['connections']} connections x {report['duration']} s per endpoint; load average "
        f"before {report['load_before']}, after {report['load_after']}",
        "",
        "| endpoint | req/s | p50 ms | p99 ms | p99/p50 | x F1 | x F0 | server CPU us/req | target | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    met = total = 0
    for item in report["items"]:
        name = item["name"]
        measured = runs[name]
        rps = _mean([run["rps"] for run in measured])
        p50 = _mean([run["p50"] for run in measured])
        p99 = _mean([run["p99"] for run in measured])
        cpu = _mean([run["cpu_us"] for run in measured])
        failed = sum(run["failed"] for run in measured)
        tail = p99 / p50 if p50 else 0.0
        x_f1 = rps / floor["F1"] if floor["F1"] else 0.0
        x_f0 = rps / floor["F0"] if floor["F0"] else 0.0
        if name == "F0":
            target, ok = "floor", None
        elif name == "F1":
            target, ok = f"F1 >= {F1_OF_F0_TARGET} x F0", x_f0 >= F1_OF_F0_TARGET and not failed
        else:
            target = f">= {READ_OF_F1_TARGET} x F1, p99 <= {TAIL_TARGET:g} x p50"
            ok = x_f1 >= READ_OF_F1_TARGET and tail <= TAIL_TARGET and not failed
        if ok is not None:
            total += 1
            met += int(ok)
        verdict = "" if ok is None else ("PASS" if ok else "FAIL")
        if failed:
            verdict += f" ({failed:,} failed)"
        rounds = " / ".join(f"{run['rps']:,.0f}" for run in measured)
        lines.append(
            f"| {item['label']}{' (runs ' + rounds + ')' if len(measured) > 1 else ''} | {rps:,.0f} | "
            f"{p50:.2f} | {p99:.2f} | {tail:.1f} | {x_f1:.2f} | {x_f0:.2f} | {cpu:,.0f} | {target} | {verdict} |"
        )
    lines += [
        "",
        f"server CPU per request: F1 - F0 = {floor_cpu['F1'] - floor_cpu['F0']:,.0f} us (the framework and our "
        "middleware); each read - F1 = what auth, the database and the route cost",
        f"targets: {met} of {total} met ({report['workdir']})",
    ]
    return "\n".join(lines), met, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench.reads", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="the CI-scale data set (bench-quick)")
    parser.add_argument("--postgres", metavar="URL", help="also measure PostgreSQL on this server")
    parser.add_argument("--no-sqlite", action="store_true", help="with --postgres: PostgreSQL only")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--threads", type=int, default=1, help="wrk threads (default 1: the server needs a core)"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--workers", type=int, default=1, help="server workers (F0 gets as many)")
    parser.add_argument("--only", type=lambda text: text.split(","), help="reads to run, e.g. account,bills")
    parser.add_argument(
        "--app-dir",
        type=Path,
        help="serve this tree instead (e.g. `git archive` of an older commit): before/after",
    )
    parser.add_argument("--wrk", default=shutil.which("wrk"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.wrk:
        raise SystemExit(WRK_HINT)
    targets = ([] if args.no_sqlite and args.postgres else [None]) + (
        [args.postgres] if args.postgres else []
    )
    print(f"machine: {machine()} (shared: compare ratios and CPU per request, not rates)", flush=True)
    texts, met, total = [], 0, 0
    for postgres in targets:
        print(f"{'PostgreSQL' if postgres else 'SQLite'}:", flush=True)
        report = measure_database(args, postgres)
        text, ok, count = render(report)
        (ROOT / report["workdir"] / "report.md").write_text(text + "\n")
        (ROOT / report["workdir"] / "report.json").write_text(json.dumps(report, indent=2))
        texts.append(text)
        met, total = met + ok, total + count
    print()
    print("\n\n".join(texts))
    print(f"\nread path: {met} of {total} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
