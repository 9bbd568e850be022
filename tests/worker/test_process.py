"""Real processes: `invoicing worker` sends what is queued and stops cleanly on SIGTERM;
`invoicing serve --with-worker` runs one beside the API, and /metrics shows the queue."""

import signal
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from app.cli import migrate
from app.core.clock import utcnow
from app.core.database import Database
from app.mail.service import enqueue_mail
from app.worker import queue
from tests.conftest import BACKENDS
from tests.server import running_server, running_worker

pytestmark = pytest.mark.slow


async def _enqueue(url: str, to: str) -> None:
    database = Database(url)
    try:
        async with database.write_session() as session, session.begin():
            await enqueue_mail(
                session,
                "request_rejected",
                [to],
                {
                    "request_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                    "recipient": "Li Lei",
                    "amount": "1.00",
                    "reason": "test",
                },
            )
    finally:
        await database.dispose()


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.parametrize("kind", BACKENDS)
async def test_worker_process_sends_queued_mail_and_stops_on_sigterm(
    kind: str, fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    url = fresh_database_url(kind)
    migrate(url)
    mail_dir = tmp_path / "mail"
    env = {"INVOICING_MAIL_DIR": str(mail_dir), "INVOICING_WORKER_POLL_SECONDS": "0.1"}
    with running_worker(url, tmp_path, env) as worker:
        await _enqueue(url, "first@acme.example")
        await _enqueue(url, "second@acme.example")
        _wait_for(lambda: len(list(mail_dir.glob("*.eml"))) == 2, "two messages")
        assert worker.stop(signal.SIGTERM) == 0
    texts = sorted(path.read_text() for path in mail_dir.glob("*.eml"))
    assert any("To: first@acme.example" in text for text in texts)
    assert any("To: second@acme.example" in text for text in texts)
    assert '"worker stopped"' in worker.log()


@pytest.mark.parametrize("kind", BACKENDS)
async def test_serve_with_worker_runs_jobs_and_reports_the_queue(
    kind: str, fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    url = fresh_database_url(kind)
    migrate(url)
    mail_dir = tmp_path / "mail"
    env = {"INVOICING_MAIL_DIR": str(mail_dir), "INVOICING_WORKER_POLL_SECONDS": "0.1"}
    database = Database(url)
    async with database.write_session() as session, session.begin():  # due in an hour: it waits
        await queue.enqueue(session, "mail", {}, run_after=utcnow() + timedelta(hours=1))
    await database.dispose()
    with running_server(url, tmp_path, extra_env=env, extra_args=["--with-worker"]) as server:
        await _enqueue(url, "served@acme.example")
        _wait_for(lambda: len(list(mail_dir.glob("*.eml"))) == 1, "the message")
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            text = (await http.get("/metrics")).text
        assert "invoicing_worker_queue_depth 1.0" in text
        assert 'invoicing_worker_jobs{status="queued"} 1.0' in text
        age = next(line for line in text.splitlines() if line.startswith("invoicing_worker_oldest_job_age"))
        assert float(age.split()[-1]) > 0
    assert server.process.returncode is not None
