"""A private PostgreSQL cluster (initdb/pg_ctl on a free port, run as the OS user `postgres`) that a
test may stop and start; the shared server at 5432 is never touched."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import POSTGRES_URL
from tests.server import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command]


def missing_cluster_tools() -> str | None:
    if not POSTGRES_URL:
        return "PostgreSQL tests need INVOICING_TEST_POSTGRES_URL (CI sets it)"
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        return f"PostgreSQL server binaries are not in {PG_BIN}"
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return "running a private cluster needs root (to run initdb/pg_ctl as the OS user postgres)"
    return None


@dataclass
class Cluster:
    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data / "pgdata"), *args),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._ctl("-l", str(self.data / "server.log"), "-o", options, "-w", "start")

    def stop_immediately(self) -> None:
        self._ctl("-m", "immediate", "-w", "stop")


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    root = Path(tempfile.mkdtemp(prefix="invoicing-outage-"))
    shutil.chown(root, "postgres", "postgres")
    cluster = Cluster(data=root, port=free_port())
    subprocess.run(
        _as_postgres(
            str(PG_BIN / "initdb"), "-D", str(root / "pgdata"), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    cluster.start()
    try:
        yield cluster
    finally:
        subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(root / "pgdata"), "-m", "immediate", "stop"),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)
