"""Recurring schedules: rooms, previewing a rule, creating it, and running it again.

A schedule generates, per date, one session (its capacity) and one drop-in ticket type (its
price) for that session, linked by a ScheduleOccurrence that is unique per (schedule, date):
running a rule again creates only the dates it lacks — a cancelled date never comes back.
A room cannot hold two schedules at overlapping times: runs lock the room's row, then compare
against every scheduled session of the room's other schedules, in any event of the organization.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.db import lock_rows
from ticketing.models import Event, EventSession, Room, Schedule, ScheduleOccurrence, TicketType, TicketTypeSession
from ticketing.services import live_changes, money
from ticketing.services.accounts.organizations import MANAGER_ROLES, require_role
from ticketing.services.catalog.catalog_common import ensure_not_cancelled, event_for_role, lock_event
from ticketing.services.errors import ServiceError, invalid, not_found
from ticketing.services.local_times import parse_time, zone
from ticketing.services.scheduling.schedule_rules import (
    Rule,
    clean_rule,
    occurrence_dates,
    occurrence_name,
    occurrence_span,
    overlaps,
    weekdays_code,
)


@dataclass(frozen=True)
class PreviewLine:
    day: date
    name: str
    starts_at: datetime
    ends_at: datetime
    state: str  # new | exists | past | clash | name_taken
    note: str  # what it clashes with, or why it is skipped


@dataclass(frozen=True)
class SchedulePreview:
    rule: Rule
    lines: list[PreviewLine]

    def count(self, state: str) -> int:
        return sum(1 for line in self.lines if line.state == state)


@dataclass(frozen=True)
class ScheduleRun:
    schedule: Schedule
    created: int
    skipped: int  # dates that already existed or have passed


# --- rooms --------------------------------------------------------------------------------


def create_room(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID, name: str, now: datetime) -> Room:
    """A new room of the organization (owner/organizer); 409 duplicate_name."""
    require_role(db=db, user_id=user_id, organization_id=organization_id, roles=MANAGER_ROLES)
    name = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(name) <= 120:
        raise invalid("invalid_name", "Give the room a name of 1-120 characters.", field="room_name")
    taken = db.exec(select(Room.id).where(Room.organization_id == organization_id, Room.name == name)).first()
    if taken is not None:
        raise ServiceError("duplicate_name", f"There is already a room called {name!r}.", field="room_name")
    room = Room(organization_id=organization_id, name=name, created_at=now)
    db.add(room)
    db.flush()
    return room


def list_rooms(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID) -> list[Room]:
    require_role(db=db, user_id=user_id, organization_id=organization_id, roles=MANAGER_ROLES)
    return list(db.exec(select(Room).where(Room.organization_id == organization_id).order_by(Room.name)).all())


def _room_of(db: Session, event: Event, room_id: uuid.UUID | None) -> Room | None:
    if room_id is None:
        return None
    room = db.get(Room, room_id)
    if room is None or room.organization_id != event.organization_id:
        raise not_found("room")
    return room


def _room_bookings(
    db: Session, room_id: uuid.UUID, *, except_schedule: uuid.UUID | None, lo: datetime, hi: datetime
) -> list[tuple[str, datetime, datetime]]:
    """(session name, start, end) of scheduled sessions of the room's other schedules that
    touch [lo, hi)."""
    query = (
        select(EventSession.name, EventSession.starts_at, EventSession.ends_at)
        .join(ScheduleOccurrence, ScheduleOccurrence.session_id == EventSession.id)
        .join(Schedule, Schedule.id == ScheduleOccurrence.schedule_id)
        .where(Schedule.room_id == room_id, EventSession.status == "scheduled",
               EventSession.starts_at < hi, EventSession.ends_at > lo)
    )
    if except_schedule is not None:
        query = query.where(Schedule.id != except_schedule)
    return list(db.exec(query.order_by(EventSession.starts_at)).all())


def room_clash(
    db: Session, room_id: uuid.UUID | None, span: tuple[datetime, datetime], *, except_schedule: uuid.UUID | None
) -> str:
    """'' or a description of the booking that `span` would overlap in the room."""
    if room_id is None:
        return ""
    for name, start, end in _room_bookings(db, room_id, except_schedule=except_schedule, lo=span[0], hi=span[1]):
        if overlaps(span, (start, end)):
            return name
    return ""


# --- preview and generation ---------------------------------------------------------------


def _lines(
    db: Session, *, event: Event, rule: Rule, room_id: uuid.UUID | None, schedule_id: uuid.UUID | None,
    now: datetime,
) -> list[PreviewLine]:
    days = occurrence_dates(rule)
    if not days:
        return []
    existing: set[date] = set()
    if schedule_id is not None:
        existing = set(db.exec(
            select(ScheduleOccurrence.occurs_on).where(ScheduleOccurrence.schedule_id == schedule_id)
        ).all())
    spans = {d: occurrence_span(rule, d, event.timezone) for d in days}
    bookings = []
    if room_id is not None:
        lo, hi = min(s[0] for s in spans.values()), max(s[1] for s in spans.values())
        bookings = _room_bookings(db, room_id, except_schedule=schedule_id, lo=lo, hi=hi)
    names = {d: occurrence_name(rule.name, d) for d in days}
    taken_names = set(db.exec(
        select(EventSession.name).where(EventSession.event_id == event.id, EventSession.name.in_(list(names.values())))
    ).all())
    tz = zone(event.timezone)
    lines = []
    for d in days:
        span, state, note = spans[d], "new", ""
        clash = next((b for b in bookings if overlaps(span, (b[1], b[2]))), None)
        if d in existing:
            state, note = "exists", "Already created"
        elif span[0] <= now:
            state, note = "past", "In the past: skipped"
        elif clash is not None:
            state = "clash"
            note = f"Room taken by {clash[0]} ({clash[1].astimezone(tz):%H:%M}–{clash[2].astimezone(tz):%H:%M})"
        elif names[d] in taken_names:
            state, note = "name_taken", f"A session called {names[d]!r} already exists"
        lines.append(PreviewLine(d, names[d], span[0], span[1], state, note))
    return lines


def preview_schedule(
    *, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, now: datetime, room_id: uuid.UUID | None = None,
    **rule_input: Any,
) -> SchedulePreview:
    """What creating this rule would do, date by date, without writing anything."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    rule = clean_rule(**rule_input)
    _room_of(db, event, room_id)
    return SchedulePreview(rule, _lines(db, event=event, rule=rule, room_id=room_id, schedule_id=None, now=now))


