"""Journey: the event page's basket lives in the browser. "+" and "−" send nothing to the server
(the page's websocket stays silent) while the count, the total and the limits (the order's
maximum, what is left, pushed live) follow in the browser; "Reserve tickets" holds the basket as
shown through the JSON API. A script posing as the page that sends forged baskets and refusals
to its handlers is told why and holds nothing."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.app_api import AppApi
from tests.e2e.buying import customer_with_shop, events_sent, holds_of, token_for
from tests.e2e.conftest import snapshot
from tests.e2e.ws_tab import Tab
from tests.payments_helpers import make_shop
from ticketing.state.event_page import EventPageState

pytestmark = pytest.mark.e2e





def test_plus_and_minus_stay_in_the_browser_within_the_order_maximum(page: Page, viewport: str):
    customer = customer_with_shop(page, capacity=10)  # 25.00 each, at most 5 per order
    sent = events_sent(page)
    page.goto(f"/events/{customer.shop.event_id}")
    row = page.locator(f"[data-ticket-type='{customer.shop.type_id}']")
    expect(row.locator(".units-left")).to_have_text("10")
    expect(row.locator(".qty-minus")).to_be_disabled()
    expect(page.locator("#buy-button")).to_be_disabled()
    page.wait_for_timeout(1000)  # the page's own load events are sent
    before = len(sent)

    for n in range(1, 6):
        row.locator(".qty-plus").click()
        expect(row.locator(".qty-value")).to_have_text(str(n))
    expect(page.locator("#basket-count")).to_have_text("5 tickets")
    expect(page.locator("#basket-total")).to_have_text("€125.00")
    expect(page.locator("#order-max-note")).to_contain_text("5 tickets")
    expect(row.locator(".qty-plus")).to_be_disabled()  # the order's maximum, 5 of the 10 left
    row.locator(".qty-minus").click()
    expect(page.locator("#basket-count")).to_have_text("4 tickets")
    expect(page.locator("#basket-total")).to_have_text("€100.00")
    expect(page.locator("#order-max-note")).to_have_count(0)
    snapshot(page, f"basket-in-browser-{viewport}")
    page.wait_for_timeout(500)
    assert sent[before:] == []  # six clicks, not one event to the server

    holds_posted = []
    page.on("request", lambda r: holds_posted.append(r.post_data_json) if r.url.endswith("/holds") else None)
    page.locator("#buy-button").click()
    expect(page.locator("#cart-title")).to_have_text(customer.title)
    expect(page.locator("#order-total")).to_have_text("€100.00")
    (hold,) = holds_of(customer.shop.buyer_id)
    assert hold.total_minor == 10_000
    # The basket went to the API; the page's events were only leaving it and opening the cart.
    assert holds_posted == [{"items": [{"ticket_type_id": str(customer.shop.type_id), "quantity": 4}],
                             "promo_code": None, "access_code": None}]
    assert not any("event_page_state" in frame and "event_page_state.leave" not in frame for frame in sent[before:])
    page.go_back()  # the held basket is emptied in the browser
    expect(row.locator(".qty-value")).to_have_text("0")


def test_the_basket_shows_and_sends_at_most_what_is_left_after_a_live_push(page: Page, viewport: str, app_url: str):
    customer = customer_with_shop(page, capacity=3)
    page.goto(f"/events/{customer.shop.event_id}")
    row = page.locator(f"[data-ticket-type='{customer.shop.type_id}']")
    for _ in range(3):
        row.locator(".qty-plus").click()
    expect(row.locator(".qty-value")).to_have_text("3")
    expect(row.locator(".qty-plus")).to_be_disabled()  # all that is left
    expect(page.locator("#order-max-note")).to_have_count(0)  # not the order's maximum (5)

    # Someone else holds two through the API: the live push leaves one, and the basket with it.
    other = {"Authorization": f"Bearer {token_for(customer.shop.other_id)}"}
    AppApi(app_url).call("POST", f"/events/{customer.shop.event_id}/holds", other,
                         json={"items": [{"ticket_type_id": str(customer.shop.type_id), "quantity": 2}]})
    expect(row.locator(".units-left")).to_have_text("1", timeout=5000)
    expect(row.locator(".qty-value")).to_have_text("1")
    expect(page.locator("#basket-count")).to_have_text("1 ticket")
    expect(page.locator("#basket-total")).to_have_text("€25.00")
    snapshot(page, f"basket-clamped-{viewport}")

    # A refused hold (here a code that does not exist) leaves the basket as it was.
    page.locator("#promo-toggle").click()
    page.locator("#promo-input").fill("NO-SUCH-CODE")
    page.locator("#buy-button").click()
    expect(page.locator("#buy-error")).to_contain_text("Your code could not be used")
    expect(page.locator("#promo-error")).to_contain_text("isn't valid for this event")  # the box says why
    expect(row.locator(".qty-value")).to_have_text("1")
    assert holds_of(customer.shop.buyer_id) == []
    page.locator("#promo-input").fill("")

    page.locator("#buy-button").click()
    expect(page.locator("#order-total")).to_have_text("€25.00")
    (hold,) = holds_of(customer.shop.buyer_id)
    assert hold.total_minor == 2500


def run(coro) -> object:
    """Run a coroutine in a thread of its own: Playwright may hold this thread's event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_forged_baskets_and_refusals_sent_to_the_page_change_only_its_messages(app_url: str):
    """The page's handlers that read a basket (a promo code's quote) or a refusal (the hold's,
    from the browser) are callable by any script: they answer with words and hold nothing."""
    shop, elsewhere = make_shop(capacity=20, max_tickets_per_order=5), make_shop(capacity=20)
    ours, theirs = str(shop.type_id), str(elsewhere.type_id)
    forged = [
        # (No two in a row with the same answer: each one is a change the page is sent.)
        ({str(uuid.uuid4()): 1}, "not sold on this page"),  # no such ticket type
        ({ours: -2}, "cannot be negative"),
        ({ours: 1.5}, "whole number"),
        ({theirs: 1}, "not sold on this page"),  # another event's
        ({ours: 10**12}, "At most 5 tickets per order"),
        ({ours: "2"}, "whole number"),
        ([ours, 1], "could not be read"),
    ]

    async def journey() -> list[str]:
        tab = Tab(app_url)
        await tab.open(f"/events/{shop.event_id}", {"event_id": str(shop.event_id)},
                       auth_token=token_for(shop.buyer_id))
        await tab.wait_for("Quartet")
        await tab.quiet()
        await tab.send(EventPageState, "set_promo_code", value="SOME-CODE")
        answers = []
        for basket, words in forged:
            before = len(tab.frames)
            await tab.send(EventPageState, "apply_code", basket=basket)
            answers.append(await tab.wait_for(words, since=before, timeout=20))
        for code, basket in [("code_used_up", {ours: 1}), ("access_code_required", {ours: 3}),
                             ("insufficient_capacity", {ours: 2}), (["not", "a", "code"], "nor a basket")]:
            await tab.send(EventPageState, "hold_refused", code=code, basket=basket)
        await tab.send(EventPageState, "held")
        await tab.quiet()
        await tab.close()
        return answers

    answers = run(journey())
    assert len(answers) == len(forged)
    assert holds_of(shop.buyer_id) == []  # nothing held, whatever was sent
