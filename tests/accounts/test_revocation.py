"""Revocation against a real `invoicing serve --workers 2`: every worker refuses a revoked key
within INVOICING_AUTH_CACHE_SECONDS; `invoicing revoke-key PREFIX` revokes any key."""

import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import create_engine, insert

from app.accounts.models import ApiKey
from app.cli import main, migrate
from app.core.auth import generate_key
from app.core.clock import utcnow
from app.core.database import sync_url
from app.core.settings import get_settings
from tests.server import ROOT, Server, invoicing_command, running_server

pytestmark = pytest.mark.slow

CACHE_SECONDS = 2
MARGIN_SECONDS = 5  # process scheduling on a busy machine; not a latency claim


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., Ran]]:
    """`invoicing ARGS` in this process (quicker than a new interpreter per call)."""

    def run(database_url: str, *args: str) -> Ran:
        monkeypatch.setenv("INVOICING_DATABASE_URL", database_url)
        monkeypatch.setenv("INVOICING_AUTH_CACHE_SECONDS", str(CACHE_SECONDS))
        get_settings.cache_clear()
        capsys.readouterr()
        returncode = main(list(args))
        captured = capsys.readouterr()
        return Ran(returncode, captured.out, captured.err)

    yield run
    get_settings.cache_clear()


def _installed_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed `invoicing` script, in its own process."""
    env = {
        **os.environ,
        "INVOICING_DATABASE_URL": database_url,
        "INVOICING_AUTH_CACHE_SECONDS": str(CACHE_SECONDS),
    }
    return subprocess.run(
        [*invoicing_command(), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def _staff_key(cli: Callable[..., Ran], database_url: str, role: str) -> str:
    result = cli(database_url, "create-key", "--role", role)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def _statuses(server: Server, key: str, count: int = 12) -> list[int]:
    """`count` calls, each on a new connection, so the kernel spreads them over the workers."""
    statuses = []
    for _ in range(count):
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            path = "/v1/account" if not key.startswith("billing:") else "/v1/accounts/" + str(uuid.uuid4())
            token = key.removeprefix("billing:")
            statuses.append(http.get(path, headers={"Authorization": f"Bearer {token}"}).status_code)
    return statuses


def _refused_everywhere_within_the_window(server: Server, key: str) -> None:
    """Poll until a whole round is 401, which must happen within the cache window (plus a margin
    for a busy machine); then every later call is refused too."""
    deadline = time.monotonic() + CACHE_SECONDS + MARGIN_SECONDS
    while True:
        statuses = _statuses(server, key)
        if set(statuses) == {401}:
            break
        assert time.monotonic() < deadline, f"still accepted after the window: {statuses}"
        time.sleep(0.2)
    assert set(_statuses(server, key, 20)) == {401}


@pytest.fixture(scope="module")
def served(
    backend: str, fresh_database_url: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Server]]:
    """Two workers over a database of their own; each trusts a checked key for CACHE_SECONDS."""
    database_url = fresh_database_url(backend)
    migrate(database_url)
    # The tests poll a revoked key from one address past the per-address limit on refused keys
    # (429 then, not 401): that limit has its own tests (tests/core/test_rate_limit.py), so off here.
    env = {
        "INVOICING_AUTH_CACHE_SECONDS": str(CACHE_SECONDS),
        "INVOICING_KEY_LAST_USED_SECONDS": "60",
        "INVOICING_AUTH_FAILURES_PER_MINUTE": "0",
    }
    tmp_path = tmp_path_factory.mktemp("served")
    with running_server(database_url, tmp_path, workers=2, extra_env=env) as server:
        yield database_url, server


def test_a_revoked_customer_key_is_refused_by_every_worker_within_the_cache_window(
    served: tuple[str, Server], cli: Callable[..., Ran]
) -> None:
    database_url, server = served
    billing = {"Authorization": f"Bearer {_staff_key(cli, database_url, 'billing')}"}
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        account = http.post("/v1/accounts", json={"name": "Acme"}, headers=billing).json()
        issued = http.post(
            f"/v1/accounts/{account['id']}/api-keys", json={"role": "customer"}, headers=billing
        )
        key = issued.json()
    # Every worker accepts the key, and has it in its cache.
    assert set(_statuses(server, key["key"], 20)) == {200}

    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        response = http.delete(f"/v1/accounts/{account['id']}/api-keys/{key['id']}", headers=billing)
        assert response.status_code == 204
        listed = http.get(f"/v1/accounts/{account['id']}/api-keys", headers=billing).json()["data"]
    _refused_everywhere_within_the_window(server, key["key"])
    assert listed[0]["revoked_at"] is not None and listed[0]["last_used_at"] is not None


def test_revoke_key_on_the_command_line_revokes_any_key(
    served: tuple[str, Server], cli: Callable[..., Ran]
) -> None:
    database_url, server = served
    finance = _staff_key(cli, database_url, "finance")
    billing = _staff_key(cli, database_url, "billing")
    assert set(_statuses(server, "billing:" + billing, 8)) == {404}  # accepted (no such account)

    result = _installed_cli(database_url, "revoke-key", billing[:12])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("revoked billing key")
    _refused_everywhere_within_the_window(server, "billing:" + billing)

    again = cli(database_url, "revoke-key", billing[:12])
    assert again.returncode == 0 and "already revoked" in again.stdout
    # The finance key is untouched; the whole key works as well as its prefix.
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        assert (
            http.get("/v1/invoice-requests", headers={"Authorization": f"Bearer {finance}"}).status_code
            == 200
        )
    whole = cli(database_url, "revoke-key", finance)
    assert whole.returncode == 0 and "revoked finance key" in whole.stdout


def test_revoke_key_says_so_when_a_prefix_names_no_key_or_several(
    backend: str, fresh_database_url: Callable[[str], str], cli: Callable[..., Ran]
) -> None:
    database_url = fresh_database_url(backend)
    migrate(database_url)
    missing = cli(database_url, "revoke-key", "ik_nosuchkey")
    assert missing.returncode == 1
    assert "No API key has the prefix 'ik_nosuchkey'" in missing.stderr and "Traceback" not in missing.stderr

    # Two keys that share a prefix (54 random bits make it unlikely, not impossible).
    keys = [generate_key(), generate_key()]
    engine = create_engine(sync_url(database_url))
    with engine.begin() as connection:
        for new in keys:
            connection.execute(
                insert(ApiKey).values(
                    id=uuid.uuid4(),
                    role="finance",
                    prefix="ik_twinprefx",
                    key_hash=new.key_hash,
                    created_at=utcnow(),
                )
            )
    engine.dispose()
    several = cli(database_url, "revoke-key", "ik_twinprefx")
    assert several.returncode == 1
    assert "2 valid API keys have the prefix 'ik_twinprefx'" in several.stderr
    assert "Give the whole key instead" in several.stderr
    one = cli(database_url, "revoke-key", keys[0].key)
    assert one.returncode == 0, one.stderr
    # Now only one valid key has the prefix: the prefix names it.
    other = cli(database_url, "revoke-key", "ik_twinprefx")
    assert other.returncode == 0 and other.stdout.startswith("revoked finance key")
