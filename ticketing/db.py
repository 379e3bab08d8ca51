"""Engine, transaction scopes, after-commit hooks and row-lock helpers.

Every use case runs inside one `session_scope()` (or, for the door's scans, which write no ORM
objects, one `connection_scope()`): the scope commits, then runs the callbacks registered with
`on_commit` (publishing live updates, emails, Stripe follow-ups), so side effects never happen
for a transaction that rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import bindparam, event, insert, inspect, literal_column
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import attributes, configure_mappers, instrumentation
from sqlmodel import Session, create_engine, select

from ticketing.db_budget import BUSY_MESSAGE, is_transient, pool_shape, transient_kind
from ticketing.services.errors import ServiceError
from ticketing.services.text_rules import check_values
from ticketing.settings import get_settings

T = TypeVar("T")

log = logging.getLogger(__name__)
_engines: dict[str, Engine] = {}
_AFTER_COMMIT = "after_commit"
# db.info key: {table name: ids locked by lock_rows in this transaction} (live-update deltas).
LOCKED = "locked_rows"
_LOCK_STATES = {"55P03", "40P01", "40001"}  # lock timeout, deadlock, serialization failure
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
    # The pool is this worker's share of the deployment's connection budget, with no overflow:
    # past it a request waits up to the pool timeout, then gets 503 `busy` (db_budget.py).
    timeout = f"-c lock_timeout={int(get_settings().lock_timeout_ms)}ms"
    shape = pool_shape(url)
    log.info("database pool: %d of a budget of %d (%s) for %d workers", shape.pool_size, shape.budget,
             shape.source, shape.workers)
    return create_engine(url, pool_size=shape.pool_size, max_overflow=0, pool_timeout=shape.timeout_s,
                         pool_recycle=1800, connect_args={"options": timeout, "connect_timeout": 5})


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


def on_commit(db: Session | Connection | DriverTx, callback: Callable[[], Any]) -> None:
    """Run `callback` after the enclosing scope commits; dropped on rollback."""
    db.info.setdefault(_AFTER_COMMIT, []).append(callback)


def _run_after_commit(callbacks: list[Callable[[], Any]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:  # a side effect must never undo or fail a committed sale
            log.exception("after-commit callback failed")


def busy_error(cause: BaseException | None = None) -> ServiceError:
    """The retryable refusal of a transient database failure (503 in the API), logged with its
    kind: an operator (or bench/stampede.py's output) sees why buyers were asked to retry."""
    if cause is not None:
        log.warning("busy: %s", transient_kind(cause))
    return ServiceError("busy", BUSY_MESSAGE)


@contextmanager
def _rolled_back_on_error(rollback: Callable[[], Any]) -> Iterator[None]:
    """Roll back on any error; a transient failure (no pooled connection in time, connection
    lost, lock timeout, deadlock...) becomes the retryable `busy`."""
    try:
        yield
    except BaseException as exc:
        try:
            rollback()
        except Exception as rollback_exc:  # the connection is gone: the server rolls it back
            if not is_transient(rollback_exc):
                raise
        if isinstance(exc, Exception) and is_transient(exc):
            raise busy_error(exc) from exc
        raise


@contextmanager
def session_scope(*, readonly: bool = False, url: str | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error, then run after-commit hooks."""
    engine = get_engine(url)
    bind = engine.execution_options(readonly=True) if readonly else engine
    db = Session(bind=bind, expire_on_commit=False)
    try:
        with _rolled_back_on_error(db.rollback):
            yield db
            db.commit()
    finally:
        callbacks = db.info.pop(_AFTER_COMMIT, [])
        db.close()
    _run_after_commit(callbacks)


@contextmanager
def connection_scope(*, url: str | None = None) -> Iterator[Connection]:
    """One transaction on a Core connection, for use cases that write no ORM objects: commit on
    success, roll back on error, then run after-commit hooks, like `session_scope` at about half
    its CPU (no Session, identity map or flush: what a door scan, the hottest write, spends)."""
    with _rolled_back_on_error(lambda: None):
        conn = get_engine(url).connect()
    # A Connection's `info` is its pooled DBAPI connection's and outlives this transaction:
    # what the transaction notes there (hooks, staged messages) is dropped with it.
    info = conn.info
    kept = set(info)
    try:
        with _rolled_back_on_error(conn.rollback):
            conn.begin()
            yield conn
            conn.commit()
    finally:
        callbacks = info.pop(_AFTER_COMMIT, [])
        for key in set(info) - kept:
            del info[key]
        conn.close()
    _run_after_commit(callbacks)


class DriverTx:
    """A transaction on a pooled connection's own driver (psycopg) connection, for the hottest
    use case whose statements are plain SQL anyway (a door scan): SQLAlchemy's Connection and
    Transaction would cost more CPU than the rest of its Python (bench/checkin.py).
    `info` holds what the transaction notes (after-commit hooks), like a Session's."""

    def __init__(self, pooled: Any) -> None:
        self.pooled = pooled  # the pool's proxy: `record_info` lives as long as the connection
        self.driver = pooled.driver_connection
        self.info: dict[str, Any] = {}


@contextmanager
def busy_on_lock() -> Iterator[None]:
    """A transient driver (psycopg) or SQLAlchemy failure (lock timeout, deadlock, serialization
    failure, lost connection, no pooled connection in time) becomes the retryable `busy`."""
    try:
        yield
    except Exception as exc:
        if is_transient(exc):
            raise busy_error(exc) from exc
        raise


@contextmanager
def _pooled_driver(engine: Engine) -> Iterator[Any]:
    """A pooled connection's proxy, given back to the pool afterwards, or thrown away if broken."""
    with busy_on_lock():
        pooled = engine.raw_connection()
    try:
        yield pooled
    finally:
        driver = pooled.driver_connection
        if driver.closed or driver.broken:
            # A dead connection does not go back to the pool; as SQLAlchemy does on a disconnect
            # it sees itself, the pool's older connections are replaced at their next checkout
            # (after a server restart they are all dead: one failed request, not one per connection).
            engine.pool._invalidate(pooled)
        pooled.close()


@contextmanager
def driver_scope(*, url: str | None = None) -> Iterator[DriverTx | Connection]:
    """One transaction of plain-SQL statements: on PostgreSQL a DriverTx, elsewhere (SQLite) a
    Core connection (`connection_scope`). Commit on success, roll back on error, then run
    after-commit hooks; a lock timeout or deadlock becomes a retryable `busy`."""
    engine = get_engine(url)
    if engine.dialect.name != "postgresql":
        with connection_scope(url=url) as conn:
            yield conn
        return
    with _pooled_driver(engine) as pooled:
        tx = DriverTx(pooled)
        try:
            with busy_on_lock():
                yield tx
                tx.driver.commit()
        except BaseException:
            if not (tx.driver.closed or tx.driver.broken):
                try:
                    tx.driver.rollback()
                except Exception as rollback_exc:  # the connection is gone: so is the transaction
                    if not is_transient(rollback_exc):
                        raise
            raise
    _run_after_commit(tx.info.pop(_AFTER_COMMIT, []))


def pg_driver(tx: Session | Connection | DriverTx) -> Any:
    """The psycopg connection a transaction runs on, on PostgreSQL (same transaction); None on
    SQLite. For hot paths whose statements are plain SQL."""
    if isinstance(tx, DriverTx):
        return tx.driver
    conn = tx if isinstance(tx, Connection) else tx.connection()
    return conn.connection.driver_connection if conn.dialect.name == "postgresql" else None


@contextmanager
def autocommit_connection(url: str | None = None) -> Iterator[Any]:
    """A pooled psycopg connection in autocommit mode (every statement its own transaction) on
    PostgreSQL, None elsewhere. For a use case that is one statement: no BEGIN / COMMIT round
    trips. Statements keep the connection's lock timeout."""
    engine = get_engine(url)
    if engine.dialect.name != "postgresql":
        yield None
        return
    with _pooled_driver(engine) as pooled:
        raw = pooled.driver_connection
        try:
            with busy_on_lock():
                raw.autocommit = True
                yield raw
        finally:
            if not (raw.closed or raw.broken):
                raw.autocommit = False  # how the pool hands connections to transactions


def pg_array(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal of uuids or integers (NULL for None), for a parameter the
    statement casts (`%(ids)s::uuid[]`): psycopg's own list adaptation costs more client CPU
    than the rest of a hot statement's parameters."""
    return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"


@event.listens_for(Session, "before_flush")
def _no_bad_text_in_flush(db: Session, _context: Any, _instances: Any) -> None:
    """Refuse (422 `invalid_text`, the transaction rolls back) any text with control characters
    or lone surrogates on its way to the database: pages and the API share this one check, and
    no handler can forget it. New rows: every text value; changed rows: the changed values."""
    for obj in db.new:
        check_values((k, v) for k, v in vars(obj).items() if not k.startswith("_"))
    for obj in db.dirty:
        state = inspect(obj)
        check_values((k, state.dict.get(k)) for k in state.committed_state)


def as_loaded(model: type[T], **values: Any) -> T:
    """An ORM instance holding `values` as if just loaded from its row, for rows the caller
    writes itself (then make_transient_to_detached + add makes it the session's persistent
    copy). SQLModel's validating constructor costs 0.2-0.4 ms per row here: more than the
    statement that inserts a hold."""
    configure_mappers()  # a no-op once configured
    obj = instrumentation.manager_of_class(model).new_instance()
    for key, value in values.items():
        attributes.set_committed_value(obj, key, value)
    return obj


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
    for _model, rows in batches:  # past the ORM, so past _no_bad_text_in_flush: checked here
        for row in rows:
            check_values(row.items())
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
    if code in _LOCK_STATES:
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
            raise busy_error(exc) from exc
        raise
    db.info.setdefault(LOCKED, {}).setdefault(model.__tablename__, set()).update(ordered)
    return rows
