"""Places taken per session and per ticket-type quota: the one counting rule.

taken = sold (confirmed, a counter on the row) + pending (claims of unpaid orders within their
deadline) + held (claims of live holds). Claims count only while expires_at > now, so an expired
hold or order frees its places at that instant, with no job running.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, update
from sqlmodel import Session, select

from ticketing.models import Event, EventSession, PlaceClaim, TicketType


@dataclass(frozen=True)
class Usage:
    sold: int = 0
    pending: int = 0
    held: int = 0

    @property
    def taken(self) -> int:
        return self.sold + self.pending + self.held


def _live_claims(db: Session, column, ids: Collection[uuid.UUID], now: datetime) -> dict[uuid.UUID, tuple[int, int]]:
    """{id: (pending, held)} summed over unexpired claims, one query."""
    if not ids:
        return {}
    pending = func.sum(case((PlaceClaim.order_id.is_not(None), PlaceClaim.quantity), else_=0))
    held = func.sum(case((PlaceClaim.order_id.is_(None), PlaceClaim.quantity), else_=0))
    rows = db.exec(
        select(column, pending, held)
        .where(column.in_(list(ids)), PlaceClaim.expires_at > now)
        .group_by(column)
    ).all()
    return {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in rows}


def session_usage(*, db: Session, sessions: Collection[EventSession], now: datetime) -> dict[uuid.UUID, Usage]:
    """Usage of each given session (rows already loaded, and locked when the caller will write)."""
    live = _live_claims(db, PlaceClaim.session_id, [s.id for s in sessions], now)
    return {s.id: Usage(s.sold, *live.get(s.id, (0, 0))) for s in sessions}


def ticket_type_usage(*, db: Session, ticket_types: Collection[TicketType], now: datetime) -> dict[uuid.UUID, Usage]:
    """Quota usage of each given ticket type."""
    live = _live_claims(db, PlaceClaim.ticket_type_id, [t.id for t in ticket_types], now)
    return {t.id: Usage(t.sold, *live.get(t.id, (0, 0))) for t in ticket_types}


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
    # Imported here: the publisher itself counts with this module.
    from ticketing.realtime.publisher import mark_structure_changed, stage_delta

    version = db.exec(
        update(Event).where(Event.id == event_id).values(version=Event.version + 1).returning(Event.version)
    ).scalar_one()
    cached = db.identity_map.get(db.identity_key(Event, event_id))
    if cached is not None:
        db.expire(cached, ["version"])
    if structure:
        mark_structure_changed(db, event_id)
    stage_delta(db, event_id=event_id, version=version)
    return version
