"""Events: create, edit settings, publish, cancel; the public listing and the event page.

Every mutating use case takes `db`, the caller's `user_id` and `now` (a uniform calling
convention, even where the clock does not matter yet), checks the caller's role
(owner or organizer) in the event's organization first, and leaves committing to the caller's
scope. Status changes lock the event row so publish and cancel cannot interleave.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import case, func
from sqlmodel import Session, select

from ticketing.models import Event, EventSession, EventStatus, Order, OrderStatus, TicketType
from ticketing.services.accounts.organizations import MANAGER_ROLES, STAFF_ROLES, require_role
from ticketing.services.catalog.catalog_common import (
    UNSET,
    EventDetail,
    Unset,
    clean_text,
    ensure_not_cancelled,
    event_detail,
    event_for_role,
    int_in_range,
    is_public,
    lock_event,
    locked_event,
    save_structure,
    viewer_role,
)
from ticketing.services.errors import ServiceError, invalid, not_found

# The event's fields that create_event and update_event take, in that order.
EVENT_FIELDS = ("title", "description", "location", "category", "timezone", "hold_minutes", "payment_minutes",
                "max_tickets_per_order", "one_ticket_per_attendee", "attendee_names", "allow_cancellation",
                "cancellation_deadline_hours", "cancellation_fee_percent", "offer_minutes")

# (low, high) of every integer setting; the code of a refusal is "invalid_<name>".
INT_SETTINGS: dict[str, tuple[int, int, str]] = {
    "hold_minutes": (1, 120, "Hold minutes"),
    "payment_minutes": (1, 1440, "Payment minutes"),
    "max_tickets_per_order": (1, 100, "Max tickets per order"),
    "cancellation_deadline_hours": (0, 8760, "Cancellation deadline (hours)"),
    "cancellation_fee_percent": (0, 100, "Cancellation fee (%)"),
    "offer_minutes": (5, 1440, "Waiting-list offer (minutes)"),
}
TEXT_FIELDS: dict[str, tuple[int, int, str]] = {
    "title": (1, 200, "The title"),
    "description": (0, 10_000, "The description"),
    "location": (0, 200, "The location"),
    "category": (0, 60, "The category"),
}
BOOL_SETTINGS = {"one_ticket_per_attendee": "One ticket per attendee", "allow_cancellation": "Allow cancellation"}
ATTENDEE_NAMES = ("auto", "on", "off")  # ask a name per ticket: several sessions or seats / always / never


def _clean_field(name: str, value: Any) -> Any:
    """The validated value of one event field, or a 422 invalid_<name>."""
    code = f"invalid_{name}"
    if name in TEXT_FIELDS:
        low, high, label = TEXT_FIELDS[name]
        return clean_text(value, field=name, code=code, min_len=low, max_len=high, label=label)
    if name in INT_SETTINGS:
        low, high, label = INT_SETTINGS[name]
        return int_in_range(value, field=name, code=code, low=low, high=high, label=label)
    if name in BOOL_SETTINGS:
        if not isinstance(value, bool):
            raise invalid(code, f"{BOOL_SETTINGS[name]} must be true or false.", field=name)
        return value
    if name == "timezone":
        return _clean_timezone(value)
    if name == "attendee_names":
        if value not in ATTENDEE_NAMES:
            raise invalid(code, "Names per ticket must be auto, on or off.", field=name)
        return value
    raise ValueError(f"unknown event field {name}")  # a programming error, not user input


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    # ZoneInfo() would also open odd keys (directories, legacy aliases); the IANA list decides.
    return frozenset(available_timezones()) | {"UTC"}


def _clean_timezone(value: Any) -> str:
    if isinstance(value, str) and value.strip() in _zone_names():
        name = value.strip()
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise invalid("invalid_timezone", "Use an IANA time zone such as Europe/Berlin.", field="timezone")


def _fields_of(arguments: dict[str, Any]) -> dict[str, Any]:
    """The event fields among a use case's arguments (its locals() on entry)."""
    return {name: arguments[name] for name in EVENT_FIELDS}


def create_event(
    *,
    db: Session,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
    title: str,
    now: datetime,
    description: str = "",
    location: str = "",
    category: str = "",
    timezone: str = "UTC",
    hold_minutes: int = 15,
    payment_minutes: int = 15,
    max_tickets_per_order: int = 10,
    one_ticket_per_attendee: bool = False,
    attendee_names: str = "auto",
    allow_cancellation: bool = True,
    cancellation_deadline_hours: int = 24,
    cancellation_fee_percent: int = 0,
    offer_minutes: int = 30,
) -> Event:
    """A new draft event of the organization (owner/organizer)."""
    require_role(db=db, user_id=user_id, organization_id=organization_id, roles=MANAGER_ROLES)
    given = _fields_of(locals())
    values = {name: _clean_field(name, value) for name, value in given.items()}
    event = Event(organization_id=organization_id, status=EventStatus.draft.value, created_at=now, **values)
    db.add(event)
    db.flush()
    return event


