"""Test-run setup: a fresh PostgreSQL database per run, migrated with Alembic.

The environment is set before any `ticketing` module reads its settings.
"""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest

from tests.services import ensure_postgres

ADMIN_URL = os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_DB = f"tk_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
TEST_DATABASE_URL = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{TEST_DB}"

os.environ["TICKETING_ENV"] = "test"
os.environ["DATABASE_URL"] = TEST_DATABASE_URL
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("JWT_SECRET", "test-secret-" + uuid.uuid4().hex)


def _admin(sql: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def migrate(url: str) -> None:
    """Bring the database at `url` to the current schema with Alembic."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(os.path.join(os.path.dirname(os.path.dirname(__file__)), "alembic.ini"))
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")


@pytest.fixture(scope="session", autouse=True)
def database() -> str:
    """A fresh PostgreSQL database for this run, dropped at the end."""
    ensure_postgres()
    _admin(f'CREATE DATABASE "{TEST_DB}"')
    try:
        migrate(TEST_DATABASE_URL)
        yield TEST_DATABASE_URL
    finally:
        from ticketing.db import dispose_engines

        dispose_engines()
        _admin(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def clean_tables(database: str):
    """Every test starts from empty tables (data is committed for real, so truncate after)."""
    yield
    from sqlmodel import SQLModel

    from ticketing.db import get_engine

    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with get_engine().begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} CASCADE")


@pytest.fixture
def db():
    """A session on the test database; commits at the end of the test's block of work."""
    from ticketing.db import session_scope

    with session_scope() as session:
        yield session


@pytest.fixture
def api():
    """The JSON API on the test database."""
    from tests.api_client import Api

    return Api()


def pytest_collection_modifyitems(config, items):
    """Browser journeys run last: Playwright's sync API keeps an event loop running in the main
    thread for the session's browser, which later asyncio.run() calls could not start beside."""
    items.sort(key=lambda item: "/e2e/" in str(item.fspath).replace("\\", "/"))
