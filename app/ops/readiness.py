"""Readiness: can we reach the database, and is its schema at Alembic's head?"""

from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.database import Database

ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


async def check_ready(database: Database) -> str | None:
    """None when ready, otherwise what is wrong."""
    try:
        async with database.engine.connect() as connection:
            rows = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
    except SQLAlchemyError:
        return "The database is unreachable or not migrated."
    current = {row[0] for row in rows}
    if current != {head_revision()}:
        return "The database schema is not at the newest migration; run `invoicing migrate`."
    return None
