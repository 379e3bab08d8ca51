"""Journey: "Reserve tickets" holds through the JSON API from the browser (POST
/api/v1/events/{id}/holds with the customer's bearer token), sending no Reflex event: a refusal
for lack of places is said under the button and keeps the basket; a hold the customer already
has opens its cart; an admission that does not hold (the room switched on meanwhile) leads to
the queue page."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.builders import make_buyers, make_ticket_type
from tests.e2e.app_api import AppApi
from tests.e2e.buying import customer_with_shop, events_sent, holds_of, token_for
from tests.e2e.conftest import E2E_REDIS_URL, snapshot
from ticketing.db import session_scope
from ticketing.models import Event, EventSession, Membership
from ticketing.models.base import utcnow
from ticketing.services.sales import holds
from ticketing.services.waiting_room import rooms
from ticketing.services.waiting_room.queue_store import RedisQueue

pytestmark = pytest.mark.e2e





def hold_requests(page: Page) -> list[dict]:
    """The hold requests the page makes from now on: headers and body."""
    made: list[dict] = []
    page.on("request", lambda r: made.append({"headers": r.headers, "body": json.loads(r.post_data or "{}")})
            if r.method == "POST" and re.search(r"/api/v1/events/[^/]+/holds$", r.url) else None)
    return made


def test_refused_for_lack_of_places_then_an_active_hold_opens_its_cart(page: Page, viewport: str, app_url: str):
    customer = customer_with_shop(page, capacity=2)
    shop = customer.shop
    with session_scope() as db:  # a second type sharing the session's two places
        session = db.get(EventSession, shop.session_id)
        event = db.get(Event, shop.event_id)
        late = make_ticket_type(db, event=event, name="Late entry", sessions=[session], price_minor=1500)
        late_id = str(late.id)
    sent, requests = events_sent(page), hold_requests(page)
    page.goto(f"/events/{shop.event_id}")
    first = page.locator(f"[data-ticket-type='{shop.type_id}']")
    second = page.locator(f"[data-ticket-type='{late_id}']")
    first.locator(".qty-plus").click()
    first.locator(".qty-plus").click()
    expect(page.locator("#basket-count")).to_have_text("2 tickets")
    # Each type shows two left, but they share the session: the basket has its two places already.
    expect(second.locator(".units-left")).to_have_text("2")
    expect(second.locator(".qty-plus")).to_be_disabled()
    page.wait_for_timeout(1000)  # the page's own load events are sent
    before = len(sent)

    # Someone else holds a place meanwhile, unseen by this page (this process's bus is its own).
    with session_scope() as db:
        (other,) = make_buyers(db, 1)
        other_hold = holds.hold_tickets(db=db, event_id=shop.event_id, user_id=other.id,
                                        items=[(uuid.UUID(late_id), 1)], now=utcnow())
        other_id, other_hold_id = other.id, other_hold.id
    page.locator("#buy-button").click()
    expect(page.locator("#buy-error")).to_contain_text("Someone was quicker: choose fewer tickets or another option.")
    expect(page.locator("#buy-error")).to_have_attribute("role", "alert")
    expect(page.locator("#buy-button")).to_be_enabled()
    expect(first.locator(".qty-value")).to_have_text("2")  # the basket stays as it was
    snapshot(page, f"reserve-refused-{viewport}")
    page.wait_for_timeout(500)
    assert sent[before:] == []  # the hold and its refusal: not one Reflex event
    (request,) = requests
    assert request["headers"]["authorization"] == "Bearer " + page.evaluate("localStorage.getItem('tk_token')")
    assert "admission-token" not in request["headers"]  # no room, no admission kept
    assert [(i["ticket_type_id"], i["quantity"]) for i in request["body"]["items"]] == [(str(shop.type_id), 2)]
    assert holds_of(shop.buyer_id) == []
    with session_scope() as db:  # that other hold goes again, as unseen
        holds.release_hold(db=db, hold_id=other_hold_id, user_id=other_id, now=utcnow())

    # Meanwhile the customer held one elsewhere (another tab, the API): Reserve opens that cart.
    held = AppApi(app_url).call("POST", f"/events/{shop.event_id}/holds",
                                {"Authorization": f"Bearer {token_for(shop.buyer_id)}"},
                                json={"items": [{"ticket_type_id": late_id, "quantity": 1}]}).json()
    expect(second.locator(".units-left")).to_have_text("1", timeout=5000)  # the live push clamps the basket
    expect(first.locator(".qty-value")).to_have_text("1")  # one place left for either type
    expect(page.locator("#basket-count")).to_have_text("1 ticket")
    page.locator("#buy-button").click()
    expect(page).to_have_url(re.compile(rf"/cart/{held['id']}$"))
    expect(page.locator("#cart-title")).to_have_text(customer.title)
    assert [h.id for h in holds_of(shop.buyer_id)] == [uuid.UUID(held["id"])]


def test_an_admission_that_does_not_hold_leads_to_the_queue(page: Page, viewport: str):
    customer = customer_with_shop(page, capacity=10)
    event_id = customer.shop.event_id
    # This browser keeps a forged admission for the event (the tk_admission map).
    forged = {str(event_id): "eyJhbGciOiJFZERTQSJ9.e30.Zm9yZ2Vk"}
    page.add_init_script(f"window.localStorage.setItem('tk_admission', {json.dumps(json.dumps(forged))});")
    requests = hold_requests(page)
    page.goto(f"/events/{event_id}")  # the room is off: the page opens
    expect(page.locator("#event-title")).to_have_text(customer.title)
    page.locator(f"[data-ticket-type='{customer.shop.type_id}'] .qty-plus").click()

    # The organizer switches the room on while the customer chooses (every process reads the
    # switch again within a second).
    with session_scope() as db:
        org_id = db.get(Event, event_id).organization_id
        owner_id = db.exec(select(Membership.user_id).where(Membership.organization_id == org_id)).first()
        rooms.configure_room(db=db, user_id=owner_id, event_id=event_id, now=utcnow(), enabled=True,
                             rate_per_minute=1, queue=RedisQueue(E2E_REDIS_URL))
    page.wait_for_timeout(1500)
    page.locator("#buy-button").click()
    expect(page).to_have_url(re.compile(rf"/events/{event_id}/queue"))
    expect(page.locator("#queue-position")).to_be_visible()
    (request,) = requests
    assert request["headers"]["admission-token"] == forged[str(event_id)]
    assert holds_of(customer.shop.buyer_id) == []


def test_unreachable_says_busy_once_and_a_double_click_holds_once(page: Page, viewport: str):
    customer = customer_with_shop(page, capacity=10)
    requests = hold_requests(page)
    page.goto(f"/events/{customer.shop.event_id}")
    page.locator(f"[data-ticket-type='{customer.shop.type_id}'] .qty-plus").click()
    # The network drops the request (the balancer unreachable): said once, never retried by itself.
    page.route("**/api/v1/events/*/holds", lambda route: route.abort())
    page.locator("#buy-button").click()
    expect(page.locator("#buy-error")).to_have_text("The sale is very busy: nothing was held. Try again in a moment.")
    expect(page.locator("#buy-button")).to_be_enabled()
    page.wait_for_timeout(1000)
    assert len(requests) == 1
    snapshot(page, f"reserve-busy-{viewport}")

    page.unroute("**/api/v1/events/*/holds")
    page.locator("#buy-button").dblclick()  # one request at a time
    expect(page.locator("#cart-title")).to_have_text(customer.title)
    assert len(requests) == 2
    assert len(holds_of(customer.shop.buyer_id)) == 1
