"""Journey: a link with ?code= opens the event page with the code filled in; a wrong code is
refused in words; the right one takes 20 % off the basket, the cart, the Stripe payment, the
order and the confirmation mail. Real app, real localstripe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.e2e.buying import VISA, customer_with_shop, fill_card, orders_of
from tests.e2e.conftest import snapshot
from tests.payments_helpers import outbox
from ticketing.db import session_scope
from ticketing.models import Event, Membership, Payment
from ticketing.models.base import utcnow
from ticketing.services.promotions import codes
from ticketing.services.promotions.codes import CodeTerms

pytestmark = pytest.mark.e2e


def percent_code(event_id, text: str, percent: int) -> None:
    with session_scope() as db:
        org_id = db.get(Event, event_id).organization_id
        owner = db.exec(select(Membership.user_id).where(Membership.organization_id == org_id)).first()
        codes.create_code(db=db, user_id=owner, event_id=event_id, now=utcnow(),
                          terms=CodeTerms(code=text, kind="percent", value=percent, max_uses=50))


def test_buy_with_a_percentage_code(page: Page, viewport: str):
    customer = customer_with_shop(page)
    percent_code(customer.shop.event_id, "SPRING20", 20)

    page.goto(f"/events/{customer.shop.event_id}?code=spring20")
    expect(page.locator("#promo-input")).to_have_value("spring20")
    expect(page.locator("#promo-note")).to_contain_text("SPRING20: 20 % off")
    plus = page.locator(f"[data-ticket-type='{customer.shop.type_id}'] .qty-plus")
    plus.click()
    plus.click()
    expect(page.locator("#basket-total")).to_have_text("€40.00")
    expect(page.locator("#basket-discount")).to_contain_text("€10.00")

    page.locator("#promo-input").fill("SPRING2O")  # a typo: the letter O for a zero
    page.locator("#promo-apply").click()
    expect(page.locator("#promo-error")).to_contain_text("isn't valid for this event")
    expect(page.locator("#basket-total")).to_have_text("€50.00")
    snapshot(page, f"promo-refused-{viewport}")
    page.locator("#promo-input").fill("spring20")
    page.locator("#promo-apply").click()
    expect(page.locator("#basket-total")).to_have_text("€40.00")
    expect(page.locator("#promo-error")).to_have_count(0)
    # The basket is the browser's; with a code applied each change asks the server for its discount.
    page.locator(f"[data-ticket-type='{customer.shop.type_id}'] .qty-minus").click()
    expect(page.locator("#basket-discount")).to_contain_text("€5.00")
    expect(page.locator("#basket-total")).to_have_text("€20.00")
    plus.click()
    expect(page.locator("#basket-discount")).to_contain_text("€10.00")
    expect(page.locator("#basket-total")).to_have_text("€40.00")
    snapshot(page, f"promo-event-{viewport}")
    page.locator("#buy-button").click()

    expect(page.locator("#cart-title")).to_have_text(customer.title)
    expect(page.locator("#cart-discount")).to_contain_text("€10.00")
    expect(page.locator(".line-discount")).to_contain_text("€10.00")
    expect(page.locator(".order-line")).to_contain_text("€50.00")  # the list amount; the code's row takes 10 off
    expect(page.locator("#order-total")).to_have_text("€40.00")
    snapshot(page, f"promo-cart-{viewport}")
    page.locator("#checkout-button").click()

    expect(page).to_have_url(re.compile(r"/pay/"))
    expect(page.locator("#card-element input[data-field='number']")).to_be_visible()
    expect(page.locator(".promo-discount")).to_contain_text("€10.00")
    fill_card(page, VISA)
    snapshot(page, f"promo-payment-{viewport}")
    page.locator("#pay-button").click()
    expect(page.locator("#order-confirmed")).to_be_visible(timeout=30_000)
    snapshot(page, f"promo-confirmation-{viewport}")

    (order,) = orders_of(customer)
    assert (order.status, order.total_minor, order.discount_minor) == ("confirmed", 4000, 1000)
    with session_scope(readonly=True) as db:
        (payment,) = db.exec(select(Payment).where(Payment.order_id == order.id)).all()
    assert payment.amount_minor == 4000  # what Stripe charged
    (mail,) = outbox(customer.email)
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Promo code SPRING20" in body and "Total paid: €40.00" in body
