"""Catalog rows built directly with the ORM (the catalog service is another issue's work), and
short helpers to run one sales use case per committed transaction, as the API does."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from sqlmodel import Session, select

from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.models import (
    Event,
    EventSession,
    EventStatus,
    Organization,
    SessionPrerequisite,
    Ticket,
    TicketType,
    TicketTypeSession,
    User,
)
from ticketing.services import live_changes
from ticketing.services.errors import ServiceError
from ticketing.services.sales import usage

T = TypeVar("T")
# A fixed clock for service tests: nothing depends on the wall clock.
T0 = datetime(2030, 3, 1, 12, 0, tzinfo=timezone.utc)


def make_event(
    db: Session, *, org: Organization, title: str = "Workshop", status: str = EventStatus.published.value,
    **settings: Any,
) -> Event:
    event = Event(organization_id=org.id, title=title, status=status, created_at=T0, **settings)
    db.add(event)
    db.flush()
    return event


def make_session(db: Session, *, event: Event, name: str, capacity: int, starts_at: datetime | None = None,
                 prerequisites: Sequence[EventSession] = ()) -> EventSession:
    starts_at = starts_at or T0 + timedelta(days=30)
    s = EventSession(event_id=event.id, name=name, starts_at=starts_at, ends_at=starts_at + timedelta(hours=3),
                     capacity=capacity, created_at=T0)
    db.add(s)
    db.flush()
    for p in prerequisites:
        db.add(SessionPrerequisite(session_id=s.id, prerequisite_session_id=p.id))
    db.flush()
    return s


def make_ticket_type(db: Session, *, event: Event, name: str, sessions: Sequence[EventSession], price_minor: int = 0,
                     currency: str = "EUR", **fields: Any) -> TicketType:
    t = TicketType(event_id=event.id, name=name, price_minor=price_minor, currency=currency, created_at=T0, **fields)
    db.add(t)
    db.flush()
    for s in sessions:
        db.add(TicketTypeSession(ticket_type_id=t.id, session_id=s.id))
    db.flush()
    return t


@dataclass
class Workshop:
    """Seed 000, scenario 1: a 3-day workshop, sessions 20/20/18, five ticket types."""

    org_id: uuid.UUID
    owner_id: uuid.UUID
    event_id: uuid.UUID
    day1: uuid.UUID
    day2: uuid.UUID
    day3: uuid.UUID
    series: uuid.UUID  # all three days, quota 15, 150.00
    day1_pass: uuid.UUID  # quota 10, 60.00
    day2_pass: uuid.UUID  # quota 10
    day3_pass: uuid.UUID  # quota 8
    weekend: uuid.UUID  # days 2 + 3, quota 5, 100.00
    extra: dict[str, uuid.UUID] = field(default_factory=dict)


def make_buyers(db: Session, n: int, *, name: str = "Buyer") -> list[User]:
    """Users inserted directly: password hashing would dominate tests that need hundreds."""
    users = [User(email=f"{name.lower()}-{uuid.uuid4().hex[:12]}@example.com", name=f"{name} {i}",
                  password_hash="!unusable", created_at=T0) for i in range(n)]
    db.add_all(users)
    db.flush()
    return users


def make_workshop(db: Session, *, owner: User | None = None, **settings: Any) -> Workshop:
    owner = owner or make_buyers(db, 1, name="Organizer")[0]
    org = make_org(db, owner=owner, now=T0)
    settings.setdefault("max_tickets_per_order", 50)
    event = make_event(db, org=org, title="Rope Workshop", **settings)
    start = T0 + timedelta(days=30)
    d1 = make_session(db, event=event, name="Day 1 - Foundations", capacity=20, starts_at=start)
    d2 = make_session(db, event=event, name="Day 2 - Advanced Techniques", capacity=20,
                      starts_at=start + timedelta(days=1))
    d3 = make_session(db, event=event, name="Day 3 - Practice & Integration", capacity=18,
                      starts_at=start + timedelta(days=2))
    series = make_ticket_type(db, event=event, name="Full Series Pass", sessions=[d1, d2, d3], price_minor=15000,
                              max_quantity=15, sort_order=1)
    p1, p2, p3 = (
        make_ticket_type(db, event=event, name=f"Day {i + 1} Only", sessions=[day], price_minor=6000,
                         max_quantity=quota, sort_order=i + 2)
        for i, (day, quota) in enumerate([(d1, 10), (d2, 10), (d3, 8)])
    )
    weekend = make_ticket_type(db, event=event, name="Weekend Combo", sessions=[d2, d3], price_minor=10000,
                               max_quantity=5, sort_order=5)
    return Workshop(org_id=org.id, owner_id=owner.id, event_id=event.id, day1=d1.id, day2=d2.id, day3=d3.id,
                    series=series.id, day1_pass=p1.id, day2_pass=p2.id, day3_pass=p3.id, weekend=weekend.id)


def in_tx(fn: Callable[..., T], /, url: str | None = None, **kwargs: Any) -> T:
    """Run one use case in its own committed transaction, like an API request."""
    with session_scope(url=url) as db:
        return fn(db=db, **kwargs)


def error_of(fn: Callable[..., Any], /, **kwargs: Any) -> ServiceError:
    """The ServiceError the use case raises in its own (rolled back) transaction."""
    try:
        in_tx(fn, **kwargs)
    except ServiceError as exc:
        return exc
    raise AssertionError(f"{getattr(fn, '__name__', fn)} did not raise")


def set_capacity(*, session_id: uuid.UUID, capacity: int, now: datetime, url: str | None = None) -> bool:
    """Edit a session's capacity like the catalog service must: under lock, never below taken.

    Returns False (and changes nothing) when `capacity` is below the places already taken.
    """
    from ticketing.db import lock_rows

    with session_scope(url=url) as db:
        (s,) = lock_rows(db, EventSession, [session_id])
        taken = usage.session_usage(db=db, sessions=[s], now=now)[s.id].taken
        if capacity < taken:
            return False
        s.capacity = capacity
        db.add(s)
        live_changes.bump_event_version(db=db, event_id=s.event_id)
        return True


def load(model: type[T], row_id: uuid.UUID, url: str | None = None) -> T:
    """A fresh copy of one row, read in its own transaction."""
    with session_scope(readonly=True, url=url) as db:
        row = db.exec(select(model).where(model.id == row_id)).one()
        db.expunge(row)
        return row


def cancel_choice(order_id: uuid.UUID, partial: bool) -> list[uuid.UUID] | None:
    """What a property test's cancel rule cancels: the order's first ticket still valid when
    `partial` (None, the whole order, when none is left), else the whole order (None)."""
    if not partial:
        return None
    with session_scope(readonly=True) as db:
        live = db.exec(select(Ticket.id).where(Ticket.order_id == order_id, Ticket.status != "cancelled")
                       .order_by(Ticket.id)).all()
    return live[:1] or None