def update_event(
    *,
    db: Session,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    now: datetime,
    title: str | Unset = UNSET,
    description: str | Unset = UNSET,
    location: str | Unset = UNSET,
    category: str | Unset = UNSET,
    timezone: str | Unset = UNSET,
    hold_minutes: int | Unset = UNSET,
    payment_minutes: int | Unset = UNSET,
    max_tickets_per_order: int | Unset = UNSET,
    one_ticket_per_attendee: bool | Unset = UNSET,
    attendee_names: str | Unset = UNSET,
    allow_cancellation: bool | Unset = UNSET,
    cancellation_deadline_hours: int | Unset = UNSET,
    cancellation_fee_percent: int | Unset = UNSET,
    offer_minutes: int | Unset = UNSET,
) -> Event:
    """Change the given fields of an event that is not cancelled; all or nothing.

    Settings apply to holds and orders made from now on; existing ones keep their deadlines.
    """
    given = _fields_of(locals())
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    changes = {name: _clean_field(name, value) for name, value in given.items() if value is not UNSET}
    if not changes:
        return event
    lock_event(db, event)
    ensure_not_cancelled(event)
    for name, value in changes.items():
        setattr(event, name, value)
    # Settings such as max tickets per order change what can be bought: live pages reload.
    save_structure(db, event, event_id=event.id)
    return event


def publish_event(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, now: datetime) -> Event:
    """Put a draft on sale (owner/organizer).

    Requires at least one scheduled session that has not ended (409 no_upcoming_sessions) and
    at least one active ticket type (409 no_active_ticket_types): a published page must offer
    something to buy. Publishing a published event changes nothing; a cancelled event cannot
    come back (409 event_cancelled).
    """
    event = locked_event(db, event_id=event_id, user_id=user_id)
    if event.status == EventStatus.published.value:
        return event
    upcoming = db.exec(
        select(EventSession.id)
        .where(EventSession.event_id == event.id, EventSession.status == "scheduled", EventSession.ends_at > now)
        .limit(1)
    ).first()
    if upcoming is None:
        raise ServiceError("no_upcoming_sessions", "Add a session that has not ended yet before publishing.")
    active = db.exec(
        select(TicketType.id).where(TicketType.event_id == event.id, TicketType.is_active.is_(True)).limit(1)
    ).first()
    if active is None:
        raise ServiceError("no_active_ticket_types", "Add an active ticket type before publishing.")
    event.status = EventStatus.published.value
    save_structure(db, event, event_id=event.id)
    return event


def unpublish_event(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, now: datetime) -> Event:
    """Take a published event back to draft (owner/organizer): customers no longer see it and
    holds can no longer be checked out.

    409 event_has_orders once someone holds a live (pending or confirmed) order: those buyers
    need their event page, so stop sales by deactivating ticket types, or cancel the event.
    Unpublishing a draft changes nothing; a cancelled event stays cancelled (409).
    """
    event = locked_event(db, event_id=event_id, user_id=user_id)
    if event.status == EventStatus.draft.value:
        return event
    live_order = db.exec(
        select(Order.id).where(
            Order.event_id == event.id, Order.status.in_([OrderStatus.pending.value, OrderStatus.confirmed.value])
        ).limit(1)
    ).first()
    if live_order is not None:
        raise ServiceError(
            "event_has_orders",
            "People have already bought tickets, so the event must stay visible to them. "
            "Deactivate its ticket types to stop sales, or cancel the event.",
        )
    event.status = EventStatus.draft.value
    save_structure(db, event, event_id=event.id)
    return event


def cancel_event(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, now: datetime) -> Event:
    """Stop the event for good (owner/organizer): nothing more can be held or bought.

    Existing orders are left as they are for the orders service to cancel and refund;
    cancelling a cancelled event changes nothing.
    """
    event = locked_event(db, event_id=event_id, user_id=user_id, live=False)
    if event.status == EventStatus.cancelled.value:
        return event
    event.status = EventStatus.cancelled.value
    save_structure(db, event, event_id=event.id)
    return event


def get_event(*, db: Session, event_id: uuid.UUID, user_id: uuid.UUID | None = None) -> EventDetail:
    """The event page: public for published events (and for cancelled ones that sold), any
    status for the organization's staff; everyone else gets not_found, as for an unknown id.
    The public does not see inactive ticket types."""
    event = db.get(Event, event_id)
    if event is None:
        raise not_found("event")
    role = viewer_role(db, event=event, user_id=user_id)
    if role is None and not is_public(db, event):
        raise not_found("event")
    return event_detail(db, event=event, role=role)


