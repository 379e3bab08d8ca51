"""Accessibility: axe-core finds no violation on the pages customers, door staff and organizers
use: home, event, seat map, cart, payment, confirmation, My tickets, door and console."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.checkin_helpers import make_live_event
from tests.e2e.axe import violations
from tests.e2e.buying import VISA, customer_with_shop, fill_card, reserve
from tests.e2e.conftest import VIEWPORTS, sign_in_as
from tests.factories import make_org
from tests.e2e.seat_page import wait_seat_page
from ticketing.db import session_scope
from ticketing.demo_seating import seated_event
from ticketing.models import User
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token

pytestmark = pytest.mark.e2e
HALL = {"name": "Axe Hall", "stage": {"x": 0, "y": 0, "label": "Stage"},
        "sections": [{"name": "Stalls", "rows": 3, "seats": 8, "y": 350}]}


def _token(user_id) -> str:
    with session_scope() as db:
        user = db.get(User, user_id)
        return issue_token(user_id=user.id, token_version=user.token_version, now=utcnow())


def _check(page: Page, name: str, found: dict[str, list]) -> None:
    page.wait_for_load_state("networkidle")
    problems = violations(page)
    if problems:
        found[name] = problems


def test_no_axe_violations_on_the_main_pages(page: Page, viewport: str, browser: Browser, app_url: str):
    found: dict[str, list] = {}
    customer = customer_with_shop(page)
    page.goto("/")
    expect(page.locator("#events-list")).to_contain_text(customer.title)
    _check(page, "home", found)
    page.goto(f"/events/{customer.shop.event_id}")
    expect(page.locator("#event-title")).to_have_text(customer.title)
    _check(page, "event", found)
    reserve(page, customer, 1)
    _check(page, "cart", found)
    page.locator("#checkout-button").click()
    expect(page.locator("#card-element input[data-field='number']")).to_be_visible()
    _check(page, "payment", found)
    fill_card(page, VISA)
    page.locator("#pay-button").click()
    expect(page.locator("#order-confirmed")).to_be_visible(timeout=30_000)
    _check(page, "confirmation", found)
    page.goto("/tickets")
    expect(page.locator(".ticket-card")).to_have_count(1)
    _check(page, "my tickets", found)

    with session_scope() as db:
        owner = db.get(User, customer.shop.buyer_id)
        org = make_org(db, owner=owner)
        event, session = seated_event(db, owner=owner, org=org, title=f"Axe night {uuid.uuid4().hex[:4]}", layout=HALL,
                                      starts_at=datetime.now(timezone.utc) + timedelta(days=9),
                                      bands=[("Stalls", "30.00", "#2563eb", None)])
        event_id, session_id = event.id, session.id
    page.goto(f"/events/{event_id}/seats/{session_id}")
    wait_seat_page(page)
    _check(page, "seat map", found)
    page.goto(f"/manage/events/{event_id}/setup")
    expect(page.locator("#f-attendee_names")).to_be_visible()
    _check(page, "console setup", found)
    page.goto(f"/manage/events/{event_id}")
    page.wait_for_timeout(500)
    _check(page, "console dashboard", found)

    live = make_live_event()
    door = browser.new_context(viewport=VIEWPORTS[viewport], base_url=app_url, is_mobile=viewport == "phone",
                               has_touch=viewport == "phone")
    try:
        gate = door.new_page()
        sign_in_as(gate, _token(live.steward))
        gate.goto(f"/door/{live.event_id}")
        expect(gate.locator("#door-scanner")).to_have_attribute("data-ready", "true", timeout=30_000)
        gate.locator("#door-tab-code").click()
        _check(gate, "door", found)
    finally:
        door.close()
    assert not found, "axe-core violations:\n" + "\n".join(
        f"{name}: {v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for name, vs in found.items() for v in vs)
