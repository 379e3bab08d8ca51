"""Seats inside the place use cases: held with a hold's places, moved to its order, confirmed,
freed on release, cancellation and expiry, all in the caller's transaction.

The place machinery (places.py) stays the capacity control; these functions only pin which
seat each place is. Every caller has already locked the seats' sessions, so seat rows are
locked second and in sorted id order: seat locks can never close a cycle with anyone.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlmodel import Session, select

from ticketing.models import (
    EventSeat,
    Hold,
    HoldSeat,
    Order,
    OrderStatus,
    PriceLevel,
    SeatedSession,
    SeatStatus,
    Ticket,
    TicketSeat,
    TicketStatus,
)
from ticketing.services.errors import ServiceError, invalid
from ticketing.services.sales.places import lock_fresh, session_demand, sessions_of_types
from ticketing.services.seating.seat_status import is_free, is_sellable, note_change, set_free


def seated_session_ids(db: Session, session_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these sessions are sold seat by seat."""
    if not session_ids:
        return set()
    return set(db.exec(select(SeatedSession.session_id).where(SeatedSession.session_id.in_(list(session_ids)))).all())


def level_ticket_types(db: Session, level_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """{price_level_id: ticket_type_id}."""
    if not level_ids:
        return {}
    return dict(db.exec(select(PriceLevel.id, PriceLevel.ticket_type_id).where(PriceLevel.id.in_(list(level_ids)))).all())


def claim_hold_seats(
    db: Session,
    *,
    event_id: uuid.UUID,
    hold: Hold,
    quantities: Mapping[uuid.UUID, int],
    sessions_of: Mapping[uuid.UUID, Sequence[uuid.UUID]],
    seat_ids: Sequence[uuid.UUID],
    now: datetime,
) -> None:
    """Hold exactly one seat per place the hold takes in each seated session.

    409 `seat_unavailable` (with `seat_ids`) for seats that are unknown, of another session or
    event, or not sellable now; 422 `seats_required` when a seated session gets no seats,
    `seats_mismatch` when the seats' price levels do not match the tickets, `duplicate_seat`.
    """
    demand = session_demand(quantities, sessions_of)
    seated = seated_session_ids(db, demand)
    if not seated and not seat_ids:
        return
    ids = list(seat_ids)
    if len(set(ids)) != len(ids):
        raise invalid("duplicate_seat", "Each seat can be chosen once.")
    rows = lock_fresh(db, EventSeat, ids)
    foreign = [i for i in ids if i not in rows or rows[i].event_id != event_id or rows[i].session_id not in seated]
    if foreign:
        raise ServiceError("seat_unavailable", "These seats cannot be held with these tickets.",
                           seat_ids=sorted(foreign))
    taken = [i for i in ids if not is_sellable(rows[i], now)]
    if taken:
        raise ServiceError("seat_unavailable", "Some of these seats were just taken; please choose others.",
                           seat_ids=sorted(taken))
    types_of = level_ticket_types(db, {r.price_level_id for r in rows.values()})
    for session_id in sorted(seated):
        want = Counter({t: q for t, q in quantities.items() if session_id in sessions_of[t]})
        got = Counter(types_of[r.price_level_id] for r in rows.values() if r.session_id == session_id)
        if not got:
            raise invalid("seats_required", "Choose your seats for this performance.", session_id=session_id)
        if want != got:
            raise invalid("seats_mismatch", "Choose one seat of the matching price level per ticket.",
                          session_id=session_id)
    for seat_id in sorted(ids):
        seat = rows[seat_id]
        set_free(seat)
        seat.status, seat.hold_id, seat.expires_at = SeatStatus.held.value, hold.id, hold.expires_at
        db.add(seat)
        db.add(HoldSeat(hold_id=hold.id, event_seat_id=seat.id))
        note_change(db, seat, now)
    db.flush()


def release_hold_seats(db: Session, *, hold_id: uuid.UUID, now: datetime) -> None:
    """The hold's seats that it still holds become available again."""
    ids = db.exec(select(EventSeat.id).where(EventSeat.hold_id == hold_id)).all()
    for seat in lock_fresh(db, EventSeat, ids).values():
        if seat.hold_id == hold_id and seat.status == SeatStatus.held.value:
            set_free(seat)
            db.add(seat)
            note_change(db, seat, now)
    db.flush()


def _assign(
    seats: Sequence[EventSeat], tickets: Sequence[Ticket], types_of: Mapping[uuid.UUID, uuid.UUID],
    sessions_of: Mapping[uuid.UUID, Sequence[uuid.UUID]],
) -> list[tuple[EventSeat, Ticket]]:
    """Pair each ticket with one seat of its ticket type's level in every seated session it
    admits to: tickets in attendee order, seats in map order (so a group sits in order)."""
    pool: dict[tuple[uuid.UUID, uuid.UUID], list[EventSeat]] = defaultdict(list)
    for seat in sorted(seats, key=lambda s: s.idx):
        pool[(seat.session_id, types_of[seat.price_level_id])].append(seat)
    pairs = []
    for ticket in tickets:
        for session_id in sessions_of[ticket.ticket_type_id]:
            free = pool.get((session_id, ticket.ticket_type_id))
            if free:
                pairs.append((free.pop(0), ticket))
    return pairs


def checkout_seats(db: Session, *, hold: Hold, order: Order, now: datetime) -> None:
    """Move the hold's seats to the order's tickets: reserved until the payment deadline, or
    sold when the order is already confirmed. 409 `hold_expired` (with `seat_ids`) when an
    expired hold's seat has been taken by someone else meanwhile."""
    ids = db.exec(select(HoldSeat.event_seat_id).where(HoldSeat.hold_id == hold.id)).all()
    if not ids:
        return
    rows = lock_fresh(db, EventSeat, ids)
    lost = [r.id for r in rows.values()
            if not (r.hold_id == hold.id and r.status == SeatStatus.held.value) and not is_sellable(r, now)]
    if lost:
        raise ServiceError("hold_expired", "Your hold has expired and some of your seats were taken meanwhile.",
                           seat_ids=sorted(lost))
    tickets = list(db.exec(select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.created_at, Ticket.id)))
    types_of = level_ticket_types(db, {r.price_level_id for r in rows.values()})
    sessions_of = sessions_of_types(db, {t.ticket_type_id for t in tickets})
    confirmed = order.status == OrderStatus.confirmed.value
    for seat, ticket in _assign(list(rows.values()), tickets, types_of, sessions_of):
        set_free(seat)
        seat.order_id, seat.ticket_id = order.id, ticket.id
        if confirmed:
            seat.status = SeatStatus.sold.value
        else:
            seat.status, seat.expires_at = SeatStatus.reserved.value, order.payment_due_at
        db.add(seat)
        db.add(TicketSeat(ticket_id=ticket.id, event_seat_id=seat.id, session_id=seat.session_id))
        note_change(db, seat, now)
    db.flush()


