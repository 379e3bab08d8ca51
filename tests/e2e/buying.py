"""Shared steps of the buying journeys: a shop with a paid event, a signed-in customer, the card
form, and reading the outcome from the database."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.e2e.conftest import sign_in_as
from tests.payments_helpers import Shop, make_shop
from ticketing.db import session_scope
from ticketing.models import Hold, Order, StripeEvent, User
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token

VISA = "4242424242424242"
DECLINED = "4000000000000341"


def token_for(user_id: uuid.UUID) -> str:
    """A fresh bearer token of the user, as the browser keeps it after signing in."""
    with session_scope(readonly=True) as db:
        return issue_token(user_id=user_id, token_version=db.get(User, user_id).token_version, now=utcnow())


def holds_of(user_id: uuid.UUID) -> list[Hold]:
    with session_scope(readonly=True) as db:
        return list(db.exec(select(Hold).where(Hold.user_id == user_id)).all())


def events_sent(page: Page) -> list[str]:
    """Every socket.io event the page sends from now on (engine.io pongs are not events)."""
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(str(payload))
                                          if str(payload).startswith("42") else None))
    return sent


@dataclass
class Customer:
    shop: Shop
    title: str
    email: str


def customer_with_shop(page: Page, *, capacity: int = 10, **settings) -> Customer:
    """A published event (25.00 per ticket) and a signed-in customer in the browser."""
    title = f"Quartet {uuid.uuid4().hex[:6]}"
    shop = make_shop(capacity=capacity, title=title, max_tickets_per_order=5, **settings)
    with session_scope() as db:
        buyer = db.get(User, shop.buyer_id)
        buyer.name = "Casey Customer"
        token = issue_token(user_id=buyer.id, token_version=buyer.token_version, now=utcnow())
        email = buyer.email
    sign_in_as(page, token)
    return Customer(shop, title, email)


def reserve(page: Page, customer: Customer, quantity: int) -> None:
    """Event page: choose `quantity` tickets and reserve them; lands on the cart."""
    page.goto(f"/events/{customer.shop.event_id}")
    plus = page.locator(f"[data-ticket-type='{customer.shop.type_id}'] .qty-plus")
    for _ in range(quantity):
        plus.click()
    expect(page.locator(f"[data-ticket-type='{customer.shop.type_id}'] .qty-value")).to_have_text(str(quantity))
    page.locator("#buy-button").click()
    expect(page.locator("#cart-title")).to_have_text(customer.title)


def fill_card(page: Page, number: str) -> None:
    card = page.locator("#card-element")
    card.locator("input[data-field='number']").fill(number)
    card.locator("input[data-field='exp_month']").fill("12")
    card.locator("input[data-field='exp_year']").fill("34")
    card.locator("input[data-field='cvc']").fill("123")
    card.locator("input[data-field='postal_code']").fill("10115")


def orders_of(customer: Customer) -> list[Order]:
    with session_scope(readonly=True) as db:
        return list(db.exec(select(Order).where(Order.user_id == customer.shop.buyer_id)).all())


def wait_for_webhook(intent_id: str, timeout: float = 10) -> list[str]:
    """The event types localstripe delivered to the app for this intent."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(readonly=True) as db:
            types = list(db.exec(select(StripeEvent.type).where(StripeEvent.object_id == intent_id)).all())
        if types or time.monotonic() > deadline:
            return types
        time.sleep(0.3)
