"""Small-response latency of `invoicing serve` over one kept-alive connection (wall clock: a benchmark,
not a test).

    python -m bench.latency [--workers 1 2] [--requests 30]

A response leaves as two writes (head, then body); without TCP_NODELAY on the sockets the workers
accept, the second write waits for the client's delayed ACK, about 40 ms on Linux, on every request
of a kept-alive connection (docs/PERFORMANCE.md, "serve --workers N waited ~40 ms"). Prints the
median of GET /healthz for each worker count and exits 1 if one is 20 ms or more.
`tests/core/test_framework_hooks.py` checks, without a clock, that the listener has TCP_NODELAY.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
THRESHOLD_SECONDS = 0.02


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def median_latency(workers: int, requests: int) -> float:
    port = _free_port()
    with tempfile.TemporaryDirectory() as directory:
        env = {
            **os.environ,
            "INVOICING_DATABASE_URL": f"sqlite:///{directory}/latency.db",
            "INVOICING_LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)]
        process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            with httpx.Client(base_url=base, timeout=10) as http:
                timings = []
                for _ in range(requests):
                    started = time.perf_counter()
                    http.get("/healthz").raise_for_status()
                    timings.append(time.perf_counter() - started)
            return statistics.median(timings)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    failed = False
    for workers in args.workers:
        median = median_latency(workers, args.requests)
        verdict = "ok" if median < THRESHOLD_SECONDS else "SLOW (delayed ACKs?)"
        failed |= median >= THRESHOLD_SECONDS
        print(f"serve --workers {workers}: median GET /healthz {median * 1000:.2f} ms  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
