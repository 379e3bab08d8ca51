"""Journey: a big on-sale with the waiting room on. The customer opening the event page is
sent to the queue, sees their place and the estimated wait move, is let in by the pacer (the
app's own ticker), reserves, pays and gets tickets; the organizer watches the queue in the
console. The app keeps the queue in Redis (several workers): the places taken here go there."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from tests.builders import make_buyers
from tests.e2e.buying import VISA, customer_with_shop, fill_card, orders_of
from tests.e2e.conftest import E2E_REDIS_URL, VIEWPORTS, sign_in_as, snapshot
from ticketing.db import session_scope
from ticketing.models import Event, Membership, User
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token
from ticketing.services.waiting_room import rooms
from ticketing.services.waiting_room.queue_store import RedisQueue

pytestmark = pytest.mark.e2e


def join(event_id, people, queue) -> None:
    for person in people:
        with session_scope() as db:
            rooms.join_queue(db=db, event_id=event_id, user_id=person.id, now=utcnow(), queue=queue)


def test_queue_let_in_and_buy(page: Page, viewport: str, browser: Browser, app_url: str):
    customer = customer_with_shop(page, capacity=10)
    event_id, queue = customer.shop.event_id, RedisQueue(E2E_REDIS_URL)
    with session_scope() as db:
        org_id = db.get(Event, event_id).organization_id
        owner = db.get(User, db.exec(select(Membership.user_id).where(Membership.organization_id == org_id)).first())
        owner_token = issue_token(user_id=owner.id, token_version=owner.token_version, now=utcnow())
        # 20 a minute (one every 3 s); four customers already in line ahead of ours, more behind.
        rooms.configure_room(db=db, user_id=owner.id, event_id=event_id, now=utcnow(), enabled=True,
                             rate_per_minute=20, queue=queue)
        ahead, behind = make_buyers(db, 4), make_buyers(db, 30)
    join(event_id, ahead, queue)

    page.goto(f"/events/{event_id}")  # the room is on: to the queue first
    expect(page).to_have_url(re.compile(rf"/events/{event_id}/queue"))
    expect(page.locator("#queue-event")).to_have_text(customer.title)
    expect(page.locator("#queue-position")).to_have_text(re.compile(r"^[1-5]$"))
    expect(page.locator("#queue-wait")).to_contain_text(re.compile(r"less than a minute|minute"))
    snapshot(page, f"waiting-room-{viewport}")

    # Let in by the pacer, the page goes on to the tickets by itself.
    expect(page.locator("#event-title")).to_have_text(customer.title, timeout=45_000)
    join(event_id, behind, queue)
    page.locator(f"[data-ticket-type='{customer.shop.type_id}'] .qty-plus").click()
    page.locator("#buy-button").click()
    expect(page.locator("#cart-title")).to_have_text(customer.title)
    page.locator("#checkout-button").click()
    expect(page.locator("#card-element input[data-field='number']")).to_be_visible(timeout=15_000)
    fill_card(page, VISA)
    page.locator("#pay-button").click()
    expect(page.locator("#order-confirmed")).to_be_visible(timeout=30_000)
    (order,) = orders_of(customer)
    assert order.status == "confirmed"

    # The organizer's view of the room: on, the rate, who was let in.
    context = browser.new_context(viewport=VIEWPORTS[viewport], base_url=app_url,
                                  is_mobile=viewport == "phone", has_touch=viewport == "phone")
    try:
        console = context.new_page()
        sign_in_as(console, owner_token)
        console.goto(f"/manage/events/{event_id}/waiting-room")
        expect(console.locator("#room-state")).to_contain_text("On", timeout=30_000)
        expect(console.locator("#room-rate")).to_have_text("20")
        expect(console.locator("#room-admitted")).to_have_text(re.compile(r"^([5-9]|\d\d)$"))
        expect(console.locator("#room-waiting")).to_have_text(re.compile(r"^[1-3]\d$"))
        snapshot(console, f"waiting-room-console-{viewport}")
        console.locator("#room-rate-input").fill("120")
        console.locator("#room-rate-save").click()
        expect(console.locator("#room-rate")).to_have_text("120")
        console.locator("#room-switch").click()
        expect(console.locator("#room-state")).to_contain_text("Off")
    finally:
        context.close()
    assert not rooms.room_is_on(event_id)
