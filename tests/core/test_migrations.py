"""Alembic owns the schema: head equals the models, and downgrade to base works."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from app.cli import alembic_config, migrate
from app.core.database import sync_url
from app.models import Base
from tests.conftest import BACKENDS


def _diff(url: str) -> list[object]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", BACKENDS)
def test_upgrade_head_matches_models_and_downgrade_base_empties(
    kind: str, fresh_database_url: object
) -> None:
    url = fresh_database_url(kind)  # type: ignore[operator]
    migrate(url)
    assert _diff(url) == []
    assert set(Base.metadata.tables) <= _tables(url)

    command.downgrade(alembic_config(url), "base")
    assert _tables(url) - {"alembic_version"} == set()

    migrate(url)
    assert _diff(url) == []
