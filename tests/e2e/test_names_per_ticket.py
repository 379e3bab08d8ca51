"""Journey: an event that asks a name per ticket. The cart asks one name (and an optional email)
per ticket, the first is "same as me"; each ticket is issued to its own attendee."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.e2e.buying import customer_with_shop, orders_of, reserve
from tests.e2e.conftest import snapshot
from ticketing.db import session_scope
from ticketing.models import Ticket

pytestmark = pytest.mark.e2e


def test_each_ticket_gets_its_attendee(page: Page, viewport: str):
    customer = customer_with_shop(page, price_minor=0, attendee_names="on")
    reserve(page, customer, 3)
    slots = page.locator(".attendee-slot")
    expect(slots).to_have_count(3)
    expect(slots.nth(0)).to_contain_text("Ticket 1 — Standard")
    # "Same as me" is ticked: the first ticket is the buyer's, no inputs to fill.
    expect(page.locator("#same-as-me")).to_be_checked()
    expect(page.locator("#first-attendee-me")).to_contain_text(f"Casey Customer ({customer.email})")
    expect(slots.nth(0).locator(".attendee-name")).to_have_count(0)
    robin = f"robin-{uuid.uuid4().hex[:6]}@example.com"
    slots.nth(1).locator(".attendee-name input").fill("Robin Friend")
    slots.nth(1).locator(".attendee-email input").fill(robin)
    slots.nth(2).locator(".attendee-name input").fill("Kim Young")  # no email: Kim's ticket mail goes to the buyer
    snapshot(page, f"names-cart-{viewport}")

    # Unticking shows the first ticket's inputs; ticking again hides them.
    page.locator("#same-as-me").click()
    expect(slots.nth(0).locator(".attendee-name")).to_be_visible()
    page.locator("#same-as-me").click()
    expect(slots.nth(0).locator(".attendee-name")).to_have_count(0)

    page.locator("#checkout-button").click()
    expect(page).to_have_url(re.compile(r"/orders/"))
    expect(page.locator("#order-confirmed")).to_be_visible()
    holders = page.locator(".ticket-card .ticket-holder")
    expect(holders).to_have_text([f"Casey Customer · {customer.email}", f"Robin Friend · {robin}",
                                  f"Kim Young · {customer.email}"])
    snapshot(page, f"names-confirmation-{viewport}")
    (order,) = orders_of(customer)
    with session_scope(readonly=True) as db:
        tickets = db.exec(select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.created_at, Ticket.id))
        assert [(t.holder_name, t.holder_email) for t in tickets] == [
            ("Casey Customer", customer.email), ("Robin Friend", robin), ("Kim Young", customer.email)]


def test_one_session_general_admission_asks_no_names_by_default(page: Page, viewport: str):
    customer = customer_with_shop(page, price_minor=0)
    reserve(page, customer, 2)
    expect(page.locator("#checkout-button")).to_be_visible()
    expect(page.locator(".attendee-slot")).to_have_count(0)
