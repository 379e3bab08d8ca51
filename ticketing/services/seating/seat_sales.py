"""The customer's seat use cases: hold chosen seats, find and hold the best available ones, and
read back one's own held seats. Tickets follow from the seats' price levels, and the hold goes
through holds.hold_tickets, so seats and places are taken in one all-or-nothing transaction."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from ticketing.models import EventSeat, Hold, HoldSeat, HoldStatus, Venue
from ticketing.services.errors import ServiceError, invalid
from ticketing.services.presales.access import locked_idxs
from ticketing.services.sales import holds
from ticketing.services.sales.availability import visible_event
from ticketing.services.seating.best_available import MODES, Pick, best_seats
from ticketing.services.seating.seat_claims import level_ticket_types
from ticketing.services.seating.seat_map import seat_infos, seated_session

MAX_BEST = 50


@dataclass(frozen=True)
class SeatHold:
    hold: Hold
    idxs: list[int]


def _seats_by_idx(db: Session, session_id: uuid.UUID, idxs: Sequence[int]) -> list[EventSeat]:
    if not idxs or any(isinstance(i, bool) or not isinstance(i, int) for i in idxs):
        raise invalid("invalid_selection", "Choose at least one seat.", field="seats")
    if len(set(idxs)) != len(idxs):
        raise invalid("duplicate_seat", "Each seat can be chosen once.")
    rows = list(db.exec(select(EventSeat).where(EventSeat.session_id == session_id, EventSeat.idx.in_(list(idxs)))))
    if len(rows) != len(idxs):
        raise invalid("invalid_selection", "Some chosen seats are not on this map.", field="seats")
    return rows


def hold_seats(*, db: Session, event_id: uuid.UUID, session_id: uuid.UUID, user_id: uuid.UUID,
               idxs: Sequence[int], now: datetime, access_code: str | None = None,
               promo_code: str | None = None) -> SeatHold:
    """Hold these seats (by map index) and one ticket of each seat's price level per seat
    (`access_code`: opens a presale's seat block), with the promo code's discount when one is
    given (its refusals as for any hold)."""
    visible_event(db=db, event_id=event_id, user_id=user_id)
    seated_session(db, event_id=event_id, session_id=session_id)
    seats = _seats_by_idx(db, session_id, list(idxs))
    types_of = level_ticket_types(db, {s.price_level_id for s in seats})
    items = sorted(Counter(types_of[s.price_level_id] for s in seats).items(), key=lambda kv: str(kv[0]))
    hold = holds.hold_tickets(db=db, event_id=event_id, user_id=user_id, items=items, now=now,
                              seat_ids=[s.id for s in seats], access_code=access_code, promo_code=promo_code)
    return SeatHold(hold=hold, idxs=sorted(s.idx for s in seats))


def find_best(
    *,
    db: Session,
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    user_id: uuid.UUID | None,
    count: int,
    now: datetime,
    level_ids: Collection[uuid.UUID] = (),
    section: str | None = None,
    mode: str = "best",
    wheelchair: int = 0,
    access_code: str | None = None,
) -> Pick:
    """The best `count` seats right now (see best_available); 409 `no_seats` when the filters
    and mode leave none (the message says what to relax)."""
    visible_event(db=db, event_id=event_id, user_id=user_id)
    seated = seated_session(db, event_id=event_id, session_id=session_id)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_BEST:
        raise invalid("invalid_quantity", f"Ask for 1 to {MAX_BEST} seats.", field="count")
    if mode not in MODES:
        raise invalid("invalid_mode", f"mode is one of {', '.join(MODES)}.", field="mode")
    if isinstance(wheelchair, bool) or not isinstance(wheelchair, int) or not 0 <= wheelchair <= count:
        raise invalid("invalid_quantity", "Wheelchair spaces: from 0 to the number of seats.", field="wheelchair")
    venue = db.get(Venue, seated.venue_id)
    # Seats of a presale's block are not offered to a caller whose code does not open it.
    locked = locked_idxs(db, event_id=event_id, session_id=session_id, access_code=access_code, now=now)
    infos = [i._replace(free=False) if i.idx in locked else i for i in seat_infos(db, session_id=session_id, now=now)]
    pick = best_seats(infos, count=count,
                      focal=(venue.stage_x, venue.stage_y), levels=set(level_ids) or None, section=section or None,
                      mode=mode, wheelchair=wheelchair)
    if pick is None:
        hint = {"adjacent": "Try 'best available' to allow seats split over rows.",
                "same_section": "Try another section or 'best available'."}.get(mode, "Try fewer seats or other prices.")
        raise ServiceError("no_seats", f"No {count} seat(s) match right now. {hint}", count=count, mode=mode)
    return pick


def hold_best(*, db: Session, event_id: uuid.UUID, session_id: uuid.UUID, user_id: uuid.UUID, count: int,
              now: datetime, level_ids: Collection[uuid.UUID] = (), section: str | None = None, mode: str = "best",
              wheelchair: int = 0, access_code: str | None = None) -> SeatHold:
    """Find the best seats and hold them in the same transaction (a seat taken between the two
    makes the hold refuse with `seat_unavailable`; the caller may simply ask again)."""
    pick = find_best(db=db, event_id=event_id, session_id=session_id, user_id=user_id, count=count, now=now,
                     level_ids=level_ids, section=section, mode=mode, wheelchair=wheelchair, access_code=access_code)
    return hold_seats(db=db, event_id=event_id, session_id=session_id, user_id=user_id, idxs=pick.idxs, now=now,
                      access_code=access_code)


def current_hold(*, db: Session, event_id: uuid.UUID, session_id: uuid.UUID, user_id: uuid.UUID,
                 now: datetime) -> SeatHold | None:
    """The user's live hold of the event with its seats on this map, if any."""
    hold = db.exec(
        select(Hold).where(Hold.user_id == user_id, Hold.event_id == event_id, Hold.status == HoldStatus.active.value,
                           Hold.expires_at > now)
    ).first()
    if hold is None:
        return None
    idxs = db.exec(
        select(EventSeat.idx).join(HoldSeat, HoldSeat.event_seat_id == EventSeat.id)
        .where(HoldSeat.hold_id == hold.id, EventSeat.session_id == session_id)
    ).all()
    return SeatHold(hold=hold, idxs=sorted(idxs))
