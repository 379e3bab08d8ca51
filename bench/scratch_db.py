"""A benchmark's own PostgreSQL database: created and migrated for the run, dropped at the end
(even on Ctrl-C). The benchmark sets DATABASE_URL to it before importing the app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]


def migrate(url: str) -> None:
    from alembic.config import Config

    from alembic import command

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")


@contextmanager
def scratch_database(admin_url: str, name: str, url: str) -> Iterator[None]:
    """Database `name` (reached at `url`) at the current schema for the block's duration."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        migrate(url)
        yield
    finally:
        from ticketing.db import dispose_engines

        dispose_engines()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
