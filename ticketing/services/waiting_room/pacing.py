"""Letting customers in at the room's rate: the one place admissions are decided.

Each room has a pacing clock (`paced_at`) under its row lock: `rate` admissions per minute are
due from the clock on, and every admission moves the clock on by 60/rate seconds. Whoever calls
`admit_due`, and however often, the admissions add up to the configured rate: several app
instances each running the ticker do not multiply it. A burst after a pause is bounded
(MAX_CREDIT_SECONDS), and an empty queue banks no admissions for later.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlmodel import Session, select

from ticketing.db import session_scope
from ticketing.models import WaitingRoom
from ticketing.services.errors import ServiceError
from ticketing.services.waiting_room.queue_store import QueueStore, get_queue
from ticketing.services.waiting_room.rooms import admission_minutes, forget_room_flag, lock_room
from ticketing.settings import get_settings

log = logging.getLogger(__name__)
MAX_CREDIT_SECONDS = 2.0  # at most this many seconds' worth of admissions (or one) in one go
AUTO_OFF_AFTER = timedelta(minutes=5)  # a surge room closes once calm and empty this long


def admit_due(*, db: Session, event_id: uuid.UUID, now: datetime, queue: QueueStore | None = None) -> int:
    """Let in the customers due by `now` at the room's rate (first places first; places not
    seen for the grace period are dropped); returns how many were let in."""
    queue = queue or get_queue()
    room = lock_room(db, event_id, nowait=True)
    if room is None or not room.enabled or now <= room.opens_at:
        return 0
    step = timedelta(seconds=60 / room.rate_per_minute)
    clock = max(room.paced_at, now - max(step, timedelta(seconds=MAX_CREDIT_SECONDS)))
    due = int((now - clock) / step)
    stale_before = now - timedelta(seconds=get_settings().waiting_room_grace_seconds)
    let_in = queue.admit(db, event_id=event_id, count=due, until=now + admission_minutes(),
                         stale_before=stale_before)
    # Admissions not taken for want of customers are not kept for later.
    room.paced_at = clock + step * len(let_in) if len(let_in) == due else now
    room.admitted_total += len(let_in)
    if room.auto_started and not let_in and queue.waiting(db, event_id=event_id) == 0 and (
            room.last_surge_at is None or room.last_surge_at < now - AUTO_OFF_AFTER):
        room.enabled, room.auto_started = False, False
        forget_room_flag(event_id)
    db.add(room)
    return len(let_in)


def open_rooms(db: Session) -> list[uuid.UUID]:
    return list(db.exec(select(WaitingRoom.event_id).where(WaitingRoom.enabled.is_(True))).all())


def tick(*, now: datetime, queue: QueueStore | None = None) -> int:
    """One beat of the pacer over every open room, each in a transaction of its own; a room
    another process is pacing right now is skipped (its clock keeps the rate)."""
    with session_scope(readonly=True) as db:
        events = open_rooms(db)
    admitted = 0
    for event_id in events:
        try:
            with session_scope() as db:
                admitted += admit_due(db=db, event_id=event_id, now=now, queue=queue)
        except ServiceError as exc:
            if exc.code != "busy":
                raise
    return admitted
