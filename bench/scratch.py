"""A scratch database for one benchmark run: a file in a temporary folder, or a fresh PostgreSQL
database on the given server, dropped afterwards."""

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url


def admin_dsn(url: str) -> str:
    """A psycopg connection string for the server of a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def scratch_database(postgres: str | None, prefix: str) -> Iterator[str]:
    """Yield the SQLAlchemy URL of an empty database, removed when the block ends."""
    with tempfile.TemporaryDirectory() as workdir:
        if not postgres:
            yield f"sqlite:///{Path(workdir) / f'{prefix}.db'}"
            return
        name = f"invoicing_{prefix.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_dsn(postgres), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            url = make_url(postgres).set(drivername="postgresql+psycopg", database=name)
            yield url.render_as_string(hide_password=False)
        finally:
            with psycopg.connect(admin_dsn(postgres), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
