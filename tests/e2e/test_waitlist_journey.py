"""Journey: tickets are sold out; a customer joins the waiting list from the event page and sees
their place in line (the organizer sees them in the console's Waiting lists tab); another
customer cancels their order; the app's job offers the freed places to the first in line, the
offer appears live on the open page (no reload), and the customer checks it out and pays.
Real app, real job worker, real localstripe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from tests.e2e.buying import VISA, customer_with_shop, fill_card, orders_of
from tests.e2e.conftest import VIEWPORTS, sign_in_as, snapshot
from tests.payments_helpers import order_for
from ticketing.db import session_scope
from ticketing.models import Event, Membership, User, WaitlistEntry
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token
from ticketing.services.sales import cancellation, orders

pytestmark = pytest.mark.e2e


def organizer_page(browser: Browser, app_url: str, viewport: str, event_id) -> Page:
    with session_scope() as db:
        org_id = db.get(Event, event_id).organization_id
        owner = db.get(User, db.exec(select(Membership.user_id).where(Membership.organization_id == org_id)).first())
        token = issue_token(user_id=owner.id, token_version=owner.token_version, now=utcnow())
    context = browser.new_context(viewport=VIEWPORTS[viewport], base_url=app_url)
    page = context.new_page()
    sign_in_as(page, token)
    page.goto(f"/manage/events/{event_id}/waitlist")
    return page


def test_join_the_waiting_list_get_the_offer_live_and_buy(page: Page, browser: Browser, app_url: str, viewport: str):
    customer = customer_with_shop(page, capacity=2)
    shop = customer.shop
    # Another customer bought the last two tickets.
    theirs = order_for(shop, shop.other_id, 2)
    with session_scope() as db:
        orders.confirm_order(db=db, order_id=theirs.id, now=utcnow())

    page.goto(f"/events/{shop.event_id}")
    row = page.locator(f"[data-ticket-type='{shop.type_id}']")
    expect(row.locator(".reason")).to_be_visible()
    row.locator(".waitlist-join").click()
    expect(row.locator(".waitlist-waiting")).to_contain_text("#1")
    snapshot(page, f"waitlist-joined-{viewport}")

    console = organizer_page(browser, app_url, viewport, shop.event_id)
    expect(console.locator(".wl-entry")).to_contain_text("Casey Customer")
    expect(console.locator(".wl-status")).to_contain_text("Waiting")

    # The other customer cancels: within a sweep (5 s) the places are offered to the first in line.
    with session_scope() as db:
        cancellation.cancel_order(db=db, order_id=theirs.id, user_id=shop.other_id, now=utcnow())
    offer = row.locator(".waitlist-offer")
    expect(offer).to_be_visible(timeout=30_000)  # pushed: the page was not reloaded
    expect(offer).to_contain_text("1 ticket held for you")
    snapshot(page, f"waitlist-offer-{viewport}")
    expect(console.locator(".wl-status")).to_contain_text("Offered", timeout=15_000)
    snapshot(console, f"waitlist-console-{viewport}")
    console.context.close()

    offer.locator(".waitlist-checkout").click()
    expect(page.locator("#cart-title")).to_have_text(customer.title)
    expect(page.locator("#order-total")).to_have_text("€25.00")
    page.locator("#checkout-button").click()
    expect(page).to_have_url(re.compile(r"/pay/"))
    expect(page.locator("#card-element input[data-field='number']")).to_be_visible()
    fill_card(page, VISA)
    page.locator("#pay-button").click()
    expect(page.locator("#order-confirmed")).to_be_visible(timeout=30_000)

    (order,) = orders_of(customer)
    assert (order.status, order.total_minor) == ("confirmed", 2500)
    with session_scope(readonly=True) as db:
        (entry,) = db.exec(select(WaitlistEntry).where(WaitlistEntry.user_id == shop.buyer_id)).all()
        assert entry.hold_id == order.hold_id
