"""Engine, transaction scope, after-commit hooks and row-lock helpers.

Every use case runs inside one `session_scope()`: the scope commits, then runs the callbacks
registered with `on_commit` (publishing live updates, emails, Stripe follow-ups), so side effects
never happen for a transaction that rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
import logging
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine, select

from ticketing.services.errors import ServiceError
from ticketing.settings import get_settings

log = logging.getLogger(__name__)
_engines: dict[str, Engine] = {}
_AFTER_COMMIT = "after_commit"
# db.info key: {table name: ids locked by lock_rows in this transaction} (live-update deltas).
LOCKED = "locked_rows"


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 5})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            # We issue BEGIN ourselves so that write scopes can take the write lock up front.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={get_settings().lock_timeout_ms}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes SQLite's single write lock at BEGIN: concurrent writers queue
            # (up to busy_timeout) instead of failing on upgrade, and a locked recount is exact.
            mode = "DEFERRED" if conn.get_execution_options().get("readonly") else "IMMEDIATE"
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


def get_engine(url: str | None = None) -> Engine:
    """The engine for `url` (default: settings.database_url), created once per URL."""
    url = url or get_settings().database_url
    if url not in _engines:
        _engines[url] = _make_engine(url)
    return _engines[url]


def dispose_engines() -> None:
    """Close every pooled connection (tests and shutdown)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def on_commit(db: Session, callback: Callable[[], Any]) -> None:
    """Run `callback` after the enclosing scope commits; dropped on rollback."""
    db.info.setdefault(_AFTER_COMMIT, []).append(callback)


@contextmanager
def session_scope(*, readonly: bool = False, url: str | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error, then run after-commit hooks."""
    engine = get_engine(url)
    bind = engine.execution_options(readonly=True) if readonly else engine
    db = Session(bind=bind, expire_on_commit=False)
    try:
        yield db
        db.commit()
    except OperationalError as exc:
        db.rollback()
        if is_lock_error(exc):
            raise ServiceError("busy", "The system is busy right now; please try again.") from exc
        raise
    except BaseException:
        db.rollback()
        raise
    finally:
        callbacks = db.info.pop(_AFTER_COMMIT, [])
        db.close()
    for callback in callbacks:
        try:
            callback()
        except Exception:  # a side effect must never undo or fail a committed sale
            log.exception("after-commit callback failed")


def is_lock_error(exc: OperationalError) -> bool:
    """A lock timeout, deadlock or SQLite busy: the caller may retry."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code in {"55P03", "40P01", "40001"}:
        return True
    message = str(orig or exc).lower()
    return "database is locked" in message or "lock timeout" in message


def lock_rows(db: Session, model: type, ids: Sequence[Any]) -> list[Any]:
    """Lock rows of `model` by id, in sorted id order, and return them (sorted by id).

    PostgreSQL: SELECT ... FOR UPDATE with a lock timeout (a timeout becomes a `busy` error).
    SQLite: the IMMEDIATE transaction already holds the database's write lock.
    """
    if not ids:
        return []
    ordered = sorted(set(ids))
    bind = db.get_bind()
    stmt = select(model).where(model.id.in_(ordered)).order_by(model.id)
    if bind.dialect.name == "postgresql":
        db.exec(text(f"SET LOCAL lock_timeout = '{int(get_settings().lock_timeout_ms)}ms'"))
        stmt = stmt.with_for_update()
    try:
        rows = list(db.exec(stmt).all())
    except OperationalError as exc:
        if is_lock_error(exc):
            raise ServiceError("busy", "The system is busy right now; please try again.") from exc
        raise
    db.info.setdefault(LOCKED, {}).setdefault(model.__tablename__, set()).update(ordered)
    return rows
