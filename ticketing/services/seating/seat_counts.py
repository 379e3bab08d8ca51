"""Free seats per price category of a seated session: what a seated ticket type really has left.

A seated session's places are shared by all its price levels, so its place count says nothing
about one category ("696 left" for each while the circle has 16). The event page shows, per
ticket type, the free seats of its levels; live listeners keep the figure from the seat codes
that every delta carries, without reading the database again.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, select

from ticketing.models import EventSeat, PriceLevel
from ticketing.services.seating.seat_status import AVAILABLE, code_sql

SeatFree = dict[uuid.UUID, dict[uuid.UUID, int]]  # {session_id: {ticket_type_id: free seats}}


def free_seats_by_type(db: Session, *, event_id: uuid.UUID, now: datetime) -> SeatFree:
    """Free (sellable) seats per seated session and ticket type, in one grouped query; sessions
    that are not seated are absent."""
    rows = db.exec(
        select(EventSeat.session_id, PriceLevel.ticket_type_id,
               func.sum(case((code_sql(now) == AVAILABLE, 1), else_=0)))
        .join(PriceLevel, PriceLevel.id == EventSeat.price_level_id)
        .where(EventSeat.event_id == event_id)
        .group_by(EventSeat.session_id, PriceLevel.ticket_type_id)
    ).all()
    out: SeatFree = {}
    for session_id, type_id, free in rows:
        out.setdefault(session_id, {})[type_id] = int(free or 0)
    return out


@dataclass
class SessionSeats:
    """One seated session as a live listener keeps it: each seat's ticket type and code."""

    type_of: dict[int, uuid.UUID]
    code_of: dict[int, int]
    free: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.free = Counter(self.type_of[i] for i, c in self.code_of.items() if c == AVAILABLE and i in self.type_of)

    def apply(self, changes: list[Any]) -> bool:
        """Take a delta's [[idx, code], ...]; False when a seat is unknown (reload)."""
        for idx, code in changes:
            type_id = self.type_of.get(idx)
            if type_id is None:
                return False
            before = self.code_of.get(idx)
            if before == AVAILABLE and code != AVAILABLE:
                self.free[type_id] -= 1
            elif before != AVAILABLE and code == AVAILABLE:
                self.free[type_id] += 1
            self.code_of[idx] = code
        return True


def load_session_seats(db: Session, *, event_id: uuid.UUID, now: datetime) -> dict[uuid.UUID, SessionSeats]:
    """Every seated session of the event, seat by seat (one query)."""
    rows = db.exec(
        select(EventSeat.session_id, EventSeat.idx, PriceLevel.ticket_type_id, code_sql(now))
        .join(PriceLevel, PriceLevel.id == EventSeat.price_level_id)
        .where(EventSeat.event_id == event_id)
    ).all()
    types: dict[uuid.UUID, dict[int, uuid.UUID]] = {}
    codes: dict[uuid.UUID, dict[int, int]] = {}
    for session_id, idx, type_id, code in rows:
        types.setdefault(session_id, {})[idx] = type_id
        codes.setdefault(session_id, {})[idx] = int(code)
    return {sid: SessionSeats(types[sid], codes[sid]) for sid in types}


def free_of(seats: dict[uuid.UUID, SessionSeats]) -> SeatFree:
    return {sid: dict(s.free) for sid, s in seats.items()}