def _ensure_currency(db: Session, event: Event, currency: str) -> None:
    other = db.exec(
        select(TicketType.currency).where(TicketType.event_id == event.id, TicketType.currency != currency).limit(1)
    ).first()
    if other is not None:
        raise ServiceError("currency_mismatch", f"This event's tickets are priced in {other}; use {other} here too.",
                           field="currency")


def _generate(db: Session, *, event: Event, schedule: Schedule, rule: Rule, now: datetime) -> ScheduleRun:
    """Create the rule's missing dates (all or nothing: a clash or a taken name refuses)."""
    ensure_not_cancelled(event)
    if schedule.room_id is not None:
        lock_rows(db, Room, [schedule.room_id])  # two runs in one room take turns
    lock_event(db, event)
    lines = _lines(db, event=event, rule=rule, room_id=schedule.room_id, schedule_id=schedule.id, now=now)
    clashes = [line for line in lines if line.state == "clash"]
    if clashes:
        raise ServiceError(
            "room_double_booked",
            f"The room is already booked at that time on {len(clashes)} date(s), first {clashes[0].day:%d %b %Y}: "
            f"{clashes[0].note}.",
            dates=[line.day.isoformat() for line in clashes],
        )
    taken = [line for line in lines if line.state == "name_taken"]
    if taken:
        raise ServiceError("duplicate_name", taken[0].note + ".", field="name")
    new = [line for line in lines if line.state == "new"]
    if new:
        _ensure_currency(db, event, rule.currency)
        last = db.exec(select(func.max(TicketType.sort_order)).where(TicketType.event_id == event.id)).one()
        order = 0 if last is None else int(last) + 1
        for i, line in enumerate(new):
            session = EventSession(event_id=event.id, name=line.name, starts_at=line.starts_at,
                                   ends_at=line.ends_at, capacity=rule.capacity, created_at=now)
            ticket_type = TicketType(event_id=event.id, name=line.name, price_minor=rule.price_minor,
                                     currency=rule.currency, description=f"Drop-in: {line.name}",
                                     sort_order=order + i, created_at=now)
            db.add(session)
            db.add(ticket_type)
            db.flush()
            db.add(TicketTypeSession(ticket_type_id=ticket_type.id, session_id=session.id))
            db.add(ScheduleOccurrence(schedule_id=schedule.id, occurs_on=line.day, session_id=session.id,
                                      ticket_type_id=ticket_type.id, created_at=now))
        db.flush()
        live_changes.bump_event_version(db=db, event_id=event.id, structure=True)
    return ScheduleRun(schedule, created=len(new), skipped=len(lines) - len(new))


