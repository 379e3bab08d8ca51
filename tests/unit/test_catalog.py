"""Catalog services against PostgreSQL: every rule and error code of events, sessions and
ticket types, roles, visibility, listing, and the locked recount behind capacity cuts."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session, func, select

from tests.factories import make_org, make_user
from ticketing.db import get_engine, lock_rows, session_scope
from ticketing.models import (
    Event,
    EventSession,
    Hold,
    Order,
    OrderItem,
    PlaceClaim,
    SessionPrerequisite,
    Ticket,
    TicketType,
    TicketTypeSession,
)
from ticketing.services import catalog, live_changes
from ticketing.services.accounts import organizations
from ticketing.services.errors import ServiceError
from ticketing.services.sales import usage

NOW = datetime(2030, 5, 1, 12, 0, tzinfo=timezone.utc)


def at(days: float, hours: float = 0) -> datetime:
    return NOW + timedelta(days=days, hours=hours)


def expect(code: str, status: int, fn, /, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as err:
        fn(**kwargs)
    assert (err.value.code, err.value.status) == (code, status), err.value
    return err.value


@pytest.fixture
def owner(db):
    return make_user(db, name="Olga Owner")


@pytest.fixture
def org(db, owner):
    return make_org(db, owner=owner)


@pytest.fixture
def event(db, owner, org):
    return catalog.create_event(
        db=db, user_id=owner.id, organization_id=org.id, title="Pottery weekend", now=NOW,
        description="Two days at the wheel", location="Studio 4, Leipzig", timezone="Europe/Berlin",
    )


def member(db, owner, org, role: str):
    user = make_user(db, name=f"{role} member")
    organizations.add_member(db=db, user_id=owner.id, organization_id=org.id, email=user.email, role=role, now=NOW)
    return user


def add_session(db, user, event, name="Day 1", start=None, hours=3, capacity=10, **kw):
    start = start or at(10)
    return catalog.create_session(
        db=db, user_id=user.id, event_id=event.id, name=name, starts_at=start,
        ends_at=start + timedelta(hours=hours), capacity=capacity, now=NOW, **kw,
    ).session


def add_type(db, user, event, sessions, name="Standard", price="23.00", currency="EUR", **kw):
    return catalog.create_ticket_type(
        db=db, user_id=user.id, event_id=event.id, name=name, price=price, currency=currency,
        session_ids=[s.id for s in sessions], now=NOW, **kw,
    )


def hold_places(db, event, ticket_type, sessions, quantity, *, expires_at, user, pending=False):
    """What a hold (or a pending order) leaves behind: claims on each session and the quota.
    A buyer has one active hold per event: the hold of a pending order is converted."""
    hold = Hold(event_id=event.id, user_id=user.id, currency="EUR", expires_at=expires_at, created_at=NOW,
                status="converted" if pending else "active")
    db.add(hold)
    db.flush()
    order_id = None
    if pending:
        order = Order(number=f"ORD-{uuid.uuid4().hex[:10]}", event_id=event.id, user_id=user.id, currency="EUR",
                      total_minor=0, payment_due_at=expires_at, hold_id=hold.id)
        db.add(order)
        db.flush()
        order_id = order.id
    for s in sessions:
        db.add(PlaceClaim(event_id=event.id, session_id=s.id, hold_id=None if pending else hold.id,
                          order_id=order_id, quantity=quantity, expires_at=expires_at))
    db.add(PlaceClaim(event_id=event.id, ticket_type_id=ticket_type.id, hold_id=None if pending else hold.id,
                      order_id=order_id, quantity=quantity, expires_at=expires_at))
    db.flush()


def issue_ticket(db, event, ticket_type, *, user, status="cancelled"):
    """An order with one ticket for the type (any status: history must keep its meaning)."""
    order = Order(number=f"ORD-{uuid.uuid4().hex[:10]}", event_id=event.id, user_id=user.id, currency="EUR",
                  total_minor=ticket_type.price_minor, status=status)
    db.add(order)
    db.flush()
    item = OrderItem(order_id=order.id, ticket_type_id=ticket_type.id, quantity=1,
                     unit_price_minor=ticket_type.price_minor)
    db.add(item)
    db.flush()
    db.add(Ticket(order_id=order.id, order_item_id=item.id, ticket_type_id=ticket_type.id, event_id=event.id,
                  code=uuid.uuid4().hex, status=status))
    db.flush()
    return order


def version(db, event) -> int:
    return db.exec(select(Event.version).where(Event.id == event.id)).one()


# --- events ----------------------------------------------------------------------------


def test_create_event_is_a_draft_with_default_settings(db, owner, org):
    event = catalog.create_event(db=db, user_id=owner.id, organization_id=org.id, title="  Jazz night ", now=NOW)
    assert event.status == "draft" and event.title == "Jazz night" and event.organization_id == org.id
    assert (event.hold_minutes, event.payment_minutes, event.max_tickets_per_order) == (15, 15, 10)
    assert event.offer_minutes == 30  # a waiting-list offer's hold
    assert event.timezone == "UTC" and event.created_at == NOW and event.version == 0
    assert event.allow_cancellation and not event.one_ticket_per_attendee


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("title", "", "invalid_title"),
        ("title", "   ", "invalid_title"),
        ("title", "x" * 201, "invalid_title"),
        ("description", 5, "invalid_description"),
        ("location", "x" * 201, "invalid_location"),
        ("category", "x" * 61, "invalid_category"),
        ("timezone", "Mars/Olympus_Mons", "invalid_timezone"),
        ("timezone", "../../etc/passwd", "invalid_timezone"),
        ("timezone", "Europe", "invalid_timezone"),
        ("timezone", "", "invalid_timezone"),
        ("hold_minutes", 0, "invalid_hold_minutes"),
        ("hold_minutes", 121, "invalid_hold_minutes"),
        ("hold_minutes", True, "invalid_hold_minutes"),
        ("payment_minutes", 0, "invalid_payment_minutes"),
        ("max_tickets_per_order", 0, "invalid_max_tickets_per_order"),
        ("max_tickets_per_order", 101, "invalid_max_tickets_per_order"),
        ("cancellation_deadline_hours", -1, "invalid_cancellation_deadline_hours"),
        ("cancellation_fee_percent", 101, "invalid_cancellation_fee_percent"),
        ("offer_minutes", 4, "invalid_offer_minutes"),
        ("offer_minutes", 1441, "invalid_offer_minutes"),
        ("one_ticket_per_attendee", "yes", "invalid_one_ticket_per_attendee"),
    ],
)
def test_create_event_rejects_bad_values_and_creates_nothing(db, owner, org, field, value, code):
    kwargs = {"title": "Jazz night", field: value}
    err = expect(code, 422, catalog.create_event, db=db, user_id=owner.id, organization_id=org.id, now=NOW, **kwargs)
    assert err.extra["field"] == field
    assert db.exec(select(func.count()).select_from(Event)).one() == 0


def test_create_event_accepts_the_settings_range_edges(db, owner, org):
    event = catalog.create_event(
        db=db, user_id=owner.id, organization_id=org.id, title="Edges", now=NOW, timezone="America/New_York",
        hold_minutes=120, payment_minutes=1440, max_tickets_per_order=100, one_ticket_per_attendee=True,
        allow_cancellation=False, cancellation_deadline_hours=0, cancellation_fee_percent=100, category="Music",
        offer_minutes=1440,
    )
    assert (event.hold_minutes, event.timezone, event.cancellation_fee_percent) == (120, "America/New_York", 100)
    assert event.offer_minutes == 1440


def test_only_owners_and_organizers_create_events(db, owner, org):
    organizer = member(db, owner, org, "organizer")
    door = member(db, owner, org, "door")
    stranger = make_user(db)
    assert catalog.create_event(db=db, user_id=organizer.id, organization_id=org.id, title="A", now=NOW)
    expect("forbidden", 403, catalog.create_event, db=db, user_id=door.id, organization_id=org.id, title="B", now=NOW)
    expect("not_found", 404, catalog.create_event, db=db, user_id=stranger.id, organization_id=org.id, title="C",
           now=NOW)
    assert db.exec(select(func.count()).select_from(Event)).one() == 1


def test_update_event_changes_only_the_given_fields(db, owner, event):
    updated = catalog.update_event(db=db, user_id=owner.id, event_id=event.id, now=NOW, title="Pottery days",
                                   hold_minutes=30)
    assert (updated.title, updated.hold_minutes) == ("Pottery days", 30)
    assert updated.location == "Studio 4, Leipzig" and updated.timezone == "Europe/Berlin"


def test_update_event_is_all_or_nothing(db, owner, event):
    expect("invalid_timezone", 422, catalog.update_event, db=db, user_id=owner.id, event_id=event.id, now=NOW,
           title="New title", timezone="Nowhere/Land")
    db.refresh(event)
    assert event.title == "Pottery weekend"


def test_update_and_catalog_changes_refused_on_a_cancelled_event(db, owner, event):
    day = add_session(db, owner, event)
    ticket_type = add_type(db, owner, event, [day]).ticket_type
    catalog.cancel_event(db=db, user_id=owner.id, event_id=event.id, now=NOW)
    base = {"db": db, "user_id": owner.id, "event_id": event.id, "now": NOW}
    expect("event_cancelled", 409, catalog.update_event, **base, title="Back")
    expect("event_cancelled", 409, catalog.publish_event, **base)
    expect("event_cancelled", 409, catalog.create_session, **base, name="Day 2", starts_at=at(11),
           ends_at=at(11, 2), capacity=5)
    expect("event_cancelled", 409, catalog.update_session, **base, session_id=day.id, capacity=20)
    expect("event_cancelled", 409, catalog.create_ticket_type, **base, name="VIP", price="50", currency="EUR",
           session_ids=[day.id])
    expect("event_cancelled", 409, catalog.update_ticket_type, **base, ticket_type_id=ticket_type.id, price="1")


def test_publish_requires_an_upcoming_session_and_an_active_ticket_type(db, owner, event):
    base = {"db": db, "user_id": owner.id, "event_id": event.id, "now": NOW}
    expect("no_upcoming_sessions", 409, catalog.publish_event, **base)
    past = add_session(db, owner, event, name="Yesterday", start=at(-1))
    add_type(db, owner, event, [past], name="Old")
    expect("no_upcoming_sessions", 409, catalog.publish_event, **base)
    day = add_session(db, owner, event, name="Day 1")
    add_type(db, owner, event, [day], is_active=False)
    catalog.update_ticket_type(**base, ticket_type_id=db.exec(select(TicketType.id).where(
        TicketType.name == "Old")).one(), is_active=False)
    expect("no_active_ticket_types", 409, catalog.publish_event, **base)
    assert db.get(Event, event.id).status == "draft"

    add_type(db, owner, event, [day], name="Early bird")
    before = version(db, event)
    published = catalog.publish_event(**base)
    assert published.status == "published" and version(db, event) == before + 1
    again = catalog.publish_event(**base)  # idempotent: no second bump
    assert again.status == "published" and version(db, event) == before + 1


def test_cancel_event_from_draft_or_published_and_idempotently(db, owner, org, event):
    before = version(db, event)
    assert catalog.cancel_event(db=db, user_id=owner.id, event_id=event.id, now=NOW).status == "cancelled"
    assert version(db, event) == before + 1
    catalog.cancel_event(db=db, user_id=owner.id, event_id=event.id, now=NOW)
    assert version(db, event) == before + 1

    other = catalog.create_event(db=db, user_id=owner.id, organization_id=org.id, title="Other", now=NOW)
    add_type(db, owner, other, [add_session(db, owner, other)])
    catalog.publish_event(db=db, user_id=owner.id, event_id=other.id, now=NOW)
    assert catalog.cancel_event(db=db, user_id=owner.id, event_id=other.id, now=NOW).status == "cancelled"


def test_door_staff_cannot_change_the_catalog(db, owner, org, event):
    door = member(db, owner, org, "door")
    day = add_session(db, owner, event)
    ticket_type = add_type(db, owner, event, [day]).ticket_type
    base = {"db": db, "user_id": door.id, "event_id": event.id, "now": NOW}
    expect("forbidden", 403, catalog.update_event, **base, title="Mine")
    expect("forbidden", 403, catalog.publish_event, **base)
    expect("forbidden", 403, catalog.cancel_event, **base)
    expect("forbidden", 403, catalog.create_session, **base, name="D2", starts_at=at(3), ends_at=at(3, 1),
           capacity=3)
    expect("forbidden", 403, catalog.update_session, **base, session_id=day.id, capacity=1)
    expect("forbidden", 403, catalog.delete_session, **base, session_id=day.id)
    expect("forbidden", 403, catalog.create_ticket_type, **base, name="X", price="1", currency="EUR",
           session_ids=[day.id])
    expect("forbidden", 403, catalog.update_ticket_type, **base, ticket_type_id=ticket_type.id, price="0")
    db.refresh(event), db.refresh(day), db.refresh(ticket_type)
    assert (event.title, event.status, day.capacity, ticket_type.price_minor) == ("Pottery weekend", "draft", 10, 2300)
    # ...but door staff may look at the draft (they scan its tickets).
    assert catalog.get_event(db=db, event_id=event.id, user_id=door.id).event.id == event.id


# --- visibility and listing ----------------------------------------------------------------


def test_drafts_are_visible_to_staff_only(db, owner, org, event):
    customer, rival = make_user(db), make_user(db)
    make_org(db, owner=rival)
    for viewer in (None, customer.id, rival.id):
        expect("not_found", 404, catalog.get_event, db=db, event_id=event.id, user_id=viewer)
    expect("not_found", 404, catalog.get_event, db=db, event_id=uuid.uuid4(), user_id=owner.id)
    detail = catalog.get_event(db=db, event_id=event.id, user_id=owner.id)
    assert detail.event.id == event.id and detail.viewer_role.value == "owner"


def test_event_detail_orders_sessions_and_hides_inactive_types_from_the_public(db, owner, event):
    day2 = add_session(db, owner, event, name="Day 2", start=at(11))
    day1 = add_session(db, owner, event, name="Day 1", start=at(10), prerequisite_session_ids=[])
    catalog.update_session(db=db, user_id=owner.id, event_id=event.id, session_id=day2.id, now=NOW,
                           prerequisite_session_ids=[day1.id])
    add_type(db, owner, event, [day2, day1], name="Weekend", price="40", sort_order=2)
    add_type(db, owner, event, [day1], name="Saturday", price="23.5", sort_order=1)
    add_type(db, owner, event, [day2], name="Hidden", price="1", is_active=False, sort_order=0)
    catalog.publish_event(db=db, user_id=owner.id, event_id=event.id, now=NOW)

    public = catalog.get_event(db=db, event_id=event.id)
    assert [s.session.name for s in public.sessions] == ["Day 1", "Day 2"]
    assert [s.prerequisite_session_ids for s in public.sessions] == [[], [day1.id]]
    assert [(t.ticket_type.name, t.session_ids) for t in public.ticket_types] == [
        ("Saturday", [day1.id]), ("Weekend", [day1.id, day2.id])
    ]
    assert public.viewer_role is None
    staff = catalog.get_event(db=db, event_id=event.id, user_id=owner.id)
    assert [t.ticket_type.name for t in staff.ticket_types] == ["Hidden", "Saturday", "Weekend"]


def test_a_cancelled_event_stays_public_only_if_it_sold(db, owner, event):
    add_type(db, owner, event, [add_session(db, owner, event)])
    catalog.publish_event(db=db, user_id=owner.id, event_id=event.id, now=NOW)
    catalog.cancel_event(db=db, user_id=owner.id, event_id=event.id, now=NOW)
    expect("not_found", 404, catalog.get_event, db=db, event_id=event.id)
    ticket_type = db.exec(select(TicketType).where(TicketType.event_id == event.id)).one()
    issue_ticket(db, event, ticket_type, user=make_user(db))
    assert catalog.get_event(db=db, event_id=event.id).event.status == "cancelled"


def _published(db, owner, org, title, start, **kw):
    event = catalog.create_event(db=db, user_id=owner.id, organization_id=org.id, title=title, now=NOW, **kw)
    session = add_session(db, owner, event, start=start)
    add_type(db, owner, event, [session], price="12.50")
    catalog.publish_event(db=db, user_id=owner.id, event_id=event.id, now=NOW)
    return event


def test_list_published_events_by_next_start_with_search_and_filters(db, owner, org):
    later = _published(db, owner, org, "Choir concert", at(20), location="St. Thomas", category="Music")
    sooner = _published(db, owner, org, "Yoga 100% flow", at(2), location="Park", category="Sport")
    running = _published(db, owner, org, "Marathon reading", at(-0.05), category="Books")  # started, not ended
    gone = _published(db, owner, org, "Long gone", at(5))
    db.exec(select(EventSession).where(EventSession.event_id == gone.id)).one().ends_at = at(-1)
    db.exec(select(EventSession).where(EventSession.event_id == gone.id)).one().starts_at = at(-1, -2)
    db.flush()
    catalog.create_event(db=db, user_id=owner.id, organization_id=org.id, title="Choir draft", now=NOW)

    listed = catalog.list_published_events(db=db, now=NOW)
    assert [s.event.id for s in listed] == [running.id, sooner.id, later.id]
    first = listed[1]
    assert first.starts_at == at(2) and first.next_starts_at == at(2) and first.ends_at == at(2, 3)
    assert (first.price_from_minor, first.currency) == (1250, "EUR")
    assert [s.event.id for s in catalog.list_published_events(db=db, now=NOW, include_past=True)][-1] == gone.id

    def titles(**kw):
        return [s.event.title for s in catalog.list_published_events(db=db, now=NOW, **kw)]

    assert titles(search="choir") == ["Choir concert"]  # the draft is never listed
    assert titles(search="THOMAS concert") == ["Choir concert"]  # every word, any field
    assert titles(search="100%") == ["Yoga 100% flow"]  # % is literal, not a wildcard
    assert titles(search="%") == ["Yoga 100% flow"]
    assert titles(search="_") == []
    assert titles(category="music") == ["Choir concert"]
    assert titles(limit=1, offset=1) == ["Yoga 100% flow"]
    expect("invalid_limit", 422, catalog.list_published_events, db=db, now=NOW, limit=0)


def test_list_events_for_org_is_for_its_staff(db, owner, org, event):
    door = member(db, owner, org, "door")
    _published(db, owner, org, "On sale", at(3))
    stranger = make_user(db)
    make_org(db, owner=stranger)
    listed = catalog.list_events_for_org(db=db, user_id=door.id, organization_id=org.id, now=NOW)
    assert [s.event.title for s in listed] == ["On sale", "Pottery weekend"]
    drafts = catalog.list_events_for_org(db=db, user_id=owner.id, organization_id=org.id, now=NOW, status="draft")
    assert [s.event.id for s in drafts] == [event.id]
    expect("invalid_status", 422, catalog.list_events_for_org, db=db, user_id=owner.id, organization_id=org.id,
           now=NOW, status="live")
    expect("not_found", 404, catalog.list_events_for_org, db=db, user_id=stranger.id, organization_id=org.id,
           now=NOW)


# --- sessions ------------------------------------------------------------------------------


def test_create_session_with_prerequisites_bumps_the_version(db, owner, event):
    day1 = add_session(db, owner, event, name="Day 1")
    before = version(db, event)
    view = catalog.create_session(db=db, user_id=owner.id, event_id=event.id, name=" Day 2 ", starts_at=at(11),
                                  ends_at=at(11, 4), capacity=8, now=NOW,
                                  prerequisite_session_ids=[day1.id, day1.id])
    assert view.session.name == "Day 2" and view.session.capacity == 8 and view.session.sold == 0
    assert view.prerequisite_session_ids == [day1.id]
    assert version(db, event) == before + 1


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"capacity": 0}, "invalid_capacity"),
        ({"capacity": -3}, "invalid_capacity"),
        ({"capacity": True}, "invalid_capacity"),
        ({"capacity": 1_000_001}, "invalid_capacity"),
        ({"ends_at": at(10)}, "invalid_times"),  # start == end
        ({"ends_at": at(9)}, "invalid_times"),  # end before start
        ({"starts_at": datetime(2030, 5, 11, 12)}, "invalid_times"),  # naive: which zone?
        ({"name": "  "}, "invalid_name"),
        ({"name": "x" * 121}, "invalid_name"),
    ],
)
def test_create_session_rejects_bad_values(db, owner, event, changes, code):
    kwargs = {"name": "Day 1", "starts_at": at(10), "ends_at": at(10, 2), "capacity": 5, **changes}
    expect(code, 422, catalog.create_session, db=db, user_id=owner.id, event_id=event.id, now=NOW, **kwargs)
    assert db.exec(select(func.count()).select_from(EventSession)).one() == 0


def test_session_names_are_unique_per_event(db, owner, org, event):
    add_session(db, owner, event, name="Day 1")
    err = expect("duplicate_name", 409, add_session, db=db, user=owner, event=event, name="Day 1", start=at(12))
    assert err.extra["field"] == "name"
    other = catalog.create_event(db=db, user_id=owner.id, organization_id=org.id, title="Other", now=NOW)
    assert add_session(db, owner, other, name="Day 1").event_id == other.id


def test_prerequisites_must_be_sessions_of_the_same_event(db, owner, org, event):
    other = catalog.create_event(db=db, user_id=owner.id, organization_id=org.id, title="Other", now=NOW)
    elsewhere = add_session(db, owner, other)
    for prerequisites in ([elsewhere.id], [uuid.uuid4()]):
        err = expect("foreign_session", 422, add_session, db=db, user=owner, event=event,
                     prerequisite_session_ids=prerequisites)
        assert err.extra["session_ids"] == [str(prerequisites[0])]
    assert db.exec(select(func.count()).select_from(EventSession).where(EventSession.event_id == event.id)).one() == 0


def test_prerequisites_cannot_form_a_cycle(db, owner, event):
    a = add_session(db, owner, event, name="A")
    b = add_session(db, owner, event, name="B", prerequisite_session_ids=[a.id])
    c = add_session(db, owner, event, name="C", prerequisite_session_ids=[b.id])
    base = {"db": db, "user_id": owner.id, "event_id": event.id, "now": NOW}
    expect("prerequisite_cycle", 422, catalog.update_session, **base, session_id=a.id, prerequisite_session_ids=[c.id])
    expect("prerequisite_cycle", 422, catalog.update_session, **base, session_id=b.id, prerequisite_session_ids=[b.id])
    view = catalog.update_session(**base, session_id=c.id, prerequisite_session_ids=[a.id, b.id])
    assert view.prerequisite_session_ids == sorted([a.id, b.id])
    # Dropping B's prerequisite frees A to require C; the graph stays acyclic.
    catalog.update_session(**base, session_id=b.id, prerequisite_session_ids=[])
    assert catalog.update_session(**base, session_id=a.id, prerequisite_session_ids=[]).prerequisite_session_ids == []
    rows = db.exec(select(SessionPrerequisite.session_id, SessionPrerequisite.prerequisite_session_id)).all()
    assert set(rows) == {(c.id, a.id), (c.id, b.id)}


def test_update_session_changes_fields_and_keeps_times_consistent(db, owner, event):
    day = add_session(db, owner, event, name="Day 1", start=at(10), hours=3, capacity=10)
    add_session(db, owner, event, name="Day 2", start=at(11))
    base = {"db": db, "user_id": owner.id, "event_id": event.id, "session_id": day.id, "now": NOW}
    before = version(db, event)
    view = catalog.update_session(**base, name="Opening day", capacity=12, ends_at=at(10, 5))
    assert (view.session.name, view.session.capacity, view.session.ends_at) == ("Opening day", 12, at(10, 5))
    assert version(db, event) == before + 1
    expect("invalid_times", 422, catalog.update_session, **base, starts_at=at(10, 6))  # after the kept end
    expect("duplicate_name", 409, catalog.update_session, **base, name="Day 2")
    expect("invalid_capacity", 422, catalog.update_session, **base, capacity=0)
    expect("not_found", 404, catalog.update_session, **{**base, "session_id": uuid.uuid4()}, capacity=3)
    db.refresh(day)
    assert (day.name, day.capacity, day.starts_at) == ("Opening day", 12, at(10))


def test_capacity_cannot_go_below_places_taken(db, owner, event):
    day = add_session(db, owner, event, capacity=10)
    ticket_type = add_type(db, owner, event, [day]).ticket_type
    buyer = make_user(db)
    day.sold = 3  # confirmed
    db.add(day)
    hold_places(db, event, ticket_type, [day], 2, expires_at=at(0, 1), user=buyer)  # held
    hold_places(db, event, ticket_type, [day], 1, expires_at=at(0, 1), user=buyer, pending=True)  # unpaid order
    hold_places(db, event, ticket_type, [day], 4, expires_at=at(0, -1), user=make_user(db))  # expired: free again
    base = {"db": db, "user_id": owner.id, "event_id": event.id, "session_id": day.id, "now": NOW}
    err = expect("capacity_below_taken", 409, catalog.update_session, **base, capacity=5)
    assert err.extra["taken"] == 6
    db.refresh(day)
    assert day.capacity == 10
    assert catalog.update_session(**base, capacity=6).session.capacity == 6
    # Once the hold and the order deadline pass, only the sold places count.
    assert catalog.update_session(**{**base, "now": at(0, 2)}, capacity=3).session.capacity == 3


def test_delete_session_removes_it_from_ticket_types_and_drops_emptied_types(db, owner, event):
    day1, day2 = add_session(db, owner, event, name="Day 1"), add_session(db, owner, event, name="Day 2", start=at(11))
    add_session(db, owner, event, name="Day 3", start=at(12), prerequisite_session_ids=[day1.id])
    weekend = add_type(db, owner, event, [day1, day2], name="Weekend").ticket_type
    saturday = add_type(db, owner, event, [day1], name="Saturday").ticket_type
    buyer = make_user(db)
    hold_places(db, event, saturday, [day1], 2, expires_at=at(0, -1), user=buyer)  # expired: no obstacle
    before = version(db, event)
    catalog.delete_session(db=db, user_id=owner.id, event_id=event.id, session_id=day1.id, now=NOW)
    assert db.get(EventSession, day1.id) is None
    assert db.get(TicketType, saturday.id) is None  # it admitted to nothing any more
    assert db.exec(select(TicketTypeSession.session_id).where(
        TicketTypeSession.ticket_type_id == weekend.id)).all() == [day2.id]
    assert db.exec(select(func.count()).select_from(SessionPrerequisite)).one() == 0
    assert version(db, event) == before + 1
    expect("not_found", 404, catalog.delete_session, db=db, user_id=owner.id, event_id=event.id,
           session_id=day1.id, now=NOW)


@pytest.mark.parametrize("obstacle", ["sold", "held", "pending", "ticket_ever_issued"])
def test_delete_session_refused_when_it_has_tickets(db, owner, event, obstacle):
    day = add_session(db, owner, event)
    other = add_session(db, owner, event, name="Day 2", start=at(11))
    bundle = add_type(db, owner, event, [day, other]).ticket_type
    buyer = make_user(db)
    if obstacle == "sold":
        day.sold = 1
        db.add(day)
        db.flush()
    elif obstacle == "held":
        hold_places(db, event, bundle, [day], 1, expires_at=at(0, 1), user=buyer)
    elif obstacle == "pending":
        hold_places(db, event, bundle, [day], 1, expires_at=at(0, 1), user=buyer, pending=True)
    else:  # a cancelled order of a type including the session: history must keep its sessions
        issue_ticket(db, event, bundle, user=buyer, status="cancelled")
    expect("session_has_tickets", 409, catalog.delete_session, db=db, user_id=owner.id, event_id=event.id,
           session_id=day.id, now=NOW)
    assert db.get(EventSession, day.id) is not None
    assert db.exec(select(func.count()).select_from(TicketTypeSession)).one() == 2


# --- ticket types --------------------------------------------------------------------------


def test_create_ticket_type_stores_minor_units_and_sessions(db, owner, event):
    day2 = add_session(db, owner, event, name="Day 2", start=at(11))
    day1 = add_session(db, owner, event, name="Day 1", start=at(10))
    before = version(db, event)
    view = catalog.create_ticket_type(
        db=db, user_id=owner.id, event_id=event.id, name="Weekend", price="45.5", currency="eur",
        session_ids=[day2.id, day1.id], now=NOW, max_quantity=50, sale_starts_at=at(-1), sale_ends_at=at(9),
        min_per_order=2, max_per_order=6, description="Both days",
    )
    t = view.ticket_type
    assert (t.price_minor, t.currency, t.max_quantity, t.min_per_order, t.max_per_order) == (4550, "EUR", 50, 2, 6)
    assert (t.sale_starts_at, t.sale_ends_at, t.is_active, t.sort_order) == (at(-1), at(9), True, 0)
    assert view.session_ids == [day1.id, day2.id]  # by session start
    assert version(db, event) == before + 1
    assert add_type(db, owner, event, [day1], name="Next").ticket_type.sort_order == 1  # appended


def test_prices_follow_the_currency_exponent(db, owner, org):
    yen = catalog.create_event(db=db, user_id=owner.id, organization_id=org.id, title="Tokyo", now=NOW)
    dinar = catalog.create_event(db=db, user_id=owner.id, organization_id=org.id, title="Kuwait", now=NOW)
    assert add_type(db, owner, yen, [add_session(db, owner, yen)], price="2300", currency="JPY").ticket_type \
        .price_minor == 2300
    assert add_type(db, owner, dinar, [add_session(db, owner, dinar)], price="1.250", currency="KWD").ticket_type \
        .price_minor == 1250
    expect("invalid_price", 422, add_type, db=db, user=owner, event=yen, sessions=[], price="23.50",
           currency="JPY", name="Wrong")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"price": "-1.00"}, "negative_price"),
        ({"price": "1.234"}, "invalid_price"),
        ({"price": "abc"}, "invalid_price"),
        ({"price": 23}, "invalid_price"),
        ({"price": "NaN"}, "invalid_price"),
        ({"price": "100000000000"}, "invalid_price"),
        ({"currency": "EU"}, "invalid_currency"),
        ({"currency": "ABC"}, "invalid_currency"),
        ({"session_ids": []}, "no_sessions"),
        ({"session_ids": [uuid.uuid4()]}, "foreign_session"),
        ({"max_quantity": 0}, "invalid_max_quantity"),
        ({"sale_starts_at": at(2), "sale_ends_at": at(1)}, "invalid_sale_window"),
        ({"sale_ends_at": datetime(2030, 6, 1)}, "invalid_sale_window"),
        ({"min_per_order": 0}, "invalid_per_order_limits"),
        ({"min_per_order": 3, "max_per_order": 2}, "invalid_per_order_limits"),
        ({"min_per_order": 11}, "invalid_per_order_limits"),  # above the event's 10 per order
        ({"name": ""}, "invalid_name"),
        ({"is_active": "yes"}, "invalid_is_active"),
        ({"description": "x" * 1001}, "invalid_description"),
    ],
)
def test_create_ticket_type_rejects_bad_values(db, owner, event, changes, code):
    day = add_session(db, owner, event)
    kwargs = {"name": "Standard", "price": "23.00", "currency": "EUR", "session_ids": [day.id], **changes}
    expect(code, 422, catalog.create_ticket_type, db=db, user_id=owner.id, event_id=event.id, now=NOW, **kwargs)
    assert db.exec(select(func.count()).select_from(TicketType)).one() == 0


def test_ticket_type_sessions_must_belong_to_the_event(db, owner, org, event):
    other = catalog.create_event(db=db, user_id=owner.id, organization_id=org.id, title="Other", now=NOW)
    mine, theirs = add_session(db, owner, event), add_session(db, owner, other)
    err = expect("foreign_session", 422, add_type, db=db, user=owner, event=event, sessions=[mine, theirs])
    assert err.extra["session_ids"] == [str(theirs.id)]


def test_one_currency_and_unique_names_per_event(db, owner, event):
    day = add_session(db, owner, event)
    add_type(db, owner, event, [day], name="Standard", currency="EUR")
    expect("currency_mismatch", 409, add_type, db=db, user=owner, event=event, sessions=[day], name="USD",
           currency="USD")
    expect("duplicate_name", 409, add_type, db=db, user=owner, event=event, sessions=[day], name="Standard")


def test_update_ticket_type_price_activity_window_and_limits(db, owner, event):
    day = add_session(db, owner, event)
    ticket_type = add_type(db, owner, event, [day], max_quantity=5).ticket_type
    base = {"db": db, "user_id": owner.id, "event_id": event.id, "ticket_type_id": ticket_type.id, "now": NOW}
    before = version(db, event)
    view = catalog.update_ticket_type(**base, price="19.90", is_active=False, max_quantity=None, name="Regular",
                                      sale_ends_at=at(9), max_per_order=4, sort_order=7)
    t = view.ticket_type
    assert (t.price_minor, t.is_active, t.max_quantity, t.name, t.sale_ends_at) == (1990, False, None, "Regular", at(9))
    assert (t.max_per_order, t.sort_order, view.session_ids) == (4, 7, [day.id])
    assert version(db, event) == before + 1
    expect("invalid_sale_window", 422, catalog.update_ticket_type, **base, sale_starts_at=at(9, 1))
    expect("invalid_per_order_limits", 422, catalog.update_ticket_type, **base, min_per_order=5)  # above max 4
    expect("negative_price", 422, catalog.update_ticket_type, **base, price="-0.01")
    expect("not_found", 404, catalog.update_ticket_type, **{**base, "ticket_type_id": uuid.uuid4()}, price="1")
    db.refresh(ticket_type)
    assert (ticket_type.price_minor, ticket_type.sale_starts_at, ticket_type.min_per_order) == (1990, None, 1)


def test_quota_cannot_go_below_units_taken(db, owner, event):
    day = add_session(db, owner, event, capacity=50)
    ticket_type = add_type(db, owner, event, [day], max_quantity=20).ticket_type
    ticket_type.sold = 4
    db.add(ticket_type)
    hold_places(db, event, ticket_type, [day], 3, expires_at=at(0, 1), user=make_user(db))
    base = {"db": db, "user_id": owner.id, "event_id": event.id, "ticket_type_id": ticket_type.id, "now": NOW}
    err = expect("quota_below_taken", 409, catalog.update_ticket_type, **base, max_quantity=6)
    assert err.extra["taken"] == 7
    assert catalog.update_ticket_type(**base, max_quantity=7).ticket_type.max_quantity == 7
    expect("invalid_max_quantity", 422, catalog.update_ticket_type, **base, max_quantity=0)


def test_sessions_and_currency_change_only_before_anything_is_held_or_ordered(db, owner, event):
    day1, day2 = add_session(db, owner, event), add_session(db, owner, event, name="Day 2", start=at(11))
    ticket_type = add_type(db, owner, event, [day1], price="23.50").ticket_type
    base = {"db": db, "user_id": owner.id, "event_id": event.id, "ticket_type_id": ticket_type.id, "now": NOW}
    assert catalog.update_ticket_type(**base, session_ids=[day1.id, day2.id]).session_ids == [day1.id, day2.id]
    expect("no_sessions", 422, catalog.update_ticket_type, **base, session_ids=[])
    expect("invalid_price", 422, catalog.update_ticket_type, **base, currency="JPY")  # 23.50 yen cannot be
    assert catalog.update_ticket_type(**base, currency="USD").ticket_type.price_minor == 2350
    assert catalog.update_ticket_type(**base, currency="JPY", price="3000").ticket_type.price_minor == 3000

    hold_places(db, event, ticket_type, [day1, day2], 1, expires_at=at(0, 1), user=make_user(db))
    expect("ticket_type_has_sales", 409, catalog.update_ticket_type, **base, session_ids=[day2.id])
    expect("ticket_type_has_sales", 409, catalog.update_ticket_type, **base, currency="EUR", price="20")
    assert catalog.update_ticket_type(**base, session_ids=[day2.id, day1.id]).session_ids == [day1.id, day2.id]
    assert catalog.update_ticket_type(**base, price="3500").ticket_type.price_minor == 3500  # new price: new holds


def test_currency_change_must_match_the_other_ticket_types(db, owner, event):
    day = add_session(db, owner, event)
    add_type(db, owner, event, [day], name="A")
    b = add_type(db, owner, event, [day], name="B").ticket_type
    expect("currency_mismatch", 409, catalog.update_ticket_type, db=db, user_id=owner.id, event_id=event.id,
           ticket_type_id=b.id, now=NOW, currency="USD")


# --- the locked recount ------------------------------------------------------------------


def test_capacity_cut_waits_for_an_in_flight_hold_and_counts_it():
    """A hold holding the session lock with uncommitted claims: an unlocked read misses them (the
    race exists), the capacity cut waits for the lock, recounts, and refuses."""
    with session_scope() as db:
        owner = make_user(db)
        event = catalog.create_event(db=db, user_id=owner.id, organization_id=make_org(db, owner=owner).id,
                                     title="Race", now=NOW)
        day = add_session(db, owner, event, capacity=10)
        ticket_type = add_type(db, owner, event, [day]).ticket_type
        ids = (owner.id, event.id, day.id, ticket_type.id)
    owner_id, event_id, session_id, type_id = ids
    locked, release = threading.Event(), threading.Event()

    def hold_in_flight():
        with session_scope() as db:
            (session,) = lock_rows(db, EventSession, [session_id])
            db.add(PlaceClaim(event_id=event_id, session_id=session_id, quantity=8, expires_at=at(0, 1)))
            db.add(PlaceClaim(event_id=event_id, ticket_type_id=type_id, quantity=8, expires_at=at(0, 1)))
            db.flush()
            locked.set()
            release.wait(10)

    worker = threading.Thread(target=hold_in_flight)
    worker.start()
    try:
        assert locked.wait(10)
        with Session(bind=get_engine()) as peek:  # the unlocked read
            session = peek.get(EventSession, session_id)
            assert usage.session_usage(db=peek, sessions=[session], now=NOW)[session_id].taken == 0
        threading.Timer(0.3, release.set).start()
        with pytest.raises(ServiceError) as err:
            with session_scope() as db:
                catalog.update_session(db=db, user_id=owner_id, event_id=event_id, session_id=session_id,
                                       capacity=5, now=NOW)
        assert err.value.code == "capacity_below_taken" and err.value.extra["taken"] == 8
    finally:
        release.set()
        worker.join(10)
    with session_scope(readonly=True) as db:
        assert db.get(EventSession, session_id).capacity == 10


def test_concurrent_duplicate_session_names_lose_to_the_unique_constraint():
    """Two scopes add "Day 1" at once; the pre-check cannot see the other's uncommitted row, so
    the loser learns it from the unique index and still gets duplicate_name, not a 500."""
    with session_scope() as db:
        owner = make_user(db)
        event = catalog.create_event(db=db, user_id=owner.id, organization_id=make_org(db, owner=owner).id,
                                     title="Race", now=NOW)
        owner_id, event_id = owner.id, event.id
    created, release = threading.Event(), threading.Event()
    kwargs = {"user_id": owner_id, "event_id": event_id, "name": "Day 1", "starts_at": at(3), "ends_at": at(3, 1),
              "capacity": 5, "now": NOW}

    def first_writer():
        with session_scope() as db:
            catalog.create_session(db=db, **kwargs)
            created.set()
            release.wait(10)

    worker = threading.Thread(target=first_writer)
    worker.start()
    try:
        assert created.wait(10)
        threading.Timer(0.3, release.set).start()
        with pytest.raises(ServiceError) as err:
            with session_scope() as db:
                catalog.create_session(db=db, **kwargs)
        assert (err.value.code, err.value.status) == ("duplicate_name", 409)
    finally:
        release.set()
        worker.join(10)
    with session_scope(readonly=True) as db:
        assert db.exec(select(EventSession.name).where(EventSession.event_id == event_id)).all() == ["Day 1"]


def test_concurrent_catalog_writes_on_one_event_do_not_deadlock():
    """Every catalog write inserts rows referencing the event (a key-share lock on its row) and
    then bumps the event's version. A bump by SELECT ... FOR UPDATE would wait for the other
    writer's key-share lock while that writer waits for ours: a deadlock. Here writer A has
    inserted and bumps only after B has started; both must commit, without any retry."""
    with session_scope() as db:
        owner = make_user(db)
        event = catalog.create_event(db=db, user_id=owner.id, organization_id=make_org(db, owner=owner).id,
                                     title="Busy", now=NOW)
        owner_id, event_id = owner.id, event.id
    inserted, b_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer_a():
        try:
            with session_scope() as db:
                db.add(EventSession(event_id=event_id, name="A", starts_at=at(1), ends_at=at(1, 1), capacity=1))
                db.flush()
                inserted.set()
                b_started.wait(10)
                threading.Event().wait(0.3)  # let B reach its bump first
                live_changes.bump_event_version(db=db, event_id=event_id)  # as every catalog write ends
        except BaseException as exc:  # reported below; a thread's exception would vanish
            errors.append(exc)

    worker = threading.Thread(target=writer_a)
    worker.start()
    assert inserted.wait(10)
    b_started.set()
    started = time.monotonic()
    with session_scope() as db:
        catalog.create_session(db=db, user_id=owner_id, event_id=event_id, name="B", starts_at=at(2),
                               ends_at=at(2, 1), capacity=1, now=NOW)
    worker.join(10)
    assert errors == []  # a deadlock would have aborted one writer (40P01 surfaces as `busy`)
    with session_scope(readonly=True) as db:
        assert db.get(Event, event_id).version == 2


class RecordingBus:
    """Stands in for the live-update bus: keeps what would have been published."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    def publish(self, event_id: str, message: dict) -> bool:
        self.messages.append(message)
        return True

    async def listen(self):  # pragma: no cover - never listened to here
        yield {}


def test_catalog_changes_publish_a_structure_delta_after_commit_only():
    from ticketing.bus import set_bus

    bus = RecordingBus()
    set_bus(bus)
    try:
        with session_scope() as db:
            owner = make_user(db)
            event = catalog.create_event(db=db, user_id=owner.id, organization_id=make_org(db, owner=owner).id,
                                         title="Live", now=NOW)
            day = add_session(db, owner, event, capacity=4)
            assert bus.messages == []  # nothing before the commit
        assert [(m["version"], m["structure"]) for m in bus.messages] == [(1, True)]

        with session_scope() as db:
            catalog.update_session(db=db, user_id=owner.id, event_id=event.id, session_id=day.id, capacity=6, now=NOW)
        last = bus.messages[-1]
        assert (last["version"], last["structure"], last["sessions"]) == (2, True, {str(day.id): [0, 0, 0]})

        with pytest.raises(ServiceError):
            with session_scope() as db:
                catalog.update_session(db=db, user_id=owner.id, event_id=event.id, session_id=day.id, capacity=0,
                                       now=NOW)
        assert len(bus.messages) == 2  # a refused change publishes nothing
    finally:
        set_bus(None)
