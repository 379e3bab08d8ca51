"""Engine, transaction scope, after-commit hooks and row-lock helpers.

Every use case runs inside one `session_scope()`: the scope commits, then runs the callbacks
registered with `on_commit` (publishing live updates, emails, Stripe follow-ups), so side effects
never happen for a transaction that rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
import logging
from typing import Any

from sqlalchemy import bindparam, event, insert, literal_column
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
_MAX_ROWS_PER_STATEMENT = 64  # beyond, executemany per table (a statement per shape is cached)


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
    # Every connection waits at most lock_timeout for a row lock (a timeout becomes a retryable
    # `busy`): set once per connection, not by a statement in every transaction. No pre-ping:
    # it costs a round trip per request; a connection found dead fails that one request (503)
    # and SQLAlchemy then discards the pool's other connections to the same server.
    timeout = f"-c lock_timeout={int(get_settings().lock_timeout_ms)}ms"
    return create_engine(url, pool_size=20, max_overflow=20, pool_recycle=1800, connect_args={"options": timeout})


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


def insert_rows(db: Session, batches: Sequence[tuple[type, Sequence[dict[str, Any]]]]) -> None:
    """Insert rows (dicts with every column, ids included) of several tables, parents first.

    PostgreSQL: one statement, one round trip: each row is a one-row INSERT, all but the last
    riding along as data-modifying CTEs (which always run to completion; foreign keys are
    checked at the end of the statement). The statement is built once per shape (tables and
    row counts) and cached. Big batches and SQLite: one executemany per table. The ORM
    identity map is not touched.
    """
    batches = [(model, list(rows)) for model, rows in batches if rows]
    if not batches:
        return
    db.flush()  # pending ORM rows (parents) first
    rows_in_all = sum(len(rows) for _, rows in batches)
    if db.get_bind().dialect.name != "postgresql" or rows_in_all == 1 or rows_in_all > _MAX_ROWS_PER_STATEMENT:
        for model, rows in batches:
            db.execute(insert(model.__table__), rows)  # executemany, batched by the driver
        return
    shape = tuple((model, tuple(rows[0]), len(rows)) for model, rows in batches)
    params = {f"t{t}_{r}_{col}": value
              for t, (_, rows) in enumerate(batches) for r, row in enumerate(rows) for col, value in row.items()}
    db.execute(_insert_statement(shape), params)


@lru_cache(maxsize=256)
def _insert_statement(shape: tuple[tuple[type, tuple[str, ...], int], ...]) -> Any:
    inserts = [
        insert(model.__table__).values({col: bindparam(f"t{t}_{r}_{col}") for col in columns})
        for t, (model, columns, count) in enumerate(shape) for r in range(count)
    ]
    ctes = [stmt.returning(literal_column("1")).cte(f"insert_{i}") for i, stmt in enumerate(inserts[:-1])]
    return inserts[-1].add_cte(*ctes)


def is_lock_error(exc: OperationalError) -> bool:
    """A lock timeout, deadlock or SQLite busy: the caller may retry."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code in {"55P03", "40P01", "40001"}:
        return True
    message = str(orig or exc).lower()
    return "database is locked" in message or "lock timeout" in message


def set_lock_timeout(db: Session) -> bool:
    """Whether row locks are taken at all: True on PostgreSQL, whose connections all carry the
    lock timeout (see _make_engine); False on SQLite, whose IMMEDIATE transaction already holds
    the database's write lock."""
    return db.get_bind().dialect.name == "postgresql"


@lru_cache(maxsize=None)
def _lock_statement(model: type, for_update: bool, nowait: bool) -> Any:
    stmt = select(model).where(model.id.in_(bindparam("ids", expanding=True))).order_by(model.id)
    return stmt.with_for_update(nowait=nowait) if for_update else stmt


def lock_rows(db: Session, model: type, ids: Sequence[Any], *, nowait: bool = False) -> list[Any]:
    """Lock rows of `model` by id, in sorted id order, and return them (sorted by id).

    PostgreSQL: SELECT ... FOR UPDATE with a lock timeout (a timeout becomes a `busy` error);
    `nowait`: fail at once with `busy` instead of waiting (for a lock taken out of order).
    SQLite: the IMMEDIATE transaction already holds the database's write lock.
    """
    if not ids:
        return []
    ordered = sorted(set(ids))
    stmt = _lock_statement(model, set_lock_timeout(db), nowait)
    try:
        rows = list(db.exec(stmt, params={"ids": ordered}).all())
    except OperationalError as exc:
        if is_lock_error(exc):
            raise ServiceError("busy", "The system is busy right now; please try again.") from exc
        raise
    db.info.setdefault(LOCKED, {}).setdefault(model.__tablename__, set()).update(ordered)
    return rows
