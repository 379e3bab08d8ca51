"""Test-run setup: a fresh PostgreSQL database per run, migrated with Alembic.

The environment is set before any `ticketing` module reads its settings.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from tests.services import ensure_postgres

ADMIN_URL = os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_DB = f"tk_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
TEST_DATABASE_URL = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{TEST_DB}"

os.environ["TICKETING_ENV"] = "development"  # the only mode that accepts placeholder defaults
os.environ["DATABASE_URL"] = TEST_DATABASE_URL
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("JWT_SECRET", "test-secret-" + uuid.uuid4().hex)
# Every test (and the browser journeys' app) signs in from one address: the per-address limits
# would throttle the suite itself. tests/integration/test_throttling.py checks the real limits.
os.environ["RATE_SIGN_IN_ADDRESS"] = "100000/minute"
os.environ["RATE_REGISTER_ADDRESS"] = "100000/minute"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Stripe is this run's own localstripe (started on first use by the `localstripe` fixture), and
# mail lands in a temporary outbox unless a test starts an SMTP server.
STRIPE_PORT = _free_port()
os.environ["STRIPE_API_BASE"] = f"http://127.0.0.1:{STRIPE_PORT}"
os.environ["STRIPE_SECRET_KEY"] = "sk_test_" + uuid.uuid4().hex
os.environ["STRIPE_WEBHOOK_SECRET"] = "whsec_" + uuid.uuid4().hex
os.environ.pop("SMTP_HOST", None)
os.environ["MAIL_OUTBOX_DIR"] = tempfile.mkdtemp(prefix="tk-outbox-")


def _admin(sql: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def migrate(url: str) -> None:
    """Bring the database at `url` to the current schema with Alembic."""
    from alembic.config import Config

    from alembic import command

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

    # The job queue's jobs too (procrastinate's tables, made by migration 0013_jobs).
    names = ", ".join([*(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables),
                       "procrastinate_jobs", "procrastinate_periodic_defers", "procrastinate_events"])
    # The browser journeys' app keeps sweeping expired holds in the background; a TRUNCATE can
    # deadlock with one of its transactions (PostgreSQL then aborts one of the two): try again.
    for attempt in range(5):
        try:
            with get_engine().begin() as conn:
                conn.exec_driver_sql(f"TRUNCATE {names} CASCADE")
            return
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


@pytest.fixture(autouse=True)
def fresh_throttle():
    """Every test starts with no failed sign-ins counted (tables are emptied, so are counters)."""
    yield
    from ticketing.throttle import set_throttle

    set_throttle(None)


@pytest.fixture
def db():
    """A session on the test database; commits at the end of the test's block of work."""
    from ticketing.db import session_scope

    with session_scope() as session:
        yield session


@pytest.fixture(scope="session")
def localstripe():
    """A real localstripe process for this run on STRIPE_API_BASE's port, stopped at the end."""
    from tests.stripe_server import LocalStripe

    artifacts = os.path.join(os.path.dirname(os.path.dirname(__file__)), "artifacts")
    os.makedirs(artifacts, exist_ok=True)
    server = LocalStripe(STRIPE_PORT, log=Path(artifacts) / "localstripe.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(localstripe):
    """The JSON API on the test database (checkouts create PaymentIntents on localstripe)."""
    from tests.api_client import Api

    return Api()


def pytest_collection_modifyitems(config, items):
    """Browser journeys run last: Playwright's sync API keeps an event loop running in the main
    thread for the session's browser, which later asyncio.run() calls could not start beside."""
    items.sort(key=lambda item: "/e2e/" in str(item.fspath).replace("\\", "/"))


class RecordingBus:
    """Stands in for the event bus: every published message as the bus would carry it (through
    JSON), with the channel it went to."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    def publish(self, event_id: str, message: dict) -> bool:
        self.messages.append({**json.loads(json.dumps(message, default=str)), "channel": event_id})
        return True

    async def listen(self):  # pragma: no cover - never listened to here
        yield {}


@pytest.fixture
def bus():
    """What the use cases publish after commit (the real bus is set aside meanwhile)."""
    from ticketing.bus import set_bus

    recording = RecordingBus()
    set_bus(recording)
    yield recording
    set_bus(None)
