"""Journey: a link with ?code= opens the event page with the code filled in; a wrong code is
refused in words; the right one takes 20 % off the basket, the cart, the Stripe payment, the
order and the confirmation mail. Real app, real localstripe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.e2e.app_api import AppApi
from tests.e2e.buying import VISA, customer_with_shop, fill_card, orders_of
from tests.e2e.conftest import snapshot
from tests.payments_helpers import outbox
from ticketing.db import session_scope
from ticketing.models import Event, Membership, Payment, User
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token
from ticketing.services.promotions import codes
from ticketing.services.promotions.codes import CodeTerms

pytestmark = pytest.mark.e2e


def token_for(user_id) -> str:
    with session_scope(readonly=True) as db:
        return issue_token(user_id=user_id, token_version=db.get(User, user_id).token_version, now=utcnow())


def percent_code(event_id, text: str, percent: int, max_uses: int = 50) -> None:
    with session_scope() as db:
        org_id = db.get(Event, event_id).organization_id
        owner = db.exec(select(Membership.user_id).where(Membership.organization_id == org_id)).first()
        codes.create_code(db=db, user_id=owner, event_id=event_id, now=utcnow(),
                          terms=CodeTerms(code=text, kind="percent", value=percent, max_uses=max_uses))


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


def test_a_code_used_up_before_the_hold_is_refused_by_its_box(page: Page, viewport: str, app_url: str):
    """The page holds through the API; the code's refusal comes back to the server's page, whose
    promo box says why (and the basket stays)."""
    customer = customer_with_shop(page)
    percent_code(customer.shop.event_id, "LASTONE", 10, max_uses=1)
    page.goto(f"/events/{customer.shop.event_id}?code=lastone")
    expect(page.locator("#promo-note")).to_contain_text("LASTONE: 10 % off")
    row = page.locator(f"[data-ticket-type='{customer.shop.type_id}']")
    row.locator(".qty-plus").click()
    expect(page.locator("#basket-discount")).to_contain_text("€2.50")

    # Someone else takes the code's one use meanwhile.
    other = {"Authorization": f"Bearer {token_for(customer.shop.other_id)}"}
    AppApi(app_url).call("POST", f"/events/{customer.shop.event_id}/holds", other, json={
        "items": [{"ticket_type_id": str(customer.shop.type_id), "quantity": 1}], "promo_code": "LASTONE"})
    page.locator("#buy-button").click()
    expect(page.locator("#promo-error")).to_contain_text("This code has been used up.")
    expect(page.locator("#buy-error")).to_contain_text("Your code could not be used: fix or remove it to reserve.")
    expect(row.locator(".qty-value")).to_have_text("1")
    snapshot(page, f"promo-used-up-at-hold-{viewport}")
    page.locator("#promo-input").fill("")  # without the code
    page.locator("#buy-button").click()
    expect(page.locator("#order-total")).to_have_text("€25.00")
