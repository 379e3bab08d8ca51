"""Compose an event's delta inside the transaction that changed it; publish it after commit.

The delta carries the exact usage, at the new version, of every session and ticket-type quota
the transaction locked (locked rows cannot change under it, so the figures are exact; `sold`
is the sales counter), and whether the catalog itself changed (`structure`: listeners reload).
Publishing runs as an after-commit hook and never fails the sale (see bus.publish).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, select

from ticketing.db import LOCKED, on_commit
from ticketing.models import EventSession, TicketType
from ticketing.models.base import utcnow
from ticketing.realtime.bus import get_bus
from ticketing.services import usage

STRUCTURE = "realtime_structure_changed"


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
    sessions = _fresh(db, EventSession, locked.get(EventSession.__tablename__, set()), event_id)
    types = _fresh(db, TicketType, locked.get(TicketType.__tablename__, set()), event_id)
    session_used = usage.session_usage(db=db, sessions=sessions, now=now)
    type_used = usage.ticket_type_usage(db=db, ticket_types=types, now=now)
    message = {
        "type": "delta",
        "event_id": str(event_id),
        "version": version,
        "at": now.isoformat(),
        "sessions": {str(k): [u.sold, u.pending, u.held] for k, u in session_used.items()},
        "quotas": {str(k): [u.sold, u.pending, u.held] for k, u in type_used.items()},
        "structure": event_id in db.info.get(STRUCTURE, set()),
    }
    bus_event = str(event_id)
    on_commit(db, lambda: get_bus().publish(bus_event, message))
    return message
