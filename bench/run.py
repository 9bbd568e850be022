"""`make bench` / `make bench-quick`: seed, serve, load with locust, compare every endpoint to the floors.

    python -m bench.run [--quick] [--postgres URL] [--workers N] [--users N] [--duration S] [--rounds N]

Seeds a database through the service's tables (bench/seed.py), starts `invoicing serve` as a real
process with the bench-only floor routes (INVOICING_BENCH_ROUTES=true), then drives each endpoint
in turn with a headless locust run on loopback, all against the same server process. Prints
throughput and p50/p99 latency of each, its throughput as a ratio to F1 and F0, the deep/first page
latency ratio of a keyset list, the server's peak memory, and every target with its verdict.
"""

import argparse
import dataclasses
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

from bench.filters import FILTERED_DEEP, FINANCE_FILTERS, filter_path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Phase:
    name: str
    user: str  # class in bench/locustfile.py
    label: str
    kind: str  # floor | read | write | page
    server: str = "service"  # service | bare (bench/bare.py, F00 only)


PHASES = [
    Phase("F00", "F00", "F00 bare ASGI app (no FastAPI, no middleware)", "floor", "bare"),
    Phase("F0", "F0", "F0  GET /bench/f0 (no auth, no database)", "floor"),
    Phase("F1", "F1", "F1  GET /bench/f1 (auth + one primary-key read)", "floor"),
    Phase("bills", "Bills", "GET /v1/bills?limit=20", "read"),
    Phase("request", "RequestGet", "GET /v1/invoice-requests/{id}", "read"),
    Phase("summary", "Summary", "GET /v1/invoiceable-summary", "read"),
    Phase("pending", "FinancePending", "GET /v1/invoice-requests?status=pending&limit=50 (finance)", "read"),
    Phase("first page", "FirstPage", "GET /v1/invoice-requests?limit=50 (finance, first page)", "page"),
    Phase("deep page", "DeepPage", "the same, ~50,000 deep (keyset cursor)", "page"),
    # The finance desk's search (SPEC §9): each filter's first page, and two deep pages (bench/filters.py).
    *(
        Phase(name, user, f"GET /v1/invoice-requests{label} (finance)", "page" if "deep" in name else "read")
        for (name, (label, _)), user in zip(
            FINANCE_FILTERS.items(),
            [
                "ByInvoiceNumber",
                "ByTaxpayerId",
                "ByTitle",
                "ByAmountRange",
                "BySeller",
                "ByIssuedDates",
                "Overdue",
                "ByTaxpayerIdDeep",
                "OverdueDeep",
            ],
            strict=True,
        )
    ),
    Phase("create", "Create", "POST /v1/invoice-requests (5 bills)", "write"),
    Phase(
        "create deficit",
        "CreateDeficit",
        "POST /v1/invoice-requests (5 bills, settling 20 over-invoiced)",
        "write",
    ),
]
NOT_RUN = {"not run": 1}  # the result of a phase left out with --only
READ_TARGET = 0.6
WRITE_TARGET = 0.4
DEEP_TARGET = 1.2
RSS_TARGET_MIB = 150.0  # peak resident memory per API worker (at the full scale: 1M bills)
TAIL_TARGET = 5.0
F0_OF_F00_TARGET = 0.45  # FastAPI + our middleware may leave no less than this of the bare floor
F1_OF_F0_TARGET = 0.5  # auth + one primary-key read may cost at most as much as everything before


# --- database ------------------------------------------------------------------------------


def _admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _reusable(fixtures: Path) -> bool:
    if not fixtures.exists():
        return False
    seeded = json.loads(fixtures.read_text())
    creators = seeded.get("creators") or [{}]
    return "account_id" in creators[0] and bool(seeded.get("deficit_creators"))


