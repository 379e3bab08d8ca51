"""Free seats per price category of a seated session: what a seated ticket type really has left.

A seated session's places are shared by all its price levels, so its place count says nothing
about one category ("696 left" for each while the circle has 16). The event page shows, per
ticket type, the free seats of its levels; live listeners keep the figure from the seat codes
that every delta carries, without reading the database again.

Free seats in presale seat blocks are also counted apart, by the blocks they are in (BlockFree):
a caller whose code does not open a block cannot buy them, and the map shows them blocked, so
its count leaves them out (open_seats).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, select

from ticketing.models import EventSeat, PriceLevel
from ticketing.services.seating.seat_status import AVAILABLE, code_sql

SeatFree = dict[uuid.UUID, dict[uuid.UUID, int]]  # {session_id: {ticket_type_id: free seats}}
# {session_id: Counter({(ticket_type_id, ids of the presales whose blocks hold them): free seats})}
BlockFree = dict[uuid.UUID, Counter]
# {event seat id: ids of the presales whose seat blocks hold it}
Blocks = Mapping[uuid.UUID, frozenset[uuid.UUID]]


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


def free_block_seats(db: Session, *, blocks: Blocks, now: datetime) -> BlockFree:
    """Free seats of presale seat blocks per session, ticket type and the blocks they are in
    (no query when there are no blocks)."""
    if not blocks:
        return {}
    rows = db.exec(
        select(EventSeat.id, EventSeat.session_id, PriceLevel.ticket_type_id)
        .join(PriceLevel, PriceLevel.id == EventSeat.price_level_id)
        .where(EventSeat.id.in_(list(blocks)), code_sql(now) == AVAILABLE)
    ).all()
    out: BlockFree = {}
    for seat_id, session_id, type_id in rows:
        out.setdefault(session_id, Counter())[(type_id, blocks[seat_id])] += 1
    return out


def open_seats(free: SeatFree, block_free: BlockFree, closed: Collection[uuid.UUID]) -> SeatFree:
    """The free seats a caller may buy: `free` less those in a block of a presale in `closed`
    (the blocks the caller's code does not open)."""
    if not closed or not block_free:
        return free
    out = {sid: dict(types) for sid, types in free.items()}
    for session_id, counts in block_free.items():
        for (type_id, presales), n in counts.items():
            if n and not presales.isdisjoint(closed) and type_id in out.get(session_id, {}):
                out[session_id][type_id] -= n
    return out


@dataclass
class SessionSeats:
    """One seated session as a live listener keeps it: each seat's ticket type and code, and the
    presale blocks of the seats that are in one."""

    type_of: dict[int, uuid.UUID]
    code_of: dict[int, int]
    blocks_of: dict[int, frozenset[uuid.UUID]] = field(default_factory=dict)
    free: Counter = field(default_factory=Counter)
    block_free: Counter = field(default_factory=Counter)  # as in BlockFree

    def __post_init__(self) -> None:
        self.free = Counter(self.type_of[i] for i, c in self.code_of.items() if c == AVAILABLE and i in self.type_of)
        self.block_free = Counter((self.type_of[i], b) for i, b in self.blocks_of.items()
                                  if self.code_of.get(i) == AVAILABLE and i in self.type_of)

    def apply(self, changes: list[Any]) -> bool:
        """Take a delta's [[idx, code], ...]; False when a seat is unknown (reload)."""
        for idx, code in changes:
            type_id = self.type_of.get(idx)
            if type_id is None:
                return False
            before = self.code_of.get(idx)
            step = 0
            if before == AVAILABLE and code != AVAILABLE:
                step = -1
            elif before != AVAILABLE and code == AVAILABLE:
                step = 1
            if step:
                self.free[type_id] += step
                if idx in self.blocks_of:
                    self.block_free[(type_id, self.blocks_of[idx])] += step
            self.code_of[idx] = code
        return True


def load_session_seats(db: Session, *, event_id: uuid.UUID, now: datetime,
                       blocks: Blocks | None = None) -> dict[uuid.UUID, SessionSeats]:
    """Every seated session of the event, seat by seat (one query); `blocks` as presales.access.seat_blocks."""
    rows = db.exec(
        select(EventSeat.session_id, EventSeat.idx, PriceLevel.ticket_type_id, code_sql(now), EventSeat.id)
        .join(PriceLevel, PriceLevel.id == EventSeat.price_level_id)
        .where(EventSeat.event_id == event_id)
    ).all()
    blocks = blocks or {}
    types: dict[uuid.UUID, dict[int, uuid.UUID]] = {}
    codes: dict[uuid.UUID, dict[int, int]] = {}
    blocked: dict[uuid.UUID, dict[int, frozenset[uuid.UUID]]] = {}
    for session_id, idx, type_id, code, seat_id in rows:
        types.setdefault(session_id, {})[idx] = type_id
        codes.setdefault(session_id, {})[idx] = int(code)
        if seat_id in blocks:
            blocked.setdefault(session_id, {})[idx] = blocks[seat_id]
    return {sid: SessionSeats(types[sid], codes[sid], blocked.get(sid, {})) for sid in types}


def free_of(seats: dict[uuid.UUID, SessionSeats]) -> SeatFree:
    return {sid: dict(s.free) for sid, s in seats.items()}


def block_free_of(seats: dict[uuid.UUID, SessionSeats]) -> BlockFree:
    return {sid: Counter(s.block_free) for sid, s in seats.items() if s.blocks_of}
