"""Journey: discover -> event -> hold -> pay with a test card -> confirmation -> My tickets with
QR codes; and a declined card followed by a good one. Real app, real localstripe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.buying import DECLINED, VISA, customer_with_shop, fill_card, orders_of, reserve, wait_for_webhook
from tests.e2e.conftest import snapshot
from tests.payments_helpers import outbox

pytestmark = pytest.mark.e2e


def test_discover_hold_pay_and_see_tickets(page: Page, viewport: str):
    customer = customer_with_shop(page)
    page.goto("/")
    page.get_by_placeholder("Search by title or place").fill(customer.title)
    expect(page.locator("#events-list")).to_contain_text(customer.title)
    snapshot(page, f"buy-discover-{viewport}")
    page.get_by_text(customer.title).first.click()
    expect(page.locator("#event-title")).to_have_text(customer.title)

    plus = page.locator(f"[data-ticket-type='{customer.shop.type_id}'] .qty-plus")
    plus.click()
    expect(page.locator("#basket-count")).to_have_text("1 ticket")
    plus.click()
    expect(page.locator("#basket-count")).to_have_text("2 tickets")
    expect(page.locator("#basket-total")).to_have_text("€50.00")
    expect(page.locator("#promo-toggle")).to_have_text("Have a promo code?")
    expect(page.locator("#access-toggle")).to_have_count(0)  # no presale on this event
    snapshot(page, f"buy-event-{viewport}")
    page.locator("#buy-button").click()

    expect(page.locator("#cart-title")).to_have_text(customer.title)
    expect(page.locator("#order-total")).to_have_text("€50.00")
    expect(page.locator("#countdown")).to_contain_text(re.compile(r"1[45]:\d\d"))
    snapshot(page, f"buy-cart-{viewport}")
    page.locator("#checkout-button").click()

    expect(page).to_have_url(re.compile(r"/pay/"))
    expect(page.locator("#card-element input[data-field='number']")).to_be_visible()
    fill_card(page, VISA)
    snapshot(page, f"buy-payment-{viewport}")
    page.locator("#pay-button").click()

    expect(page.locator("#order-confirmed")).to_be_visible(timeout=30_000)
    expect(page.locator("img.ticket-qr")).to_have_count(2)
    snapshot(page, f"buy-confirmation-{viewport}")
    (order,) = orders_of(customer)
    assert order.status == "confirmed"
    # localstripe also delivered its signed webhook to the running app; it changed nothing more.
    assert "payment_intent.succeeded" in wait_for_webhook(order.payment_intent_id)
    (mail,) = outbox(customer.email)
    assert order.number in mail["Subject"]

    page.locator("#my-tickets-link").click()
    expect(page).to_have_url(re.compile(r"/tickets/?$"))
    qr = page.locator(f"#orders [data-order='{order.id}'] img.ticket-qr")
    expect(qr).to_have_count(2)
    # Four pixels a module (49 with the quiet zone): big enough for a door camera off a phone screen.
    assert qr.first.bounding_box()["width"] >= 196
    expect(page.locator(f"[data-order='{order.id}'] .order-status")).to_have_text("Confirmed")
    snapshot(page, f"buy-my-tickets-{viewport}")


def test_declined_card_then_another_card(page: Page, viewport: str):
    customer = customer_with_shop(page)
    reserve(page, customer, 1)
    page.locator("#checkout-button").click()
    expect(page.locator("#card-element input[data-field='number']")).to_be_visible()
    fill_card(page, DECLINED)
    page.locator("#pay-button").click()
    expect(page.locator("#card-error")).to_contain_text("declined")
    snapshot(page, f"buy-declined-{viewport}")
    assert [o.status for o in orders_of(customer)] == ["pending"]

    fill_card(page, VISA)
    page.locator("#pay-button").click()
    expect(page.locator("#order-confirmed")).to_be_visible(timeout=30_000)
    assert [o.status for o in orders_of(customer)] == ["confirmed"]


def test_free_tickets_skip_the_payment_step(page: Page, viewport: str):
    customer = customer_with_shop(page, price_minor=0)
    reserve(page, customer, 2)
    expect(page.locator("#order-total")).to_have_text("€0.00")
    button = page.locator("#checkout-button")
    expect(button).to_have_text("Get my tickets")
    snapshot(page, f"buy-free-cart-{viewport}")
    button.click()

    expect(page).to_have_url(re.compile(r"/orders/"))
    expect(page.locator("#order-confirmed")).to_be_visible()
    assert [o.status for o in orders_of(customer)] == ["confirmed"]