def create_schedule(
    *, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, now: datetime, room_id: uuid.UUID | None = None,
    **rule_input: Any,
) -> ScheduleRun:
    """Save the rule and create one session + drop-in ticket type per future date.

    409 room_double_booked (with the clashing `dates`), duplicate_name, currency_mismatch,
    event_cancelled; 422 as clean_rule. Past dates are skipped.
    """
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    rule = clean_rule(**rule_input)
    room = _room_of(db, event, room_id)
    if db.exec(select(Schedule.id).where(Schedule.event_id == event.id, Schedule.name == rule.name)).first():
        raise ServiceError("duplicate_name", f"This event already has a schedule called {rule.name!r}; "
                           "run that one again to add dates.", field="name")
    schedule = Schedule(
        event_id=event.id, room_id=room.id if room else None, name=rule.name, weekdays=weekdays_code(rule.weekdays),
        start_time=f"{rule.start:%H:%M}", end_time=f"{rule.end:%H:%M}", starts_on=rule.starts_on,
        ends_on=rule.ends_on, capacity=rule.capacity, price_minor=rule.price_minor, currency=rule.currency,
        created_at=now,
    )
    db.add(schedule)
    db.flush()
    return _generate(db, event=event, schedule=schedule, rule=rule, now=now)


def schedule_rule(schedule: Schedule) -> Rule:
    """The stored rule of a schedule."""
    return Rule(
        schedule.name, tuple(int(d) for d in schedule.weekdays), parse_time(schedule.start_time, field="start_time"),
        parse_time(schedule.end_time, field="end_time"), schedule.starts_on, schedule.ends_on, schedule.capacity,
        schedule.price_minor, schedule.currency,
    )


def schedule_of_event(db: Session, event: Event, schedule_id: uuid.UUID) -> Schedule:
    schedule = db.get(Schedule, schedule_id)
    if schedule is None or schedule.event_id != event.id:
        raise not_found("schedule")
    return schedule


def run_schedule(
    *, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, schedule_id: uuid.UUID, now: datetime,
    ends_on: date | str | None = None,
) -> ScheduleRun:
    """Run a saved rule again, optionally to a new last date: only missing dates are created."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    schedule = schedule_of_event(db, event, schedule_id)
    rule = schedule_rule(schedule)
    if ends_on is not None:
        rule = clean_rule(
            name=rule.name, weekdays=rule.weekdays, start_time=rule.start, end_time=rule.end,
            starts_on=rule.starts_on, ends_on=ends_on, capacity=rule.capacity,
            price=money.format_minor(rule.price_minor, rule.currency), currency=rule.currency,
        )
        schedule.ends_on = rule.ends_on
        db.add(schedule)
    return _generate(db, event=event, schedule=schedule, rule=rule, now=now)


def list_schedules(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID) -> list[tuple[Schedule, str, int]]:
    """(schedule, room name, dates created) of the event, by name."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    counts = dict(db.exec(
        select(ScheduleOccurrence.schedule_id, func.count(ScheduleOccurrence.id))
        .join(Schedule, Schedule.id == ScheduleOccurrence.schedule_id)
        .where(Schedule.event_id == event.id).group_by(ScheduleOccurrence.schedule_id)
    ).all())
    rows = db.exec(
        select(Schedule, Room.name).outerjoin(Room, Room.id == Schedule.room_id)
        .where(Schedule.event_id == event.id).order_by(Schedule.name)
    ).all()
    return [(s, room or "", int(counts.get(s.id, 0))) for s, room in rows]
