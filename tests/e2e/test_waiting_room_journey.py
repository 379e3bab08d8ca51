"""Journey: a big on-sale with the waiting room on. The customer opening the event page is
sent to the queue, sees their place and the estimated wait move (asked of the JSON API by the
page itself: no Reflex event while in line), is let in by the pacer (the app's own ticker),
reserves, pays and gets tickets; the organizer watches the queue in the console. Before the
sale opens the page says when it does. The app keeps the queue in Redis (several workers): the
places taken here go there."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import redis
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


def watch_traffic(page: Page) -> tuple[list[str], list[str]]:
    """The Reflex events the page sends over its websocket (socket.io "42" frames; pings are not
    events), and the Authorization header of each GET .../waiting-room/me it sends."""
    events_sent: list[str] = []
    asked: list[str] = []
    page.on("websocket", lambda ws: ws.on(
        "framesent", lambda payload: events_sent.append(payload) if str(payload).startswith("42") else None))
    page.on("request", lambda req: asked.append(req.headers.get("authorization", ""))
            if req.method == "GET" and req.url.endswith("/waiting-room/me") else None)
    return events_sent, asked


def customer_token(page: Page) -> str:
    return page.evaluate("() => localStorage.getItem('tk_token')")


def test_queue_let_in_and_buy(page: Page, viewport: str, browser: Browser, app_url: str):
    customer = customer_with_shop(page, capacity=10)
    event_id, queue = customer.shop.event_id, RedisQueue(E2E_REDIS_URL)
    with session_scope() as db:
        org_id = db.get(Event, event_id).organization_id
        owner = db.get(User, db.exec(select(Membership.user_id).where(Membership.organization_id == org_id)).first())
        owner_token = issue_token(user_id=owner.id, token_version=owner.token_version, now=utcnow())
        # 20 a minute (one every 3 s); eight customers already in line ahead of ours, more behind.
        rooms.configure_room(db=db, user_id=owner.id, event_id=event_id, now=utcnow(), enabled=True,
                             rate_per_minute=20, queue=queue)
        ahead, behind = make_buyers(db, 8), make_buyers(db, 30)
    join(event_id, ahead, queue)
    events_sent, asked = watch_traffic(page)

    page.goto(f"/events/{event_id}")  # the room is on: to the queue first
    expect(page).to_have_url(re.compile(rf"/events/{event_id}/queue"))
    expect(page.locator("#queue-event")).to_have_text(customer.title)
    position = page.locator("#queue-position")
    expect(position).to_have_text(re.compile(r"^[1-9]$"))
    expect(page.locator("#queue-wait")).to_contain_text(re.compile(r"less than a minute|minute"))
    expect(page.locator("#queue-waiting")).to_have_text(re.compile(r"^of [1-9] waiting$"))
    snapshot(page, f"waiting-room-{viewport}")

    # In line, the page asks the API (with the customer's token) and moves the figures itself:
    # the position goes down as the pacer lets the people ahead in, without any Reflex event.
    first, sent_before, asked_before = int(position.inner_text()), len(events_sent), len(asked)
    assert first > 1  # the page opened within the 24 s the eight ahead of us take
    expect(position).not_to_have_text(str(first), timeout=20_000)
    assert 1 <= int(position.inner_text()) < first
    assert events_sent[sent_before:] == []
    assert len(asked) > asked_before
    assert all(auth == f"Bearer {customer_token(page)}" for auth in asked)

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


def room_opening_in_ten_minutes(event_id, queue) -> None:
    """The event's room on, 20 a minute, the sale opening in 10 minutes (nobody is let in yet)."""
    with session_scope() as db:
        org_id = db.get(Event, event_id).organization_id
        owner_id = db.exec(select(Membership.user_id).where(Membership.organization_id == org_id)).first()
        rooms.configure_room(db=db, user_id=owner_id, event_id=event_id, now=utcnow(), enabled=True,
                             rate_per_minute=20, opens_at=utcnow() + timedelta(minutes=10), queue=queue)


def test_before_the_sale_the_queue_page_says_when_it_opens(page: Page, viewport: str):
    customer = customer_with_shop(page, capacity=10)
    event_id, queue = customer.shop.event_id, RedisQueue(E2E_REDIS_URL)
    room_opening_in_ten_minutes(event_id, queue)
    with session_scope() as db:
        early = make_buyers(db, 3)
    join(event_id, early, queue)

    page.goto(f"/events/{event_id}/queue")
    expect(page.locator("#queue-opens")).to_contain_text(re.compile(r"The sale opens in (9|10) minutes\."))
    expect(page.locator("#queue-position")).to_have_text(re.compile(r"^[1-4]$"))
    expect(page.locator("#queue-waiting")).to_have_text("of 4 waiting")
    expect(page.locator("#queue-wait")).to_contain_text(re.compile(r"about 1[01] minutes"))
    snapshot(page, f"waiting-room-before-sale-{viewport}")

    # Asking keeps the place and brings the news: someone else joins, the page counts them.
    with session_scope() as db:
        later = make_buyers(db, 2)
    join(event_id, later, queue)
    expect(page.locator("#queue-waiting")).to_have_text("of 6 waiting", timeout=15_000)

    # Signed out everywhere meanwhile: the API refuses the token (401), the page hands over to
    # the server's page, which sends the customer to sign in (the place is kept meanwhile).
    with session_scope() as db:
        buyer = db.get(User, customer.shop.buyer_id)
        buyer.token_version += 1
        db.add(buyer)
    expect(page).to_have_url(re.compile(r"/login\?next=.*queue"), timeout=40_000)


def test_a_queue_page_that_cannot_take_a_place_says_so_and_takes_it_on_try_again(page: Page, viewport: str):
    customer = customer_with_shop(page, capacity=10)
    event_id = customer.shop.event_id
    room_opening_in_ten_minutes(event_id, RedisQueue(E2E_REDIS_URL))
    # A fault in the queue's store for this event alone: its line is not a sorted set any more.
    store = redis.Redis.from_url(E2E_REDIS_URL)
    line = f"tk:wr:{event_id}:q"
    store.set(line, "broken")
    try:
        page.goto(f"/events/{event_id}/queue")
        expect(page.locator("#queue-error")).to_contain_text("Nothing was changed: please try once more")
        expect(page.get_by_text("Finding your place")).to_have_count(0)
        snapshot(page, f"waiting-room-failed-{viewport}")

        store.delete(line)
        page.locator("#queue-retry").click()
        expect(page.locator("#queue-position")).to_have_text("1")
        expect(page.locator("#queue-error")).to_have_count(0)
        assert store.zcard(line) == 1
    finally:
        store.delete(line)
