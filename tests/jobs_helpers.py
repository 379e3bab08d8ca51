"""Reading the job queue in tests: its jobs as rows of procrastinate's table."""

from __future__ import annotations

from sqlalchemy import text

from ticketing.db import get_engine


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
