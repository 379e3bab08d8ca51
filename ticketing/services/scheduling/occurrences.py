"""The dates of a recurring schedule: listing them, overriding one (capacity, price, time),
and calling one off (through session_cancellation, so holders are refunded and told)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from ticketing.db import lock_rows
from ticketing.models import EventSession, Room, Schedule, ScheduleOccurrence, TicketType
from ticketing.services import catalog
from ticketing.services.catalog.catalog_common import UNSET, Unset, event_for_role
from ticketing.services.errors import ServiceError, invalid, not_found
from ticketing.services.local_times import parse_time, span_to_utc
from ticketing.services.sales import cancellation, usage
from ticketing.services.sales.places import places_left
from ticketing.services.scheduling.schedules import room_clash, schedule_of_event
from ticketing.services.scheduling.session_cancellation import CancelOrder, SessionCancellation, cancel_session


@dataclass(frozen=True)
class OccurrenceRow:
    occurrence: ScheduleOccurrence
    session: EventSession
    ticket_type: TicketType | None
    taken: int
    available: int


def list_occurrences(
    *, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, schedule_id: uuid.UUID, now: datetime
) -> list[OccurrenceRow]:
    """Every date of the schedule, by date, with places taken and left."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    schedule = schedule_of_event(db, event, schedule_id)
    rows = db.exec(
        select(ScheduleOccurrence, EventSession, TicketType)
        .join(EventSession, EventSession.id == ScheduleOccurrence.session_id)
        .outerjoin(TicketType, TicketType.id == ScheduleOccurrence.ticket_type_id)
        .where(ScheduleOccurrence.schedule_id == schedule.id)
        .order_by(ScheduleOccurrence.occurs_on)
        .execution_options(populate_existing=True)
    ).all()
    used = usage.session_usage(db=db, sessions=[s for _, s, _ in rows], now=now)
    return [OccurrenceRow(o, s, t, used[s.id].taken, places_left(s, used[s.id])) for o, s, t in rows]


def _occurrence(db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, occurrence_id: uuid.UUID):
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    occurrence = db.get(ScheduleOccurrence, occurrence_id)
    schedule = db.get(Schedule, occurrence.schedule_id) if occurrence is not None else None
    if schedule is None or schedule.event_id != event.id:
        raise not_found("date")
    return event, schedule, occurrence


def override_occurrence(
    *,
    db: Session,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    occurrence_id: uuid.UUID,
    now: datetime,
    capacity: int | Unset = UNSET,
    price: str | Unset = UNSET,
    start_time: str | Unset = UNSET,
    end_time: str | Unset = UNSET,
) -> OccurrenceRow:
    """Change one date only (owner/organizer); all or nothing.

    Capacity and times go through the session rules (409 capacity_below_taken), the price
    through the ticket-type rules; a new time is checked against the room (409
    room_double_booked). A called-off date cannot change (409 session_cancelled).
    """
    event, schedule, occurrence = _occurrence(db, event_id=event_id, user_id=user_id, occurrence_id=occurrence_id)
    session = db.get(EventSession, occurrence.session_id)
    if session.status == "cancelled":
        raise ServiceError("session_cancelled", "This date is called off; it cannot change any more.")
    times: dict[str, datetime] = {}
    if start_time is not UNSET or end_time is not UNSET:
        start = parse_time(schedule.start_time if start_time is UNSET else start_time, field="start_time")
        end = parse_time(schedule.end_time if end_time is UNSET else end_time, field="end_time")
        if start == end:
            raise invalid("invalid_times", "The end time must differ from the start time.", field="end_time")
        span = span_to_utc(occurrence.occurs_on, start, end, event.timezone)
        if schedule.room_id is not None:
            lock_rows(db, Room, [schedule.room_id])
        clash = room_clash(db, schedule.room_id, span, except_schedule=schedule.id)
        if clash:
            raise ServiceError("room_double_booked", f"The room is booked by {clash} at that time.",
                               field="start_time")
        times = {"starts_at": span[0], "ends_at": span[1]}
    if capacity is not UNSET or times:
        extra = {"capacity": capacity} if capacity is not UNSET else {}
        catalog.update_session(db=db, user_id=user_id, event_id=event.id, session_id=session.id, now=now,
                               **extra, **times)
    if price is not UNSET:
        if occurrence.ticket_type_id is None:
            raise ServiceError("no_drop_in", "This date has no drop-in ticket any more; price it in the matrix.")
        catalog.update_ticket_type(db=db, user_id=user_id, event_id=event.id, ticket_type_id=occurrence.ticket_type_id,
                                   now=now, price=price)
    if capacity is not UNSET or times or price is not UNSET:
        occurrence.overridden = True
        db.add(occurrence)
        db.flush()
    rows = list_occurrences(db=db, user_id=user_id, event_id=event.id, schedule_id=schedule.id, now=now)
    return next(r for r in rows if r.occurrence.id == occurrence.id)


def cancel_occurrence(
    *,
    db: Session,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    occurrence_id: uuid.UUID,
    now: datetime,
    cancel_order: CancelOrder = cancellation.cancel_order,
) -> SessionCancellation:
    """Call off one date: its holders are refunded in full and told (see cancel_session)."""
    event, _schedule, occurrence = _occurrence(db, event_id=event_id, user_id=user_id, occurrence_id=occurrence_id)
    return cancel_session(db=db, user_id=user_id, event_id=event.id, session_id=occurrence.session_id, now=now,
                          cancel_order=cancel_order)