def prepare_database(args: argparse.Namespace, size_name: str) -> tuple[str, Path, bool]:
    """(url, fixtures path, whether it must be seeded)."""
    DATA.mkdir(parents=True, exist_ok=True)
    if args.postgres:
        name = f"invoicing_bench_{size_name}"
        url = make_url(args.postgres).set(drivername="postgresql+psycopg", database=name)
        fixtures = DATA / f"fixtures-postgres-{size_name}.json"
        with psycopg.connect(_admin_dsn(args.postgres), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists and args.reuse and _reusable(fixtures):
                return url.render_as_string(hide_password=False), fixtures, False
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return url.render_as_string(hide_password=False), fixtures, True
    path = DATA / f"bench-{size_name}.db"
    fixtures = DATA / f"fixtures-sqlite-{size_name}.json"
    url = f"sqlite:///{path}"
    if args.reuse and path.exists() and _reusable(fixtures):
        return url, fixtures, False
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return url, fixtures, True


def seed_database(url: str, size_name: str, fixtures_path: Path) -> dict[str, Any]:
    from app.cli import migrate
    from bench.seed import SIZES, seed

    size = SIZES[size_name]
    print(
        f"seeding {size.accounts:,} accounts, {size.bills:,} bills, {size.requests:,} invoice requests "
        f"(+{size.creators} creator accounts with {size.creators * size.bills_per_creator:,} bills) ...",
        flush=True,
    )
    migrate(url)
    fixtures = dataclasses.asdict(seed(url, size))
    fixtures_path.write_text(json.dumps(fixtures))
    counts = ", ".join(f"{name} {count:,}" for name, count in fixtures["counts"].items())
    print(f"seeded in {fixtures['seconds']:.0f} s: {counts}", flush=True)
    return fixtures


# --- server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    url: str, workers: int, log_path: Path, app_dir: Path | None = None, bare: bool = False
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "INVOICING_DATABASE_URL": url,
        "INVOICING_BENCH_ROUTES": "true",
    }
    invoicing = shutil.which("invoicing", path=str(BIN))
    command = [invoicing] if invoicing and app_dir is None else [sys.executable, "-m", "app.cli"]
    if app_dir is not None:  # another version of the service, e.g. `git archive` of an older commit
        env["PYTHONPATH"] = str(app_dir)
    arguments = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    if bare:  # F00: the plain ASGI app through the same `_serve`
        command, arguments = [sys.executable, "-m", "bench.bare"], arguments[1:]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own console script
            [*command, *arguments],
            cwd=app_dir or ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise SystemExit(f"the server exited early; see {log_path}")
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_server(process)
            raise SystemExit(f"the server did not become ready; see {log_path}")
        time.sleep(0.2)
    return process, base


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def process_tree(pid: int) -> list[int]:
    """The server and its worker processes."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        tree += children
        frontier += children
    return tree


def peak_rss_mib(pid: int) -> dict[str, float]:
    """VmHWM (peak resident set) of each process of the server, in MiB (with several workers, the
    first is uvicorn's supervisor, which serves no request)."""
    peaks: dict[str, float] = {}
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
            cmdline = Path(f"/proc/{member}/cmdline").read_bytes()
        except OSError:
            continue
        if b"python" not in cmdline and b"invoicing" not in cmdline:
            continue
        if b"resource_tracker" in cmdline:
            continue  # multiprocessing's helper, not a server process
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks[str(member)] = int(line.split()[1]) / 1024
    return peaks


# --- load ----------------------------------------------------------------------------------


def warm_up(base: str, fixtures: dict[str, Any]) -> None:
    """Touch every endpoint once, so first-request costs (imports, caches) are not measured."""
    customer = {"Authorization": f"Bearer {fixtures['customer_key']}"}
    finance = {"Authorization": f"Bearer {fixtures['finance_key']}"}
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(20):
            for path, headers in [
                ("/bench/f0", {}),
                ("/bench/f1", customer),
                ("/v1/bills?limit=20", customer),
                (f"/v1/invoice-requests/{fixtures['customer_request_ids'][0]}", customer),
                ("/v1/invoiceable-summary", customer),
                ("/v1/invoice-requests?status=pending&limit=50", finance),
                ("/v1/invoice-requests?limit=50", finance),
                (f"/v1/invoice-requests?limit=50&cursor={fixtures['deep_cursor']}", finance),
                *((filter_path(name, fixtures), finance) for name in FINANCE_FILTERS),
            ]:
                response = client.get(path, headers=headers)
                if response.status_code != 200:
                    raise SystemExit(f"warm-up: {path} answered {response.status_code}: {response.text}")


def run_phase(
    phase: Phase, base: str, args: argparse.Namespace, fixtures_path: Path, workdir: Path, round_: int
) -> dict[str, Any]:
    samples_path = workdir / f"{phase.user}-{round_}.json"
    env = {
        **os.environ,
        "BENCH_FIXTURES": str(fixtures_path),
        "BENCH_SAMPLES": str(samples_path),
        "BENCH_ROUND": str(round_),
        "BENCH_ROUNDS": str(args.rounds),
        "BENCH_USERS": str(args.users),
        "PYTHONPATH": str(ROOT),  # the locustfile imports bench/filters.py
    }
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--host",
        base,
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.users),
        "--run-time",
        f"{args.duration}s",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
        phase.user,
    ]
    with (workdir / f"{phase.user}-{round_}.log").open("wb") as log:
        subprocess.run(  # noqa: S603 - the venv's locust
            command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=True
        )
    data = json.loads(samples_path.read_text())
    return summarize(data["samples"], data["failures"], args.warmup)