def _order_seats(db: Session, order_id: uuid.UUID, statuses: Collection[str]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    return list(db.exec(
        select(TicketSeat.ticket_id, TicketSeat.event_seat_id)
        .join(Ticket, Ticket.id == TicketSeat.ticket_id)
        .where(Ticket.order_id == order_id, Ticket.status.in_(list(statuses)))
    ).all())


def confirm_order_seats(db: Session, *, order: Order, now: datetime) -> None:
    """The paid order's seats become sold. 409 `order_expired_places_gone` when a seat of an
    order paid after its deadline has been taken by someone else meanwhile."""
    pairs = _order_seats(db, order.id, [TicketStatus.valid.value])
    if not pairs:
        return
    rows = lock_fresh(db, EventSeat, [seat_id for _, seat_id in pairs])
    for ticket_id, seat_id in pairs:
        seat = rows[seat_id]
        ours = seat.ticket_id == ticket_id and seat.status in (SeatStatus.reserved.value, SeatStatus.sold.value)
        if not ours and not is_sellable(seat, now):
            raise ServiceError("order_expired_places_gone",
                               "The payment came after the deadline and a seat was taken meanwhile.",
                               seat_ids=[seat_id])
        set_free(seat)
        seat.status, seat.order_id, seat.ticket_id = SeatStatus.sold.value, order.id, ticket_id
        db.add(seat)
        note_change(db, seat, now)
    db.flush()


def free_ticket_seats(db: Session, *, ticket_ids: Collection[uuid.UUID], now: datetime) -> None:
    """Cancelled tickets give their seats back (only where the seat is still theirs)."""
    if not ticket_ids:
        return
    pairs = db.exec(select(TicketSeat.ticket_id, TicketSeat.event_seat_id)
                    .where(TicketSeat.ticket_id.in_(list(ticket_ids)))).all()
    rows = lock_fresh(db, EventSeat, [seat_id for _, seat_id in pairs])
    for ticket_id, seat_id in pairs:
        seat = rows[seat_id]
        if seat.ticket_id == ticket_id:
            set_free(seat)
            db.add(seat)
            note_change(db, seat, now)
    db.flush()


def tidy_expired_seats(db: Session, *, now: datetime) -> set[uuid.UUID]:
    """Sweeper: customer holds and pending orders past their time free their seats (they stopped
    counting at expiry already); returns the events touched. Rows locked by a running use case
    are skipped: that use case decides, the next sweep catches up."""
    rows = db.exec(
        select(EventSeat)
        .where(EventSeat.status.in_([SeatStatus.held.value, SeatStatus.reserved.value]),
               EventSeat.expires_at <= now)
        .order_by(EventSeat.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    events = set()
    for seat in rows:
        if not is_free(seat, now):
            continue
        set_free(seat)
        db.add(seat)
        note_change(db, seat, now)
        events.add(seat.event_id)
    db.flush()
    return events


def refuse_capacity_edit(db: Session, session_id: uuid.UUID) -> None:
    """409 `seated_capacity`: a seated session's capacity follows its seats."""
    if seated_session_ids(db, [session_id]):
        raise ServiceError("seated_capacity", "This session is seated: its capacity follows its seats. Block, hold "
                           "or release seats on the seat map instead.", field="capacity")
