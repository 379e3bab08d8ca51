"""How many PostgreSQL connections this process may hold, and which database failures are
transient (the caller gets a retryable `busy`, never a 500).

The deployment has one connection budget (DB_CONNECTION_BUDGET) shared by its worker processes:
each worker's pool is the budget divided by the worker count, with no overflow, so the whole
deployment never opens more than the budget whatever the load. A request that cannot get a
connection within DB_POOL_TIMEOUT_S gets 503 `busy`. docs/decisions.md says how the default is
derived and what a deployment of several machines sets.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass

import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)

# Without a budget and without the server's max_connections: a budget that fits the smallest
# stock PostgreSQL (max_connections 100) with room for everything else using it.
FALLBACK_BUDGET = 20
BUDGET_CAP = 40  # a default budget never above this: a shared server has other clients
REFLEX_MAX_WORKERS = 8  # reflex.utils.processes.MAX_BACKEND_WORKERS (0.10.1)
BUSY_MESSAGE = "We're busy right now; please try again in a moment."

# SQLSTATEs of failures that a retry may get past: serialization failure, deadlock, lock timeout,
# too many connections, admin / crash shutdown, the server starting up, idle-session timeout.
_TRANSIENT_STATES = {"40001", "40P01", "55P03", "53300", "53400", "57P01", "57P02", "57P03", "57P05", "25P03"}


@dataclass(frozen=True)
class PoolShape:
    """One worker's share of the budget."""

    budget: int
    workers: int
    pool_size: int
    timeout_s: float
    source: str  # where the budget came from: "setting", "server" or "fallback"


def worker_count(environ: dict[str, str] | None = None) -> int:
    """The deployment's worker processes on this machine: GRANIAN_WORKERS (what Reflex's and our
    granian read), else WEB_CONCURRENCY, else what Reflex starts (one without Redis, 2 x CPUs + 1
    with it, at most 8)."""
    env = os.environ if environ is None else environ
    for name in ("GRANIAN_WORKERS", "WEB_CONCURRENCY"):
        if (env.get(name) or "").strip().isdigit() and int(env[name]) > 0:
            return int(env[name])
    return min((os.cpu_count() or 1) * 2 + 1, REFLEX_MAX_WORKERS) if env.get("REDIS_URL") else 1


def default_budget(max_connections: int, reserved: int) -> int:
    """Half of what the server gives ordinary clients, at most BUDGET_CAP: the rest is for
    migrations, operators, the job runner and the other applications of a shared server."""
    return max(1, min(BUDGET_CAP, (max_connections - reserved) // 2))


def read_server_limits(url: str) -> tuple[int, int] | None:
    """(max_connections, superuser_reserved_connections) of the server, or None if unreachable."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        with psycopg.connect(dsn, connect_timeout=3, autocommit=True) as conn:
            row = conn.execute("SELECT current_setting('max_connections')::int,"
                               " current_setting('superuser_reserved_connections')::int").fetchone()
            return int(row[0]), int(row[1])
    except psycopg.Error as exc:
        log.warning("could not read max_connections (%s); connection budget %d", exc, FALLBACK_BUDGET)
        return None


def pool_shape(url: str, environ: dict[str, str] | None = None) -> PoolShape:
    """This worker's pool: DB_CONNECTION_BUDGET (or the default read from the server) divided by
    the worker count, at least one connection."""
    env = os.environ if environ is None else environ
    workers = worker_count(env)
    timeout = float(env.get("DB_POOL_TIMEOUT_S") or 5)
    raw = (env.get("DB_CONNECTION_BUDGET") or "").strip()
    if raw:
        budget, source = int(raw), "setting"
    elif (limits := read_server_limits(url)) is not None:
        budget, source = default_budget(*limits), "server"
    else:
        budget, source = FALLBACK_BUDGET, "fallback"
    size = max(1, budget // workers)
    if budget < workers:
        log.warning("connection budget %d below %d workers: each still gets one connection", budget, workers)
    return PoolShape(budget=budget, workers=workers, pool_size=size, timeout_s=timeout, source=source)


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None) or exc
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


_KINDS = {"40001": "serialization failure", "40P01": "deadlock", "55P03": "lock timeout",
          "53300": "too many clients", "53400": "configuration limit", "57P01": "admin shutdown",
          "57P02": "crash shutdown", "57P03": "server starting", "57P05": "idle session timeout",
          "25P03": "idle in transaction timeout"}


def transient_kind(exc: BaseException) -> str:
    """Which transient failure this is, for the log line that explains a `busy`."""
    if isinstance(exc, PoolTimeout):
        return "no pooled connection in time"
    state = _sqlstate(exc)
    if state in _KINDS:
        return _KINDS[state]
    return "connection failed" if state is None or state.startswith("08") else f"sqlstate {state}"


def is_transient(exc: BaseException) -> bool:
    """A database failure a retry may get past: no free pooled connection in time, connection
    refused / reset / closed, too many clients, serialization failure, deadlock, lock timeout,
    admin shutdown. Programming errors (bad SQL, constraint violations) are not."""
    if isinstance(exc, PoolTimeout):
        return True
    state = _sqlstate(exc)
    if state is not None:
        return state in _TRANSIENT_STATES or state.startswith("08")  # 08: connection exception
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    orig = getattr(exc, "orig", None) if isinstance(exc, DBAPIError) else exc
    if isinstance(orig, (psycopg.OperationalError, psycopg.InterfaceError)):
        return True  # no SQLSTATE: the connection itself failed (refused, reset, closed)
    if isinstance(orig, sqlite3.OperationalError):
        return "database is locked" in str(orig).lower()
    return False
