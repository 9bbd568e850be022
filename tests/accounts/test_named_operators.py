"""`invoicing create-key --role finance|billing --name NAME`: the key names its operator."""

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select

from app.accounts.models import ApiKey
from app.cli import main
from app.core.auth import hash_key
from app.core.database import sync_url
from app.core.settings import get_settings


@pytest.fixture
def cli_database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[str]:
    monkeypatch.setenv("INVOICING_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def _name_of(database_url: str, key: str) -> str | None:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            return connection.execute(
                select(ApiKey.name).where(ApiKey.key_hash == hash_key(key))
            ).scalar_one()
    finally:
        engine.dispose()


def test_a_staff_key_can_name_its_operator(cli_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    for role, name in (("finance", "Wang Fang"), ("billing", "李娜")):
        assert main(["create-key", "--role", role, "--name", f"  {name} "]) == 0
        key = capsys.readouterr().out.strip().splitlines()[-1]
        assert _name_of(cli_database, key) == name
    assert main(["create-key", "--role", "finance"]) == 0
    assert _name_of(cli_database, capsys.readouterr().out.strip().splitlines()[-1]) is None


@pytest.mark.parametrize(
    "args",
    [
        ["--role", "customer", "--account", "6f1c2a54-3a2e-4c8f-9d1e-2b3c4d5e6f70", "--name", "Someone"],
        ["--role", "finance", "--name", ""],
        ["--role", "finance", "--name", "x" * 101],
        ["--role", "finance", "--name", "tab\there"],
    ],
)
def test_a_bad_name_is_refused(
    cli_database: str, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["create-key", *args])
    assert exit_.value.code == 2
    assert "--name" in capsys.readouterr().err
