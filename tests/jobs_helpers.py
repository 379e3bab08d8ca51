"""Reading the job queue in tests: its jobs as rows of procrastinate's table."""

from __future__ import annotations

import time

from sqlalchemy import text

from ticketing.db import get_engine
from ticketing.jobs.worker import run_pending_jobs


def queued(task: str | None = None) -> list[dict]:
    """Jobs in the queue (a successful job is deleted once done), oldest first."""
    with get_engine().connect() as conn:
        rows = conn.execute(text("SELECT id, task_name, status, attempts, args FROM procrastinate_jobs "
                                 "WHERE CAST(:task AS text) IS NULL OR task_name = :task ORDER BY id"), {"task": task})
        return [dict(r._mapping) for r in rows]


def backends_waiting_on_a_lock() -> int:
    """Connections of this database waiting for a row lock right now."""
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND wait_event_type = 'Lock'")).scalar_one()


def jobs_in_flight() -> int:
    """Jobs due now or running (on any worker: this process's or a running app's)."""
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing' "
                                 "OR (status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now()))")
                            ).scalar_one()


def settle_jobs(seconds: float = 30) -> None:
    """Run the jobs due now here, and wait for those another worker (a running app's) has taken."""
    deadline = time.monotonic() + seconds
    run_pending_jobs()
    while jobs_in_flight() and time.monotonic() < deadline:
        time.sleep(0.05)
        run_pending_jobs()
