"""What a transaction changed, for the live layer: compose the event's delta inside the
transaction, bump its version, and publish the delta on the bus after commit. Services record
here; the live layer (ticketing.realtime) only listens, so services never import it.

The delta carries the exact usage, at the new version, of every session and ticket-type quota
the transaction locked (locked rows cannot change under it, so the figures are exact; `sold`
is the sales counter), the new status code of every seat it changed (`seats`), and whether the
catalog itself changed (`structure`: listeners reload).
Publishing runs as an after-commit hook and never fails the sale (see bus.publish).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from ticketing.bus import get_bus
from ticketing.db import LOCKED, DriverTx, on_commit
from ticketing.models import Event, EventSession, TicketType
from ticketing.models.base import utcnow
from ticketing.services.sales import usage
from ticketing.services.seating import seat_status

STRUCTURE = "realtime_structure_changed"
CHECKINS = "realtime_checkins"  # db.info: events whose door figures this transaction changed


def mark_structure_changed(db: Session, event_id: uuid.UUID) -> None:
    """The event's sessions, ticket types or settings changed: listeners must reload it."""
    db.info.setdefault(STRUCTURE, set()).add(event_id)


def _fresh(db: Session, model: type, ids: set[uuid.UUID], event_id: uuid.UUID) -> list[Any]:
    if not ids:
        return []
    stmt = select(model).where(model.id.in_(ids), model.event_id == event_id)
    return list(db.exec(stmt.execution_options(populate_existing=True)).all())


def stage_delta(db: Session, *, event_id: uuid.UUID, version: int) -> dict[str, Any]:
    """Build the delta for `version` of the event and publish it once the transaction commits."""
    now = utcnow()
    locked = db.info.get(LOCKED, {})
    session_ids = locked.get(EventSession.__tablename__, set())
    type_ids = locked.get(TicketType.__tablename__, set())
    # The transaction usually counted these very rows under its locks already (and noted the
    # claims it wrote since): reuse those figures rather than reloading and recounting.
    known = usage.known_usage(db, event_id=event_id, session_ids=session_ids, type_ids=type_ids, now=now)
    if known is not None:
        now, session_used, type_used = known
    else:
        sessions = _fresh(db, EventSession, session_ids, event_id)
        types = _fresh(db, TicketType, type_ids, event_id)
        session_used = usage.session_usage(db=db, sessions=sessions, now=now)
        type_used = usage.ticket_type_usage(db=db, ticket_types=types, now=now)
    return stage_counts(db, event_id=event_id, version=version, at=now,
                        sessions={k: (u.sold, u.pending, u.held) for k, u in session_used.items()},
                        quotas={k: (u.sold, u.pending, u.held) for k, u in type_used.items()})


def stage_counts(db: Session, *, event_id: uuid.UUID, version: int, at: datetime,
                 sessions: dict[uuid.UUID, tuple[int, int, int]], quotas: dict[uuid.UUID, tuple[int, int, int]]
                 ) -> dict[str, Any]:
    """The delta for `version` from figures counted under the caller's locks, {id: (sold,
    pending, held)}; published once the transaction commits."""
    message = _delta(event_id=event_id, version=version, at=at, sessions=sessions, quotas=quotas,
                     structure=event_id in db.info.get(STRUCTURE, set()),
                     seats=seat_status.pop_changes(db, event_id), layouts=seat_status.pop_layout_changes(db, event_id))
    bus_event = str(event_id)
    on_commit(db, lambda: get_bus().publish(bus_event, message))
    return message


def publish_counts(*, event_id: uuid.UUID, version: int, at: datetime,
                   sessions: dict[uuid.UUID, tuple[int, int, int]], quotas: dict[uuid.UUID, tuple[int, int, int]]
                   ) -> dict[str, Any]:
    """stage_counts for a change already committed (one statement in autocommit): publish now."""
    message = _delta(event_id=event_id, version=version, at=at, sessions=sessions, quotas=quotas, structure=False,
                     seats={}, layouts={})
    get_bus().publish(str(event_id), message)
    return message


def _delta(*, event_id: uuid.UUID, version: int, at: datetime, sessions: dict[uuid.UUID, tuple[int, int, int]],
           quotas: dict[uuid.UUID, tuple[int, int, int]], structure: bool, seats: dict, layouts: dict
           ) -> dict[str, Any]:
    return {
        "type": "delta",
        "event_id": str(event_id),
        "version": version,
        "at": at.isoformat(),
        "sessions": {str(k): list(v) for k, v in sessions.items()},
        "quotas": {str(k): list(v) for k, v in quotas.items()},
        "structure": structure,
        "seats": seats,  # {session_id: [[seat idx, code], ...]}
        "layouts": layouts,  # seated sessions re-priced
    }


def stage_checkins(db: Session | Connection | DriverTx, *, event_id: uuid.UUID) -> None:
    """Door figures (check-ins, scan history, conflicts) of the event changed: after commit,
    say so on its channel. No version: places did not change, and bumping the event's version
    would make every gate queue on the event row (bench/checkin.py); listeners reload the door
    and dashboard views, which read these figures from the database anyway."""
    staged = db.info.setdefault(CHECKINS, set())
    if event_id in staged:
        return
    staged.add(event_id)
    message = {"type": "checkins", "event_id": str(event_id), "at": utcnow().isoformat()}
    on_commit(db, lambda: get_bus().publish(str(event_id), message))


_BUMP = (
    update(Event).where(Event.id == bindparam("event_id")).values(version=Event.version + 1).returning(Event.version)
)


def bump_event_version(*, db: Session, event_id: uuid.UUID, structure: bool = False) -> int:
    """Increment the event's version in this transaction (call it last) and return it; the
    live-update delta for that version is composed now and published after commit.

    `structure`: the catalog itself changed (sessions, ticket types, settings), so listeners
    reload the event instead of applying counts.

    A plain UPDATE, not SELECT ... FOR UPDATE: PostgreSQL takes a FOR KEY SHARE lock on the
    event row whenever a row referencing it is inserted (holds, claims, orders), which FOR UPDATE
    would wait on, deadlocking two buyers of disjoint sessions; the UPDATE's FOR NO KEY UPDATE
    does not conflict with it, and it is atomic, so a stale Event copy cannot lose a bump.
    """
    version = db.exec(_BUMP, params={"event_id": event_id}).scalar_one()
    cached = db.identity_map.get(db.identity_key(Event, event_id))
    if cached is not None:
        db.expire(cached, ["version"])
    if structure:
        mark_structure_changed(db, event_id)
    stage_delta(db, event_id=event_id, version=version)
    return version
