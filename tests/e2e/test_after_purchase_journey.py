"""Journey: after buying, cancel one ticket of an order (refunded through Stripe, place back on
sale), and transfer another ticket (new holder, new code)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.e2e.buying import customer_with_shop
from tests.e2e.conftest import snapshot
from tests.payments_helpers import order_for, outbox, pay_at_stripe_only
from ticketing.db import session_scope
from ticketing.models import EventSession, Refund, Ticket
from ticketing.payments import intents

pytestmark = pytest.mark.e2e


def _paid_order(customer, quantity: int):
    order = order_for(customer.shop, quantity=quantity)
    pay_at_stripe_only(order)
    assert intents.sync_payment(order_id=order.id, user_id=order.user_id).outcome == "confirmed"
    return order


def test_cancel_one_ticket_with_a_refund(page: Page, viewport: str):
    customer = customer_with_shop(page, cancellation_fee_percent=10)
    order = _paid_order(customer, 2)
    page.goto("/tickets")
    cards = page.locator(f"[data-order='{order.id}'] .ticket-card")
    expect(cards).to_have_count(2)
    snapshot(page, f"after-my-tickets-{viewport}")
    cards.first.locator(".cancel-ticket-button").click()
    expect(page.locator("#cancel-text")).to_contain_text("€22.50 back")
    snapshot(page, f"after-cancel-dialog-{viewport}")
    page.locator("#confirm-cancel").click()
    expect(page.locator("#tickets-message")).to_contain_text("€22.50 is being refunded")
    expect(page.locator(f"[data-order='{order.id}'] .refund-note")).to_contain_text("€22.50")
    snapshot(page, f"after-cancelled-{viewport}")
    with session_scope(readonly=True) as db:
        (refund,) = db.exec(select(Refund).where(Refund.order_id == order.id)).all()
        assert (refund.status, refund.amount_minor) == ("succeeded", 2250)
        assert db.get(EventSession, customer.shop.session_id).sold == 1


def test_transfer_a_ticket(page: Page, viewport: str):
    customer = customer_with_shop(page)
    order = _paid_order(customer, 1)
    with session_scope(readonly=True) as db:
        (before,) = db.exec(select(Ticket).where(Ticket.order_id == order.id)).all()
    page.goto("/tickets")
    page.locator(f"[data-ticket='{before.id}'] .transfer-button").click()
    page.get_by_label("New holder's name").fill("Robin Friend")
    robin = f"robin-{uuid.uuid4().hex[:6]}@example.com"
    page.get_by_label("New holder's email").fill(robin)
    snapshot(page, f"after-transfer-dialog-{viewport}")
    page.locator("#confirm-transfer").click()
    expect(page.locator("#tickets-message")).to_contain_text("Robin Friend")
    expect(page.locator(f"[data-ticket='{before.id}'] .ticket-holder")).to_contain_text(robin)
    snapshot(page, f"after-transferred-{viewport}")
    with session_scope(readonly=True) as db:
        after = db.get(Ticket, before.id)
    assert (after.holder_name, after.code_version) == ("Robin Friend", 2) and after.code != before.code
    (mail,) = outbox(robin)  # the new holder gets the ticket with its new code
    assert after.code in mail.get_body(preferencelist=("plain",)).get_content()
