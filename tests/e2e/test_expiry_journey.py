"""Journey: a hold expiring mid-checkout (countdown from the server's clock, a clear message, a
way back, the places taken again), and the time to pay running out on the payment page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from tests.e2e.buying import customer_with_shop, events_sent, orders_of, reserve
from tests.e2e.conftest import snapshot
from ticketing.db import session_scope
from ticketing.models import Hold, Order, PlaceClaim
from ticketing.models.base import utcnow

pytestmark = pytest.mark.e2e


def _expire_soon(model, owner_column, owner_id, column, seconds: int = 3) -> None:
    """Bring a deadline to a few seconds from now (the page counts down on the server's clock)."""
    soon = utcnow() + timedelta(seconds=seconds)
    with session_scope() as db:
        db.exec(update(model).where(model.id == owner_id).values({column: soon}))
        db.exec(update(PlaceClaim).where(owner_column == owner_id).values(expires_at=soon))


def test_hold_expires_mid_checkout_and_can_be_taken_again(page: Page, viewport: str):
    customer = customer_with_shop(page)
    reserve(page, customer, 1)
    hold_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    _expire_soon(Hold, PlaceClaim.hold_id, hold_id, "expires_at")
    page.reload()
    expect(page.locator("#countdown")).to_contain_text(re.compile(r"00:0[0-3]"))
    expect(page.locator("#hold-expired")).to_be_visible(timeout=10_000)
    expect(page.locator("#checkout-button")).to_have_count(0)
    snapshot(page, f"expiry-hold-{viewport}")

    page.locator("#retake-button").click()  # the place is still free: re-taken, on to payment
    expect(page).to_have_url(re.compile(r"/pay/"))
    expect(page.locator("#pay-button")).to_be_visible()


def test_the_cart_counts_down_in_the_browser_without_asking_the_server(page: Page, viewport: str):
    """The countdown runs in the page from the seconds the server gave at the load: nothing goes
    to the server while it counts (a Reflex event a second per cart cost the app at an on-sale)."""
    customer = customer_with_shop(page)
    reserve(page, customer, 1)
    sent = events_sent(page)
    page.reload()
    countdown = page.locator("#countdown")
    expect(countdown).to_contain_text(re.compile(r"1[45]:\d\d left"))
    expect(page.locator("#checkout-button")).to_be_visible()
    page.wait_for_timeout(500)  # the load's own events are out
    before, first = len(sent), countdown.inner_text()
    page.wait_for_timeout(2500)
    assert countdown.inner_text() != first  # it counted
    assert len(sent) == before, sent[before:]


def test_time_to_pay_runs_out(page: Page, viewport: str):
    customer = customer_with_shop(page)
    reserve(page, customer, 1)
    page.locator("#checkout-button").click()
    expect(page.locator("#pay-button")).to_be_visible()
    (order,) = orders_of(customer)
    _expire_soon(Order, PlaceClaim.order_id, order.id, "payment_due_at")
    page.reload()
    expect(page.locator("#payment-expired")).to_be_visible(timeout=10_000)
    expect(page.locator("#pay-button")).to_have_count(0)
    snapshot(page, f"expiry-payment-{viewport}")
    page.get_by_role("link", name="Back to the event").click()
    expect(page.locator("#event-title")).to_have_text(customer.title)
