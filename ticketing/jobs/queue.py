"""Putting a job on the queue, in the transaction of the change that causes it.

PostgreSQL: the queue is procrastinate's (jobs are rows in its tables). `enqueue` inserts the
job on the caller's own connection, so it commits or rolls back with the order: a job is never
lost after a commit, never run for a change that rolled back. Workers (one per app process, see
jobs/worker.py) pick it up at once through LISTEN/NOTIFY, retry it with backoff, and a job whose
worker died is run again.

SQLite (the embedded default, one process): procrastinate has no SQLite connector (its in-memory
one is for tests), so a job runs in this process, on a background thread, after commit, through
the same task functions, with the same retries. It is not durable: a job still waiting when the
process stops is lost (the sweeper's tidying is redone by the next sweep; a lost mail is not).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

from procrastinate import App, PsycopgConnector, SyncPsycopgConnector
from sqlalchemy.engine import Connection
from sqlmodel import Session

from ticketing.db import get_engine, on_commit, pg_driver
from ticketing.jobs.failures import record_failure
from ticketing.settings import get_settings

log = logging.getLogger(__name__)

# The modules whose import registers every task (a string, like procrastinate's import_paths:
# the tasks call payments and mail, which themselves enqueue jobs).
TASK_MODULE = "ticketing.jobs.tasks"
# name -> (function(**kwargs), retry delays in seconds): filled by TASK_MODULE on import.
LOCAL_TASKS: dict[str, tuple[Callable[..., Any], tuple[float, ...]]] = {}
# A worker's own pool: its LISTEN connection and one for fetching and finishing jobs (the jobs
# themselves use the app's pool, inside the connection budget).
WORKER_POOL_SIZE = 2
APPLICATION_NAME = "ticketing-jobs"  # the workers' connections, as pg_stat_activity names them


def conninfo(url: str | None = None) -> str:
    """The libpq URL of the app's database (SQLAlchemy's driver suffix removed)."""
    url = url or get_settings().database_url
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def uses_queue(url: str | None = None) -> bool:
    """Whether jobs go through procrastinate (PostgreSQL), else they run in-process (SQLite)."""
    return get_engine(url).dialect.name == "postgresql"


def new_app(url: str | None = None) -> App:
    """A procrastinate app on the database at `url` (default: the settings' one), with a
    connector of its own. One per worker loop, never shared: a connector's pool belongs to the
    event loop that opened it, and a test process runs several loops (each app lifespan, each
    run_pending_jobs), so a shared app raced ("future belongs to a different loop", "pool
    closed")."""
    connector = PsycopgConnector(conninfo=conninfo(url), min_size=1, max_size=WORKER_POOL_SIZE,
                                 kwargs={"application_name": APPLICATION_NAME})
    app = App(connector=connector)
    return importlib.import_module(TASK_MODULE).register(app)


@lru_cache(maxsize=1)
def _deferring_app() -> App:
    """An app that only inserts jobs, on a connection it is given (the caller's transaction):
    it never opens a pool. Not the worker's app, whose connector turns async once it opens."""
    return App(connector=SyncPsycopgConnector())


def enqueue(db: Session | Connection, task: str, **kwargs: Any) -> None:
    """Queue `task(**kwargs)` in `db`'s transaction: it runs after commit, never on rollback.
    Arguments must be JSON (ids as strings)."""
    driver = pg_driver(db)
    if driver is not None:
        _deferring_app().configure_task(name=task, connection=driver).defer(**kwargs)
        return
    on_commit(db, lambda: run_in_process(task, kwargs))


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def run_in_process(task: str, kwargs: dict[str, Any], attempt: int = 0) -> None:
    """SQLite: run the task on this process's job thread (never in the caller's request);
    a failure is tried again after the task's next delay, and recorded when none is left."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobs")
    _executor.submit(_run_local, task, kwargs, attempt)


def _run_local(task: str, kwargs: dict[str, Any], attempt: int) -> None:
    importlib.import_module(TASK_MODULE)
    func, delays = LOCAL_TASKS[task]
    try:
        func(**kwargs)
    except Exception as exc:  # a job's failure is retried or recorded, never raised to a request
        if attempt < len(delays):
            log.warning("job %s failed (attempt %d), trying again in %ss: %s", task, attempt + 1, delays[attempt], exc)
            timer = threading.Timer(delays[attempt], run_in_process, (task, kwargs, attempt + 1))
            timer.daemon = True
            timer.start()
            return
        log.exception("job %s failed for good", task)
        record_failure(task=task, kwargs=kwargs, attempts=attempt + 1, error=exc)


def wait_in_process_jobs() -> None:
    """Wait for the in-process jobs queued so far (SQLite; tests and shutdown)."""
    global _executor
    with _executor_lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True)
