"""Start a real `invoicing serve` process for concurrency and crash tests."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def invoicing_command() -> list[str]:
    script = shutil.which("invoicing", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "app.cli"]


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_server(
    database_url: str,
    tmp_path: Path,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
    start_timeout: float = 30,
) -> Iterator[Server]:
    """Serve on a free loopback port; stop with SIGTERM (then SIGKILL) on exit. `start_timeout`:
    seconds to wait for its first healthy answer.

    The port is free when chosen, but another test (another xdist worker) may take it before the
    server binds it: then the server is started again on another port, twice at most."""
    env = {**os.environ, "INVOICING_DATABASE_URL": database_url, "INVOICING_LOG_LEVEL": "WARNING"}
    env.update(extra_env or {})
    for attempt in range(3):
        server = _start_server(env, tmp_path, workers, extra_args or [])
        try:
            _wait_until_healthy(server, start_timeout)
        except _PortTaken:
            _stop(server.process)
            if attempt == 2:
                raise RuntimeError(f"no free port in three attempts:\n{server.log()}") from None
            continue
        except BaseException:
            _stop(server.process)
            raise
        break
    try:
        yield server
    finally:
        _stop(server.process)


class _PortTaken(Exception):
    pass


def _start_server(env: dict[str, str], tmp_path: Path, workers: int, extra_args: list[str]) -> Server:
    port = free_port()
    log_path = tmp_path / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                *invoicing_command(),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                *extra_args,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(base_url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)


def _wait_until_healthy(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            if "address already in use" in server.log().lower():
                raise _PortTaken
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(server.base_url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"server did not start:\n{server.log()}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send `sig`; returns the exit status (SIGKILL: -9)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


@contextmanager
def running_worker(
    database_url: str, tmp_path: Path, extra_env: dict[str, str] | None = None, name: str = "worker"
) -> Iterator[WorkerProcess]:
    """A real `invoicing worker` process; SIGTERM (then SIGKILL) on exit if still running."""
    env = {**os.environ, "INVOICING_DATABASE_URL": database_url, "INVOICING_LOG_LEVEL": "INFO"}
    env.update(extra_env or {})
    log_path = tmp_path / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*invoicing_command(), "worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = WorkerProcess(process=process, log_path=log_path)
    try:
        yield worker
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
