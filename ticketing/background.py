"""Periodic work of an app process on the embedded SQLite default (jobs/worker.py runs it there;
on PostgreSQL the sweeper, the refund pass and the daily reconciliation are procrastinate
periodic jobs: jobs/tasks.py)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from ticketing.db import session_scope
from ticketing.jobs.waitlist_offers import offer_freed_places
from ticketing.models.base import utcnow
from ticketing.payments.reconcile import reconcile_past_days
from ticketing.payments.refunds import send_pending_refunds
from ticketing.services.errors import ServiceError
from ticketing.services.sales.sweeper import sweep

log = logging.getLogger(__name__)

SWEEP_EVERY = 5.0  # seconds: how soon pages see an expired cart's places come back
REFUNDS_EVERY = 60.0  # seconds: refunds Stripe could not take at once are sent again
RECONCILE_AT = timedelta(hours=3, minutes=30)  # UTC time of day, as jobs/tasks.py RECONCILE_CRON


def sweep_once() -> int:
    """Tidy expired holds and orders (their events' deltas are published after commit), then
    offer freed places to waiting lists."""
    with session_scope() as db:
        changed = len(sweep(db=db, now=utcnow()).event_versions)
    offer_freed_places()
    return changed


async def sweep_periodically(interval: float = SWEEP_EVERY) -> None:
    """Never needed for correctness (expired claims stop counting by themselves): it tells
    watching pages that places came back. Several workers may sweep; the sweep is locked."""
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(sweep_once)
        except ServiceError:  # busy: the next pass will do it
            continue
        except Exception:
            log.exception("sweep failed")


async def retry_refunds_periodically(interval: float = REFUNDS_EVERY) -> None:
    """Refunds are recorded with the change that owes them and sent after commit; one that
    failed to reach Stripe (network, outage) stays pending and is sent again from here, with
    the same idempotency key, so it is never paid twice."""
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(send_pending_refunds)
        except Exception:
            log.exception("refund retry failed")


def seconds_until_reconciliation(now: datetime) -> float:
    """How long until the next daily reconciliation (RECONCILE_AT, UTC)."""
    due = now.replace(hour=0, minute=0, second=0, microsecond=0) + RECONCILE_AT
    if due <= now:
        due += timedelta(days=1)
    return (due - now).total_seconds()


async def reconcile_daily() -> None:
    """Yesterday's books against Stripe, once a day (the result is kept for the Finance page)."""
    while True:
        await asyncio.sleep(seconds_until_reconciliation(utcnow()))
        try:
            await asyncio.to_thread(reconcile_past_days, 1)
        except Exception:
            log.exception("daily reconciliation failed")