def _percentile(ordered: list[float], q: float) -> float:
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summarize(samples: list[list[float]], failures: dict[str, int], warmup: float) -> dict[str, Any]:
    """Throughput and latency over the steady part of the run (after `warmup` seconds)."""
    if not samples:
        return {"rps": 0.0, "p50": 0.0, "p99": 0.0, "count": 0, "failures": failures}
    start = samples[0][0] + warmup
    steady = [(t, ms) for t, ms in samples if t >= start] or samples
    window = max(steady[-1][0] - steady[0][0], 1e-9)
    latencies = sorted(ms for _, ms in steady)
    return {
        "rps": len(steady) / window,
        "p50": _percentile(latencies, 0.50),
        "p99": _percentile(latencies, 0.99),
        "mean": statistics.fmean(latencies),
        "count": len(steady),
        "failures": failures,
    }


def combine(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The median round by throughput, so one noisy round does not decide the figure."""
    ordered = sorted(rounds, key=lambda r: r["rps"])
    middle = dict(ordered[len(ordered) // 2])
    middle["rounds_rps"] = [r["rps"] for r in rounds]
    middle["rounds_p50"] = [r["p50"] for r in rounds]
    failures: dict[str, int] = {}
    for r in rounds:
        for key, count in r["failures"].items():
            failures[key] = failures.get(key, 0) + count
    middle["failures"] = failures
    return middle


# --- report --------------------------------------------------------------------------------


def _median_ratio(result: dict[str, Any], floor: dict[str, Any]) -> float:
    pairs = zip(result.get("rounds_rps") or [], floor.get("rounds_rps") or [], strict=False)
    ratios = [rps / base for rps, base in pairs if base]
    return statistics.median(ratios) if ratios else 0.0


def deep_of_first(first: dict[str, Any], deep: dict[str, Any]) -> float:
    """A deep page's p50 over its list's first page's: the median over rounds of each round's ratio."""
    pairs = zip(deep.get("rounds_p50") or [], first.get("rounds_p50") or [], strict=False)
    return statistics.median([d / f for d, f in pairs if f] or [0.0])


def verdicts(results: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    rows, checks = [], []
    for phase in PHASES:
        if phase.server == "bare":
            continue
        r = results[phase.name]
        if r["failures"] == NOT_RUN:
            continue  # left out with --only
        # Each round's throughput against the floors measured minutes apart in the same round,
        # then the median over rounds: load from elsewhere on the machine drifts between rounds.
        ratio_f1 = _median_ratio(r, results["F1"])
        ratio_f0 = _median_ratio(r, results["F0"])
        tail = r["p99"] / r["p50"] if r["p50"] else 0.0
        target, ok = "", True
        if phase.kind in ("read", "page"):
            ok = ratio_f1 >= READ_TARGET and tail <= TAIL_TARGET
            target = f">= {READ_TARGET}x F1, p99 <= {TAIL_TARGET:g}x p50"
        elif phase.kind == "write":
            ok = ratio_f1 >= WRITE_TARGET
            target = f">= {WRITE_TARGET}x F1"
        if r["failures"]:
            ok = False
        rows.append(
            {
                "name": phase.name,
                "label": phase.label,
                "rps": r["rps"],
                "p50": r["p50"],
                "p99": r["p99"],
                "tail": tail,
                "x_f1": ratio_f1,
                "x_f0": ratio_f0,
                "target": target,
                "ok": None if phase.kind == "floor" else ok,
                "failures": r["failures"],
                "rounds_rps": [round(value, 1) for value in r.get("rounds_rps") or []],
            }
        )
        if phase.kind != "floor":
            checks.append(f"{phase.name}: {'PASS' if ok else 'FAIL'}")
    return rows, checks


def floor_ratios(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """F0/F00 (framework + middleware) and F1/F0 (auth + one read), each with its target."""
    ratios = []
    for name, upper, lower, target in [
        ("F0/F00", "F0", "F00", F0_OF_F00_TARGET),
        ("F1/F0", "F1", "F0", F1_OF_F0_TARGET),
    ]:
        ratio = _median_ratio(results[upper], results[lower])
        ok = ratio >= target and not results[upper]["failures"] and not results[lower]["failures"]
        ratios.append({"name": name, "ratio": ratio, "target": target, "ok": ok})
    return ratios


def rss_verdict(peaks: dict[str, float], supervisor: int, size_name: str) -> dict[str, Any]:
    """The largest peak RSS of a process that serves requests, against RSS_TARGET_MIB."""
    serving = [mib for pid, mib in peaks.items() if len(peaks) == 1 or int(pid) != supervisor]
    largest = max(serving, default=0.0)
    return {
        "per_worker_mib": largest,
        "target": RSS_TARGET_MIB,
        "ok": 0 < largest <= RSS_TARGET_MIB,
        "scale": "1M bills" if size_name == "full" else f"{size_name} scale",
    }


def render(report: dict[str, Any]) -> str:
    lines = [
        f"invoicing bench{' of ' + report['app_dir'] if report['app_dir'] else ''}: "
        f"{report['database']} ({report['size']}), {report['workers']} worker(s), "
        f"{report['users']} locust users, {report['rounds']} round(s) x {report['duration']} s per endpoint",
        f"machine: {report['machine']}",
        f"load average (1, 5, 15 min) before: {report['load_before']}; after: {report['load_after']}",
        "",
        "| endpoint | req/s | p50 ms | p99 ms | p99/p50 | x F1 | x F0 | target | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    bare = report["bare"]
    lines.append(
        f"| F00 bare ASGI app (no FastAPI, no middleware) | {bare['rps']:,.0f} | {bare['p50']:.2f} | "
        f"{bare['p99']:.2f} | {bare['p99'] / bare['p50'] if bare['p50'] else 0:.1f} | | | | |"
    )
    for row in report["rows"]:
        verdict = "" if row["ok"] is None else ("PASS" if row["ok"] else "FAIL")
        if row["failures"]:
            verdict += f" ({sum(row['failures'].values())} failed)"
        lines.append(
            f"| {row['label']} | {row['rps']:,.0f} | {row['p50']:.2f} | {row['p99']:.2f} | "
            f"{row['tail']:.1f} | {row['x_f1']:.2f} | {row['x_f0']:.2f} | {row['target']} | {verdict} |"
        )
    deep = report["deep"]
    filtered_deep = report.get("filtered_deep", [])
    met = (
        sum(1 for r in report["rows"] if r["ok"]) + int(deep["ok"]) + sum(int(d["ok"]) for d in filtered_deep)
    )
    met += sum(1 for f in report["floor_ratios"] if f["ok"])
    rss = report["rss"]
    met += int(rss["ok"])
    total = sum(1 for r in report["rows"] if r["ok"] is not None) + 2 + len(report["floor_ratios"])
    total += len(filtered_deep)
    lines.append("")
    for floor in report["floor_ratios"]:
        lines.append(
            f"floors: {floor['name']} = {floor['ratio']:.2f} (target >= {floor['target']}) "
            f"{'PASS' if floor['ok'] else 'FAIL'}"
        )
    lines += [
        f"keyset list, finance, limit=50: first page p50 {deep['first_p50']:.2f} ms, page at position "
        f"{deep['position']:,} p50 {deep['deep_p50']:.2f} ms -> deep/first = {deep['ratio']:.2f} "
        f"(target <= {DEEP_TARGET}) {'PASS' if deep['ok'] else 'FAIL'}",
        *(
            f"filtered list ?{d['name']}, limit=50: first page p50 {d['first_p50']:.2f} ms, from the same "
            f"position p50 {d['deep_p50']:.2f} ms -> deep/first = {d['ratio']:.2f} (target <= {DEEP_TARGET}) "
            f"{'PASS' if d['ok'] else 'FAIL'}"
            for d in filtered_deep
        ),
        f"server peak RSS (VmHWM): {report['peak_rss_mib_total']:.0f} MiB in total"
        + (
            f" ({', '.join(f'{v:.0f}' for v in report['peak_rss_mib'].values())} MiB per process)"
            if len(report["peak_rss_mib"]) > 1
            else ""
        ),
        f"peak RSS per API worker: {rss['per_worker_mib']:.0f} MiB at the {rss['scale']} "
        f"(target <= {rss['target']:.0f} MiB at 1M bills) {'PASS' if rss['ok'] else 'FAIL'}",
        "",
        f"targets: {met} of {total} met",
    ]
    if report["worker"]:
        lines += ["", *report["worker"]]
    failures = {row["name"]: row["failures"] for row in report["rows"] if row["failures"]}
    if failures:
        lines.append(f"failed requests: {json.dumps(failures)}")
    return "\n".join(lines)


def worker_bench(args: argparse.Namespace) -> list[str]:
    """bench/worker.py in its own process: emails per second, the automatic-invoicing run."""
    mails, accounts = (500, 2_000) if args.quick else (2_000, 10_000)
    print(f"worker: {mails:,} emails, automatic invoicing over {accounts:,} accounts ...", flush=True)
    command = [sys.executable, "-m", "bench.worker", "--mails", str(mails), "--accounts", str(accounts)]
    if args.postgres:
        command += ["--postgres", args.postgres]
    done = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)  # noqa: S603
    return [line for line in done.stdout.splitlines() if line.startswith("worker:")]


def issue24_bench(args: argparse.Namespace) -> list[str]:
    """Issue 24's targets outside the locust table, each printed by its own bench with its floor and
    verdict (lines starting `issue 24:` or the bill batch's): the bill batch against its executemany
    floor, creation (plain, settling a deficit, two tax groups) against F1 in process, the tax draft
    of a 500-item request, and automatic invoicing at two scales (two workers on PostgreSQL)."""
    database = ["--postgres", args.postgres] if args.postgres else []
    scales = "1000,5000" if args.quick else "10000,100000"
    commands = [
        ["bench.bill_batch", "--accounts", "5000" if args.quick else "20000"],
        ["bench.create_cost", "--calls", "100" if args.quick else "400"],
        ["bench.worker", "--auto-only", scales, "--auto-workers", "2" if args.postgres else "1"],
    ]
    lines = []
    for command in commands:
        print(f"issue 24: {' '.join(command)} ...", flush=True)
        done = subprocess.run(  # noqa: S603 - our own bench modules
            [sys.executable, "-m", *command, *database], cwd=ROOT, capture_output=True, text=True
        )
        if done.returncode not in (0, 1):  # bench.bill_batch answers 1 for a missed target
            lines.append(f"issue 24: {command[0]} failed: {done.stderr.strip().splitlines()[-1:]}")
        lines += [
            line
            for line in done.stdout.splitlines()
            if line.startswith(("issue 24:", "bill batch", "  floor", "  batch", "  amend", "worker:"))
        ]
    return lines


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} x {cpu}, {memory:.0f} GiB RAM, {system}, Python {platform.python_version()}"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a CI-scale data set and shorter runs")
    parser.add_argument(
        "--postgres", metavar="URL", help="a PostgreSQL server; the bench creates its own database there"
    )
    parser.add_argument("--workers", type=int, help="server workers (default: 1 on SQLite, 2 on PostgreSQL)")
    parser.add_argument("--users", type=int, help="concurrent locust users (default: 8 per worker)")
    parser.add_argument(
        "--duration", type=int, help="seconds per endpoint and round (default: 10 quick, 15 full)"
    )
    parser.add_argument(
        "--rounds", type=int, help="rounds over every endpoint; the median counts (default: 1 quick, 3 full)"
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds at the start of each run not counted"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the database seeded by an earlier run of the same size"
    )
    parser.add_argument(
        "--no-worker", action="store_true", help="skip the worker's figures (emails/s, automatic invoicing)"
    )
    parser.add_argument(
        "--no-issue24",
        action="store_true",
        help="skip issue 24's benches (bill batch, creation and draft in process, automatic invoicing)",
    )
    parser.add_argument(
        "--only",
        help="comma-separated endpoint names to run (the floors always run); `finance`: every filtered list",
    )
    parser.add_argument(
        "--app-dir",
        type=Path,
        help="serve the service from this directory instead (e.g. `git archive` of an older commit), "
        "to compare before and after on the same data",
    )
    args = parser.parse_args(argv)

    size_name = "quick" if args.quick else "full"
    args.workers = args.workers or (2 if args.postgres else 1)
    args.users = args.users or 8 * args.workers
    args.duration = args.duration or (10 if args.quick else 15)
    args.rounds = args.rounds or (1 if args.quick else 3)
    phases = PHASES
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")} | {"F00", "F0", "F1"}
        if "finance" in wanted:  # the finance desk's filtered lists (bench/filters.py)
            wanted |= set(FINANCE_FILTERS)
        phases = [phase for phase in PHASES if phase.name in wanted]

    started = time.monotonic()
    load_before = load_average()
    url, fixtures_path, must_seed = prepare_database(args, size_name)
    if must_seed:
        fixtures = seed_database(url, size_name, fixtures_path)
    else:
        from app.cli import migrate
        from bench.seed import TAXPAYER_ID, bulk_engine, reset_creators, reset_deficit_creators, seller_terms

        if args.app_dir is None:  # a database seeded before a new migration: bring it to head
            migrate(url)
        fixtures = json.loads(fixtures_path.read_text())
        if "seller_id" not in fixtures:  # seeded before sellers: the migration gave every row the default
            engine = bulk_engine(url)
            try:
                fixtures.update(seller_id=str(seller_terms(engine).seller_id), taxpayer_id=TAXPAYER_ID)
            finally:
                engine.dispose()
            fixtures_path.write_text(json.dumps(fixtures))
        reset_creators(url, [creator["account_id"] for creator in fixtures["creators"]])
        reset_deficit_creators(url, [creator["account_id"] for creator in fixtures["deficit_creators"]])
        print(f"reusing the seeded {size_name} database (creators' requests reset)", flush=True)
    if args.users > len(fixtures["creators"]):
        raise SystemExit(f"--users may be at most {len(fixtures['creators'])} (one creator account each)")

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    workdir = DATA / f"run-{stamp}"
    workdir.mkdir(parents=True)
    process, base = start_server(url, args.workers, workdir / "server.log", args.app_dir)
    try:
        bare_process, bare_base = start_server(url, args.workers, workdir / "bare.log", bare=True)
    except BaseException:
        stop_server(process)
        raise
    per_phase: dict[str, list[dict[str, Any]]] = {phase.name: [] for phase in phases}
    try:
        warm_up(base, fixtures)
        for round_ in range(args.rounds):
            for phase in phases:
                print(f"round {round_ + 1}/{args.rounds}: {phase.label} ...", end=" ", flush=True)
                target = bare_base if phase.server == "bare" else base
                result = run_phase(phase, target, args, fixtures_path, workdir, round_)
                per_phase[phase.name].append(result)
                print(
                    f"{result['rps']:,.0f} req/s, p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms",
                    flush=True,
                )
        peaks = peak_rss_mib(process.pid)
    finally:
        stop_server(process)
        stop_server(bare_process)

    worker = [] if args.no_worker else worker_bench(args)
    if not args.no_issue24:
        worker += ["", f"load average before issue 24's benches: {load_average()}", *issue24_bench(args)]
        worker.append(f"load average after: {load_average()}")
    results = {name: combine(rounds) for name, rounds in per_phase.items()}
    for phase in PHASES:  # endpoints left out with --only: no row, no verdict
        results.setdefault(phase.name, {"rps": 0.0, "p50": 0.0, "p99": 0.0, "failures": NOT_RUN})
    rows, _checks = verdicts(results)
    first, deep = results["first page"], results["deep page"]
    deep_ratio = deep_of_first(first, deep)
    filtered_deep = []
    for deep_name, first_name in FILTERED_DEEP.items():
        if NOT_RUN in (results[deep_name]["failures"], results[first_name]["failures"]):
            continue
        ratio = deep_of_first(results[first_name], results[deep_name])
        filtered_deep.append(
            {
                "name": first_name,
                "first_p50": results[first_name]["p50"],
                "deep_p50": results[deep_name]["p50"],
                "ratio": ratio,
                "ok": 0 < ratio <= DEEP_TARGET,
            }
        )
    report = {
        "app_dir": str(args.app_dir) if args.app_dir else None,
        "database": "PostgreSQL" if args.postgres else "SQLite",
        "size": size_name,
        "counts": fixtures["counts"],
        "workers": args.workers,
        "users": args.users,
        "rounds": args.rounds,
        "duration": args.duration,
        "machine": machine(),
        "load_before": load_before,
        "load_after": load_average(),
        "started_at": stamp,
        "rows": rows,
        "deep": {
            "position": fixtures["deep_position"],
            "first_p50": first["p50"],
            "deep_p50": deep["p50"],
            "ratio": deep_ratio,
            "ok": 0 < deep_ratio <= DEEP_TARGET,
        },
        "filtered_deep": filtered_deep,
        "bare": results["F00"],
        "floor_ratios": floor_ratios(results),
        "worker": worker,
        "peak_rss_mib": peaks,
        "peak_rss_mib_total": sum(peaks.values()),
        "rss": rss_verdict(peaks, process.pid, size_name),
        "seconds": round(time.monotonic() - started),
    }
    text = render(report)
    (workdir / "report.json").write_text(json.dumps(report, indent=2))
    (workdir / "report.md").write_text(text + "\n")
    print()
    print(text)
    print(f"\n(finished in {report['seconds']} s; report in {workdir.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
