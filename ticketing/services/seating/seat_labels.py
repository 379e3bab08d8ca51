"""Which seat a ticket or a cart line stands for, named as people read it ("Stalls · Row A ·
Seat 8"): the cart, payment page, confirmation, My tickets, mails and calendar file show it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from ticketing.models import EventSeat, EventSession, HoldSeat, PriceLevel, Seat, TicketSeat


@dataclass(frozen=True)
class SeatName:
    session_id: uuid.UUID
    session_name: str
    session_starts_at: datetime
    section: str
    row: str
    number: str
    idx: int

    @property
    def label(self) -> str:
        return f"{self.section} · Row {self.row} · Seat {self.number}"


def seat_names_of_tickets(db: Session, ticket_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[SeatName]]:
    """{ticket_id: its seats, one per seated session it admits to, by session start}."""
    if not ticket_ids:
        return {}
    rows = db.exec(
        select(TicketSeat.ticket_id, EventSession.id, EventSession.name, EventSession.starts_at, Seat.section, Seat.row, Seat.number,
               EventSeat.idx)
        .join(EventSeat, EventSeat.id == TicketSeat.event_seat_id)
        .join(Seat, Seat.id == EventSeat.seat_id)
        .join(EventSession, EventSession.id == TicketSeat.session_id)
        .where(TicketSeat.ticket_id.in_(list(ticket_ids)))
        .order_by(EventSession.starts_at, EventSeat.idx)
    ).all()
    out: dict[uuid.UUID, list[SeatName]] = defaultdict(list)
    for ticket_id, *rest in rows:
        out[ticket_id].append(SeatName(*rest))
    return dict(out)


def seat_names_of_hold(db: Session, hold_id: uuid.UUID) -> dict[uuid.UUID, list[SeatName]]:
    """{ticket_type_id: the seats the hold asked for at that type's price level}, in map order
    (kept after the hold expires, as checkout can take them again)."""
    rows = db.exec(
        select(PriceLevel.ticket_type_id, EventSession.id, EventSession.name, EventSession.starts_at, Seat.section, Seat.row, Seat.number,
               EventSeat.idx)
        .select_from(HoldSeat)
        .join(EventSeat, EventSeat.id == HoldSeat.event_seat_id)
        .join(Seat, Seat.id == EventSeat.seat_id)
        .join(PriceLevel, PriceLevel.id == EventSeat.price_level_id)
        .join(EventSession, EventSession.id == EventSeat.session_id)
        .where(HoldSeat.hold_id == hold_id)
        .order_by(EventSession.starts_at, EventSeat.idx)
    ).all()
    out: dict[uuid.UUID, list[SeatName]] = defaultdict(list)
    for type_id, *rest in rows:
        out[type_id].append(SeatName(*rest))
    return dict(out)


def seat_texts(seats: list[SeatName]) -> list[str]:
    """One label per seat; the session's name is added when the seats span several sessions."""
    several = len({s.session_id for s in seats}) > 1
    return [f"{s.label} ({s.session_name})" if several else s.label for s in seats]
