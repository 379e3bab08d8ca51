"""Sessions, the units of capacity: create, change (name, times, capacity, prerequisites), delete.

Capacity changes lock the session row and recount its places with the one counting rule
(usage.session_usage) inside the same transaction, so a hold racing with a capacity cut either
commits first and is counted, or waits for the cut and sees the new capacity. Every change bumps
the event's version last, after the session locks (lock order: sessions -> ticket types -> event).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ticketing.db import lock_rows
from ticketing.models import EventSession, SessionPrerequisite, TicketType, TicketTypeSession
from ticketing.services.catalog.catalog_common import (
    UNSET,
    SessionView,
    Unset,
    aware,
    clean_name,
    ensure_not_cancelled,
    ensure_unique_name,
    event_for_role,
    ever_ordered,
    int_in_range,
    save_structure,
    session_of_event,
    session_view,
    sessions_of_event,
)
from ticketing.services.errors import ServiceError, invalid
from ticketing.services.sales import usage
from ticketing.services.seating.seat_claims import refuse_capacity_edit

MAX_CAPACITY = 1_000_000


def _clean_capacity(capacity: Any) -> int:
    return int_in_range(
        capacity, field="capacity", code="invalid_capacity", low=1, high=MAX_CAPACITY, label="Capacity"
    )


def _check_times(starts_at: Any, ends_at: Any) -> tuple[datetime, datetime]:
    starts_at = aware(starts_at, field="starts_at", code="invalid_times")
    ends_at = aware(ends_at, field="ends_at", code="invalid_times")
    if starts_at >= ends_at:
        raise invalid("invalid_times", "The session must end after it starts.", field="ends_at")
    return starts_at, ends_at


def _flush_named(db: Session, name: str) -> None:
    """Flush in a savepoint: a concurrent insert of the same name loses to the unique constraint
    and becomes duplicate_name, with the session still usable."""
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:
        if "uq_session_event_name" not in str(exc.orig):
            raise
        raise ServiceError(
            "duplicate_name", f"This event already has a session called {name!r}.", field="name"
        ) from exc


def _ensure_acyclic(
    db: Session, *, event_id: uuid.UUID, session_id: uuid.UUID, prerequisites: Sequence[uuid.UUID]
) -> None:
    """422 prerequisite_cycle when requiring `prerequisites` for `session_id` closes a loop."""
    if session_id in prerequisites:
        raise invalid(
            "prerequisite_cycle", "A session cannot be its own prerequisite.", field="prerequisite_session_ids"
        )
    rows = db.exec(
        select(SessionPrerequisite.session_id, SessionPrerequisite.prerequisite_session_id)
        .join(EventSession, EventSession.id == SessionPrerequisite.session_id)
        .where(EventSession.event_id == event_id)
    ).all()
    requires: dict[uuid.UUID, list[uuid.UUID]] = {}
    for sid, prerequisite_id in rows:
        requires.setdefault(sid, []).append(prerequisite_id)
    seen: set[uuid.UUID] = set()
    stack = list(prerequisites)
    while stack:
        current = stack.pop()
        if current == session_id:
            raise invalid(
                "prerequisite_cycle",
                "These prerequisites would make sessions require each other in a loop.",
                field="prerequisite_session_ids",
            )
        if current not in seen:
            seen.add(current)
            stack.extend(requires.get(current, []))


def _replace_prerequisites(db: Session, session_id: uuid.UUID, prerequisites: Sequence[uuid.UUID]) -> None:
    db.exec(sql_delete(SessionPrerequisite).where(SessionPrerequisite.session_id == session_id))
    for prerequisite_id in prerequisites:
        db.add(SessionPrerequisite(session_id=session_id, prerequisite_session_id=prerequisite_id))
    db.flush()


def create_session(
    *,
    db: Session,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    now: datetime,
    prerequisite_session_ids: Collection[uuid.UUID] = (),
) -> SessionView:
    """A new session of a not-cancelled event (owner/organizer).

    422 invalid_name, invalid_times (naive times or start >= end), invalid_capacity (< 1),
    foreign_session (a prerequisite that is not a session of this event); 409 duplicate_name.
    """
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    ensure_not_cancelled(event)
    name = clean_name(name, label="The session name")
    starts_at, ends_at = _check_times(starts_at, ends_at)
    capacity = _clean_capacity(capacity)
    prerequisites = sessions_of_event(
        db, event=event, session_ids=prerequisite_session_ids, what="Prerequisites"
    )
    ensure_unique_name(db, EventSession, event_id=event.id, name=name, what="session")
    session = EventSession(
        event_id=event.id, name=name, starts_at=starts_at, ends_at=ends_at, capacity=capacity, created_at=now
    )
    db.add(session)
    _flush_named(db, name)
    # A new session has no dependents yet, so its prerequisites cannot form a loop.
    _replace_prerequisites(db, session.id, prerequisites)
    save_structure(db, event_id=event.id)
    return session_view(db, session)


def update_session(
    *,
    db: Session,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    now: datetime,
    name: str | Unset = UNSET,
    starts_at: datetime | Unset = UNSET,
    ends_at: datetime | Unset = UNSET,
    capacity: int | Unset = UNSET,
    prerequisite_session_ids: Collection[uuid.UUID] | Unset = UNSET,
) -> SessionView:
    """Change the given fields of a session (owner/organizer); all or nothing.

    409 capacity_below_taken when the new capacity is below the places already taken (sold +
    pending + held, counted under the session's row lock); 409 duplicate_name; 422 as for
    create_session, plus prerequisite_cycle.
    """
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    session = session_of_event(db, event=event, session_id=session_id)
    ensure_not_cancelled(event)
    new_name = clean_name(name, label="The session name") if name is not UNSET else UNSET
    new_capacity = _clean_capacity(capacity) if capacity is not UNSET else UNSET
    new_prerequisites: list[uuid.UUID] | Unset = UNSET
    if prerequisite_session_ids is not UNSET:
        new_prerequisites = sessions_of_event(
            db, event=event, session_ids=prerequisite_session_ids, what="Prerequisites"
        )
        _ensure_acyclic(db, event_id=event.id, session_id=session.id, prerequisites=new_prerequisites)

    lock_rows(db, EventSession, [session.id])
    db.refresh(session)  # the committed row as of our lock, not what we read before waiting
    new_starts, new_ends = _check_times(
        session.starts_at if starts_at is UNSET else starts_at, session.ends_at if ends_at is UNSET else ends_at
    )
    if new_capacity is not UNSET:
        refuse_capacity_edit(db, session.id)
        taken = usage.session_usage(db=db, sessions=[session], now=now)[session.id].taken
        if new_capacity < taken:
            raise ServiceError(
                "capacity_below_taken",
                f"{taken} places are already taken; the capacity cannot go below that.",
                field="capacity",
                taken=taken,
            )
        session.capacity = new_capacity
    if new_name is not UNSET and new_name != session.name:
        ensure_unique_name(db, EventSession, event_id=event.id, name=new_name, what="session", except_id=session.id)
        session.name = new_name
    session.starts_at, session.ends_at = new_starts, new_ends
    db.add(session)
    _flush_named(db, session.name)
    if new_prerequisites is not UNSET:
        _replace_prerequisites(db, session.id, new_prerequisites)
    save_structure(db, event_id=event.id)
    return session_view(db, session)


def delete_session(
    *, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, session_id: uuid.UUID, now: datetime
) -> None:
    """Delete a session that never sold (owner/organizer).

    409 session_has_tickets when the session has confirmed places or live holds or pending
    orders, or when any order was ever placed for a ticket type that includes it (those records
    must keep meaning what they said). The session is removed from its ticket types; a ticket
    type left with no session at all is deleted too, since selling it would take no place.
    """
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    session = session_of_event(db, event=event, session_id=session_id)
    lock_rows(db, EventSession, [session.id])
    db.refresh(session)
    if usage.session_usage(db=db, sessions=[session], now=now)[session.id].taken > 0:
        raise ServiceError("session_has_tickets", "This session has sold or reserved places; it cannot be deleted.")
    type_ids = list(
        db.exec(select(TicketTypeSession.ticket_type_id).where(TicketTypeSession.session_id == session.id)).all()
    )
    if type_ids and ever_ordered(db, type_ids):
        raise ServiceError(
            "session_has_tickets", "Tickets were issued for this session; it cannot be deleted."
        )
    lock_rows(db, TicketType, type_ids)
    db.exec(sql_delete(TicketTypeSession).where(TicketTypeSession.session_id == session.id))
    db.flush()
    orphans = [
        tid
        for tid in type_ids
        if db.exec(select(TicketTypeSession.session_id).where(TicketTypeSession.ticket_type_id == tid).limit(1)).first()
        is None
    ]
    if orphans:
        db.exec(sql_delete(TicketType).where(TicketType.id.in_(orphans)))
    db.delete(session)  # prerequisites and expired claims go with it (ON DELETE CASCADE)
    save_structure(db, event_id=event.id)

