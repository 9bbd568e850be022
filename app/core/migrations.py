"""Alembic, as the command line, the demo and the tests run it: the schema's owner is `migrations/`."""

from pathlib import Path

from alembic import command
from alembic.config import Config

from app.core.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url or get_settings().database_url
    return config


def migrate(database_url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
