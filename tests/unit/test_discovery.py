"""Discovery: filters by words, category and date; sold-out events are marked."""

from __future__ import annotations

from datetime import timedelta

from tests.builders import T0, make_buyers, make_event, make_session, make_ticket_type
from tests.factories import make_org
from ticketing.services.catalog.discovery import categories, discover_events


def _event(db, org, title, category, days, capacity=5, sold=0):
    event = make_event(db, org=org, title=title, category=category)
    s = make_session(db, event=event, name="Main", capacity=capacity, starts_at=T0 + timedelta(days=days))
    t = make_ticket_type(db, event=event, name="Standard", sessions=[s], price_minor=1000)
    s.sold, t.sold = sold, sold
    db.add_all([s, t])
    db.flush()
    return event


def test_filters_and_sold_out(db):
    org = make_org(db, owner=make_buyers(db, 1)[0], now=T0)
    soon = _event(db, org, "Night Strings", "Concert", 3, capacity=2, sold=2)
    later = _event(db, org, "Morning Yoga", "Class", 40)
    db.flush()
    found = discover_events(db=db, now=T0)
    assert [(d.summary.event.title, d.sold_out) for d in found] == [("Night Strings", True), ("Morning Yoga", False)]
    assert [d.summary.event.id for d in discover_events(db=db, now=T0, within="week")] == [soon.id]
    assert [d.summary.event.id for d in discover_events(db=db, now=T0, category="class")] == [later.id]
    assert [d.summary.event.id for d in discover_events(db=db, now=T0, search="yoga")] == [later.id]
    assert discover_events(db=db, now=T0, search="opera") == []
    assert categories(db=db) == ["Class", "Concert"]
