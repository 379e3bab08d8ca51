"""Journey: a presale reserves the event's tickets to holders of its access codes. Without a
code the customer sees them locked; a wrong code is refused in words; a link with
?access_code= opens them, and the customer buys and pays. Real app, real localstripe."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.e2e.buying import VISA, customer_with_shop, fill_card, orders_of
from tests.e2e.conftest import snapshot
from ticketing.db import session_scope
from ticketing.models import Event, Membership, PresaleUse
from ticketing.models.base import utcnow
from ticketing.services.presales import setup
from ticketing.services.presales.access import FOREVER

pytestmark = pytest.mark.e2e


def fan_presale(event_id, type_id, code: str) -> None:
    now = utcnow()
    with session_scope() as db:
        org_id = db.get(Event, event_id).organization_id
        owner = db.exec(select(Membership.user_id).where(Membership.organization_id == org_id)).first()
        presale = setup.create_presale(db=db, user_id=owner, event_id=event_id, now=now, fields={
            "name": "Fan club", "starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=1),
            "ticket_type_ids": [type_id], "quota": 4, "release_at_end": True})
        setup.add_codes(db=db, user_id=owner, event_id=event_id, presale_id=presale.id, codes=[code], max_uses=1,
                        now=now)


def test_a_presale_bought_with_an_access_code_while_it_is_locked_without(page: Page, viewport: str):
    customer = customer_with_shop(page)
    shop = customer.shop
    row = page.locator(f"[data-ticket-type='{shop.type_id}']")
    page.goto(f"/events/{shop.event_id}")
    expect(row.locator(".qty-plus")).to_be_visible()
    expect(page.locator("#access-toggle")).to_have_count(0)  # no presale: nothing to unlock
    linked = page.context.new_page()  # another tab (its own page state): a code from a link is answered
    linked.goto(f"/events/{shop.event_id}?access_code=nope")
    expect(linked.locator("#access-error")).to_contain_text("isn't valid for this event")
    linked.close()

    fan_presale(shop.event_id, shop.type_id, "FANS-2030")
    page.goto(f"/events/{shop.event_id}")
    expect(row.locator(".reason")).to_have_text("Presale: access code needed")
    expect(row.locator(".qty-plus")).to_have_count(0)
    expect(page.locator("#access-toggle")).to_be_visible()
    snapshot(page, f"presale-locked-{viewport}")

    page.locator("#access-toggle").click()
    page.locator("#access-input").fill("FANS-2O30")  # the letter O for a zero
    page.locator("#access-apply").click()
    expect(page.locator("#access-error")).to_contain_text("isn't valid for this event")
    expect(row.locator(".qty-plus")).to_have_count(0)

    page.goto(f"/events/{shop.event_id}?access_code=fans-2030")
    expect(page.locator("#access-note")).to_contain_text("FANS-2030: opens")
    expect(row.locator(".units-left")).to_have_text("4")  # the presale's quota
    row.locator(".qty-plus").click()
    row.locator(".qty-plus").click()
    expect(page.locator("#basket-total")).to_have_text("€50.00")
    snapshot(page, f"presale-unlocked-{viewport}")
    page.locator("#buy-button").click()

    expect(page.locator("#cart-title")).to_have_text(customer.title)
    page.locator("#checkout-button").click()
    expect(page).to_have_url(re.compile(r"/pay/"))
    fill_card(page, VISA)
    page.locator("#pay-button").click()
    expect(page.locator("#order-confirmed")).to_be_visible(timeout=30_000)
    snapshot(page, f"presale-confirmation-{viewport}")

    (order,) = orders_of(customer)
    assert (order.status, order.total_minor) == ("confirmed", 5000)
    with session_scope(readonly=True) as db:
        (use,) = db.exec(select(PresaleUse).where(PresaleUse.order_id == order.id)).all()
    assert (use.quantity, use.expires_at) == (2, FOREVER)  # the code's one use, kept for good
