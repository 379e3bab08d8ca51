"""Journey: the event page explains its rules before a hold refuses: a session that requires
another is said so next to the ticket types it concerns, per-type and per-order maximums turn
"+" off when reached (with a word why)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.builders import make_buyers, make_event, make_session, make_ticket_type
from tests.e2e.conftest import snapshot
from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.models import SessionPrerequisite

pytestmark = pytest.mark.e2e


@pytest.fixture
def course() -> dict:
    with session_scope() as db:
        owner = make_buyers(db, 1, name="Organizer")[0]
        org = make_org(db, owner=owner)
        event = make_event(db, org=org, title=f"Pottery course {uuid.uuid4().hex[:4]}", max_tickets_per_order=3,
                           location="Studio 4", description="Two days at the wheel.")
        d1 = make_session(db, event=event, name="Day 1", capacity=20)
        d2 = make_session(db, event=event, name="Day 2", capacity=20,
                          starts_at=d1.starts_at + timedelta(days=1))
        db.add(SessionPrerequisite(session_id=d2.id, prerequisite_session_id=d1.id))
        one = make_ticket_type(db, event=event, name="Day 1 only", sessions=[d1], price_minor=4000, max_per_order=2,
                               sort_order=1)
        two = make_ticket_type(db, event=event, name="Day 2 only", sessions=[d2], price_minor=4000, sort_order=2)
        both = make_ticket_type(db, event=event, name="Both days", sessions=[d1, d2], price_minor=7000, sort_order=3)
        return {"event": str(event.id), "one": str(one.id), "two": str(two.id), "both": str(both.id)}


def test_prerequisites_and_maximums_are_shown_and_plus_stops(page: Page, viewport: str, course: dict):
    page.goto(f"/events/{course['event']}")
    row = {k: page.locator(f"[data-ticket-type='{course[k]}']") for k in ("one", "two", "both")}
    expect(row["two"].locator(".type-rule")).to_contain_text("Day 2 requires Day 1")
    expect(row["both"].locator(".type-rule")).to_have_count(0)  # it includes Day 1 itself
    expect(row["one"].locator(".type-rule")).to_contain_text("At most 2 per order")
    # "+" buttons say which ticket type they add.
    expect(row["two"].get_by_role("button", name="One more: Day 2 only")).to_be_visible()

    plus_one = row["one"].locator(".qty-plus")
    plus_one.click()
    plus_one.click()
    expect(row["one"].locator(".qty-value")).to_have_text("2")
    expect(plus_one).to_be_disabled()  # the type's own maximum
    expect(row["two"].locator(".qty-plus")).to_be_enabled()
    row["both"].locator(".qty-plus").click()
    expect(page.locator("#order-max-note")).to_contain_text("3 tickets")
    for k in ("one", "two", "both"):
        expect(row[k].locator(".qty-plus")).to_be_disabled()  # the order's maximum
    snapshot(page, f"rules-explained-{viewport}")
    row["both"].locator(".qty-minus").click()
    expect(row["two"].locator(".qty-plus")).to_be_enabled()
    expect(page.locator("#order-max-note")).to_have_count(0)

    # Not signed in: "Reserve tickets" asks the API, which sends the visitor to sign in first.
    page.locator("#buy-button").click()
    expect(page).to_have_url(re.compile(rf"/login\?next=/events/{course['event']}$"))
