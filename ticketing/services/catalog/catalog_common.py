"""Shared pieces of the catalog services: access checks, input rules and read models.

Access rule (tenant isolation): every catalog use case first finds the event and checks the
caller's role in the event's organization, before looking at any input, so a stranger learns
nothing — not even whether their input would have been valid. A non-member gets `not_found`
exactly as for an unknown id; a member with a role that may not do this gets `forbidden`.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from ticketing.db import is_lock_error, set_lock_timeout
from ticketing.models import (
    Event,
    EventSession,
    Order,
    OrderItem,
    Role,
    SessionPrerequisite,
    Ticket,
    TicketType,
    TicketTypeSession,
)
from ticketing.services import live_changes
from ticketing.services.accounts.organizations import MANAGER_ROLES, STAFF_ROLES, membership_role, row_for_role
from ticketing.services.errors import ServiceError, invalid, not_found
from ticketing.services.text_rules import check_text


class Unset:
    """Marks a keyword argument of an update that the caller did not give (None may be a value)."""

    _instance: Unset | None = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = Unset()


@dataclass(frozen=True)
class SessionView:
    """A session with the ids of the sessions one must also attend to attend it."""

    session: EventSession
    prerequisite_session_ids: list[uuid.UUID]


@dataclass(frozen=True)
class TicketTypeView:
    """A ticket type with the ids of the sessions one unit admits to."""

    ticket_type: TicketType
    session_ids: list[uuid.UUID]


@dataclass(frozen=True)
class EventDetail:
    """An event as one page shows it: sessions by start, ticket types by sort order."""

    event: Event
    sessions: list[SessionView]
    ticket_types: list[TicketTypeView]
    viewer_role: Role | None  # the viewer's role in the organization; None for the public


# --- access -------------------------------------------------------------------------------


def event_for_role(
    db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, roles: Iterable[Role] = MANAGER_ROLES
) -> Event:
    """The event when the caller has one of `roles` in its organization.

    Unknown event or a caller outside the organization -> not_found("event"); other role ->
    forbidden.
    """
    return row_for_role(db, Event, event_id, user_id=user_id, what="event", roles=roles)


def viewer_role(db: Session, *, event: Event, user_id: uuid.UUID | None) -> Role | None:
    """The caller's staff role in the event's organization, or None (public / customer)."""
    if user_id is None:
        return None
    role = membership_role(db=db, user_id=user_id, organization_id=event.organization_id)
    return role if role in STAFF_ROLES else None


def lock_event(db: Session, event: Event) -> Event:
    """Serialize changes of one event's status and settings, then reload the row, so that the
    status seen is the one committed by whoever held the lock before us.

    FOR NO KEY UPDATE, not FOR UPDATE: buyers insert rows referencing the event (a key-share
    lock on its row) all the time, and FOR UPDATE would queue behind every one of them.
    A lock timeout becomes the retryable `busy` error.
    """
    stmt = select(Event.id).where(Event.id == event.id)
    if set_lock_timeout(db):
        stmt = stmt.with_for_update(key_share=True)
    try:
        db.exec(stmt).first()
    except OperationalError as exc:
        if is_lock_error(exc):
            raise ServiceError("busy", "The system is busy right now; please try again.") from exc
        raise
    db.refresh(event)
    return event


def ensure_not_cancelled(event: Event) -> None:
    """409 event_cancelled: a cancelled event's catalog is frozen."""
    if event.status == "cancelled":
        raise ServiceError("event_cancelled", "This event is cancelled; its catalog can no longer change.")


def locked_event(db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, live: bool = True) -> Event:
    """The event (owner/organizer) under its row lock; with `live`, 409 event_cancelled for a
    cancelled one."""
    event = lock_event(db, event_for_role(db, event_id=event_id, user_id=user_id))
    if live:
        ensure_not_cancelled(event)
    return event


def save_structure(db: Session, *rows: Any, event_id: uuid.UUID) -> None:
    """Write the rows and bump the event's version as a change of its structure (what is on
    sale and how): live pages reload it."""
    for row in rows:
        db.add(row)
    db.flush()
    live_changes.bump_event_version(db=db, event_id=event_id, structure=True)


def ensure_unique_name(db: Session, model: type[EventSession] | type[TicketType], *, event_id: uuid.UUID, name: str,
                       what: str, except_id: uuid.UUID | None = None) -> None:
    """409 duplicate_name when another session (or ticket type) of the event has the name."""
    query = select(model.id).where(model.event_id == event_id, model.name == name)
    if except_id is not None:
        query = query.where(model.id != except_id)
    if db.exec(query.limit(1)).first() is not None:
        raise ServiceError("duplicate_name", f"This event already has a {what} called {name!r}.", field="name")


def session_of_event(db: Session, *, event: Event, session_id: uuid.UUID) -> EventSession:
    """The event's session, not_found for any other id (including other events' sessions)."""
    session = db.get(EventSession, session_id)
    if session is None or session.event_id != event.id:
        raise not_found("session")
    return session


def ticket_type_of_event(db: Session, *, event: Event, ticket_type_id: uuid.UUID) -> TicketType:
    """The event's ticket type, not_found for any other id."""
    ticket_type = db.get(TicketType, ticket_type_id)
    if ticket_type is None or ticket_type.event_id != event.id:
        raise not_found("ticket type")
    return ticket_type