@dataclass(frozen=True)
class EventSummary:
    """One line of an event list: the event, its dates, and its lowest active price."""

    event: Event
    starts_at: datetime | None  # first scheduled session's start
    ends_at: datetime | None  # last scheduled session's end
    next_starts_at: datetime | None  # first scheduled session not yet ended
    price_from_minor: int | None  # None when no active ticket type or mixed currencies
    currency: str | None


def _summaries(
    db: Session, conditions: list[Any], *, now: datetime, limit: int, offset: int, include_past: bool
) -> list[EventSummary]:
    """Events matching `conditions` with their session dates and lowest prices, soonest next
    session first, then newest first."""
    scheduled = EventSession.status == "scheduled"
    dates = (
        select(
            EventSession.event_id.label("event_id"),
            func.min(case((scheduled, EventSession.starts_at))).label("starts_at"),
            func.max(case((scheduled, EventSession.ends_at))).label("ends_at"),
            func.min(case((scheduled & (EventSession.ends_at > now), EventSession.starts_at))).label("next_at"),
        )
        .group_by(EventSession.event_id)
        .subquery()
    )
    query = (
        select(Event, dates.c.starts_at, dates.c.ends_at, dates.c.next_at)
        .outerjoin(dates, dates.c.event_id == Event.id)
        .where(*conditions)
    )
    if not include_past:
        query = query.where(dates.c.next_at.is_not(None))
    query = query.order_by(dates.c.next_at.asc().nulls_last(), Event.created_at.desc(), Event.id)
    rows = db.exec(query.limit(limit).offset(offset)).all()
    prices = _prices_from(db, [row[0].id for row in rows])
    return [
        EventSummary(event, starts_at, ends_at, next_at, *prices.get(event.id, (None, None)))
        for event, starts_at, ends_at, next_at in rows
    ]


def _prices_from(db: Session, event_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int | None, str | None]]:
    if not event_ids:
        return {}
    rows = db.exec(
        select(TicketType.event_id, TicketType.currency, func.min(TicketType.price_minor))
        .where(TicketType.event_id.in_(event_ids), TicketType.is_active.is_(True))
        .group_by(TicketType.event_id, TicketType.currency)
    ).all()
    seen: dict[uuid.UUID, list[tuple[int, str]]] = {}
    for event_id, currency, lowest in rows:
        seen.setdefault(event_id, []).append((int(lowest), currency))
    # A "from" price across currencies would compare apples and pears: report none.
    return {eid: (found[0][0], found[0][1]) if len(found) == 1 else (None, None) for eid, found in seen.items()}


def _search_filter(search: str) -> list[Any]:
    words = search.split()[:8]
    conditions = []
    for word in words:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            Event.title.ilike(pattern, escape="\\")
            | Event.description.ilike(pattern, escape="\\")
            | Event.location.ilike(pattern, escape="\\")
            | Event.category.ilike(pattern, escape="\\")
        )
    return conditions


def list_published_events(
    *,
    db: Session,
    now: datetime,
    search: str | None = None,
    category: str | None = None,
    include_past: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[EventSummary]:
    """Published events for the public landing page, soonest next session first.

    `search` matches every word against title, description, location or category (case
    insensitive); events whose sessions have all ended are left out unless `include_past`.
    """
    limit = int_in_range(limit, field="limit", code="invalid_limit", low=1, high=100, label="limit")
    offset = int_in_range(offset, field="offset", code="invalid_offset", low=0, high=1_000_000, label="offset")
    conditions = [Event.status == EventStatus.published.value]
    if search and search.strip():
        conditions.extend(_search_filter(search.strip()[:200]))
    if category and category.strip():
        conditions.append(func.lower(Event.category) == category.strip().lower())
    return _summaries(db, conditions, now=now, limit=limit, offset=offset, include_past=include_past)


def list_events_for_org(
    *,
    db: Session,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
    now: datetime,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[EventSummary]:
    """Every event of the organization, any status (staff: owner, organizer, door), upcoming
    first, then the rest newest first."""
    require_role(db=db, user_id=user_id, organization_id=organization_id, roles=STAFF_ROLES)
    limit = int_in_range(limit, field="limit", code="invalid_limit", low=1, high=500, label="limit")
    offset = int_in_range(offset, field="offset", code="invalid_offset", low=0, high=1_000_000, label="offset")
    conditions = [Event.organization_id == organization_id]
    if status is not None:
        if status not in {s.value for s in EventStatus}:
            raise invalid("invalid_status", "Status must be draft, published or cancelled.", field="status")
        conditions.append(Event.status == status)
    return _summaries(db, conditions, now=now, limit=limit, offset=offset, include_past=True)