def sessions_of_event(db: Session, *, event: Event, session_ids: Collection[uuid.UUID], what: str) -> list[uuid.UUID]:
    """The given ids, deduplicated in order, when all are sessions of `event`; else 422 foreign_session."""
    unique = list(dict.fromkeys(session_ids))
    if not unique:
        return []
    found = set(
        db.exec(select(EventSession.id).where(EventSession.event_id == event.id, EventSession.id.in_(unique))).all()
    )
    foreign = [sid for sid in unique if sid not in found]
    if foreign:
        raise invalid(
            "foreign_session", f"{what} must be sessions of this event.", session_ids=[str(s) for s in foreign]
        )
    return unique


def ever_ordered(db: Session, ticket_type_ids: Collection[uuid.UUID]) -> bool:
    """Any ticket or order line, in any status, for one of these ticket types."""
    ids = list(ticket_type_ids)
    if not ids:
        return False
    if db.exec(select(Ticket.id).where(Ticket.ticket_type_id.in_(ids)).limit(1)).first() is not None:
        return True
    return db.exec(select(OrderItem.id).where(OrderItem.ticket_type_id.in_(ids)).limit(1)).first() is not None


# --- input rules --------------------------------------------------------------------------


def clean_text(value: Any, *, field: str, code: str, min_len: int, max_len: int, label: str) -> str:
    """Stripped text within the length limits, else 422 `code` (`invalid_text` for control
    characters)."""
    if not isinstance(value, str):
        raise invalid(code, f"{label} must be text.", field=field)
    text = check_text(value.strip(), field=field, label=label)
    if not min_len <= len(text) <= max_len:
        need = f"{min_len}-{max_len}" if min_len else f"up to {max_len}"
        raise invalid(code, f"{label} must be {need} characters long.", field=field)
    return text


def clean_name(value: Any, *, label: str) -> str:
    """A session's or ticket type's name: 1-120 characters, else 422 invalid_name."""
    return clean_text(value, field="name", code="invalid_name", min_len=1, max_len=120, label=label)


def int_in_range(value: Any, *, field: str, code: str, low: int, high: int, label: str) -> int:
    """An integer (not a bool) in [low, high], else 422 `code`."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(code, f"{label} must be a whole number from {low} to {high}.", field=field)
    return value


def aware(value: Any, *, field: str, code: str) -> datetime:
    """A timezone-aware datetime; naive ones are ambiguous across time zones, so 422 `code`."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise invalid(code, f"{field} must be a date and time with a UTC offset.", field=field)
    return value


# --- read models --------------------------------------------------------------------------


def session_ids_by_ticket_type(db: Session, ticket_type_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """{ticket type id: [session ids, by session start]} in one query."""
    result: dict[uuid.UUID, list[uuid.UUID]] = {tid: [] for tid in ticket_type_ids}
    if not result:
        return result
    rows = db.exec(
        select(TicketTypeSession.ticket_type_id, TicketTypeSession.session_id)
        .join(EventSession, EventSession.id == TicketTypeSession.session_id)
        .where(TicketTypeSession.ticket_type_id.in_(list(result)))
        .order_by(EventSession.starts_at, EventSession.id)
    ).all()
    for ticket_type_id, session_id in rows:
        result[ticket_type_id].append(session_id)
    return result


def prerequisites_by_session(db: Session, session_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """{session id: [prerequisite session ids]} in one query."""
    result: dict[uuid.UUID, list[uuid.UUID]] = {sid: [] for sid in session_ids}
    if not result:
        return result
    rows = db.exec(
        select(SessionPrerequisite.session_id, SessionPrerequisite.prerequisite_session_id)
        .where(SessionPrerequisite.session_id.in_(list(result)))
        .order_by(SessionPrerequisite.prerequisite_session_id)
    ).all()
    for session_id, prerequisite_id in rows:
        result[session_id].append(prerequisite_id)
    return result


def session_view(db: Session, session: EventSession) -> SessionView:
    return SessionView(session, prerequisites_by_session(db, [session.id])[session.id])


def ticket_type_view(db: Session, ticket_type: TicketType) -> TicketTypeView:
    return TicketTypeView(ticket_type, session_ids_by_ticket_type(db, [ticket_type.id])[ticket_type.id])


def event_detail(db: Session, *, event: Event, role: Role | None) -> EventDetail:
    """The event with its sessions and ticket types; inactive ticket types only for staff."""
    sessions = list(
        db.exec(
            select(EventSession)
            .where(EventSession.event_id == event.id)
            .order_by(EventSession.starts_at, EventSession.name)
        ).all()
    )
    query = select(TicketType).where(TicketType.event_id == event.id)
    if role is None:
        query = query.where(TicketType.is_active.is_(True))
    ticket_types = list(db.exec(query.order_by(TicketType.sort_order, TicketType.name, TicketType.id)).all())
    prerequisites = prerequisites_by_session(db, [s.id for s in sessions])
    included = session_ids_by_ticket_type(db, [t.id for t in ticket_types])
    return EventDetail(
        event=event,
        sessions=[SessionView(s, prerequisites[s.id]) for s in sessions],
        ticket_types=[TicketTypeView(t, included[t.id]) for t in ticket_types],
        viewer_role=role,
    )


def is_public(db: Session, event: Event) -> bool:
    """Published events are public; a cancelled one stays visible once it has sold (its buyers
    need to see the cancellation), while a draft that was cancelled unsold never becomes public."""
    if event.status == "published":
        return True
    if event.status == "cancelled":
        return db.exec(select(Order.id).where(Order.event_id == event.id).limit(1)).first() is not None
    return False
