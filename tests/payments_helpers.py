"""Orders and Stripe payments for the payment tests: a small paid event, an order awaiting
payment, a card paid at localstripe without telling us, and Stripe-signed webhook payloads."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path

import stripe
from sqlalchemy import update

from tests.api_client import Api
from tests.builders import make_buyers, make_event, make_session, make_ticket_type
from tests.factories import make_org
from tests.jobs_helpers import settle_jobs
from tests.stripe_server import tokenize_card
from ticketing.db import session_scope
from ticketing.models import Order, PlaceClaim
from ticketing.models.base import utcnow
from ticketing.payments import intents, stripe_api
from ticketing.services.sales import holds, orders
from ticketing.settings import get_settings

VISA = "4242424242424242"
DECLINED = "4000000000000341"  # localstripe: attaches, then the charge is declined
WEBHOOK_PATH = "/api/v1/webhooks/stripe"


@dataclass
class Shop:
    event_id: uuid.UUID
    session_id: uuid.UUID
    type_id: uuid.UUID  # 25.00 EUR, one session of `capacity` places
    buyer_id: uuid.UUID
    other_id: uuid.UUID


def make_shop(*, capacity: int = 1, price_minor: int = 2500, title: str = "Quartet", **settings) -> Shop:
    now = utcnow()
    with session_scope() as db:
        owner, buyer, other = make_buyers(db, 3)
        org = make_org(db, owner=owner)
        settings.setdefault("description", "A string quartet plays Ravel and Debussy.")
        settings.setdefault("location", "Kesselhaus, Berlin")
        settings.setdefault("category", "Concert")
        settings.setdefault("timezone", "Europe/Berlin")
        event = make_event(db, org=org, title=title, **settings)
        s = make_session(db, event=event, name="Concert", capacity=capacity, starts_at=now + timedelta(days=20))
        t = make_ticket_type(db, event=event, name="Standard", sessions=[s], price_minor=price_minor)
        return Shop(event.id, s.id, t.id, buyer.id, other.id)


def order_for(shop: Shop, user_id: uuid.UUID | None = None, quantity: int = 1) -> Order:
    """A pending order of `quantity` tickets, through hold and checkout like a buyer."""
    user_id = user_id or shop.buyer_id
    with session_scope() as db:
        hold = holds.hold_tickets(db=db, event_id=shop.event_id, user_id=user_id, items=[(shop.type_id, quantity)],
                                  now=utcnow())
    with session_scope() as db:
        return orders.checkout(db=db, hold_id=hold.id, user_id=user_id, attendees=None, now=utcnow())


def open_intent(order: Order) -> str:
    """The order's PaymentIntent, as the payment page gets it."""
    return intents.ensure_payment_intent(order_id=order.id, user_id=order.user_id).payment_intent_id


def pay_at_stripe_only(order: Order, card: str = VISA, intent_id: str | None = None) -> str:
    """Charge the order's intent at localstripe directly: Stripe knows, we have not been told."""
    intent_id = intent_id or open_intent(order)
    token = tokenize_card(get_settings().stripe_api_base, card)
    stripe_api.client().v1.payment_intents.update(intent_id, params=stripe_api._payment_method_from_token(token))
    try:
        stripe_api.client().v1.payment_intents.confirm(intent_id)
    except stripe.CardError:  # a declined card: the intent records the failure
        pass
    return intent_id


def expire_order(order_id: uuid.UUID) -> None:
    """Move the order's payment deadline (and its claims) into the past."""
    past = utcnow() - timedelta(minutes=1)
    with session_scope() as db:
        db.exec(update(Order).where(Order.id == order_id).values(payment_due_at=past))
        db.exec(update(PlaceClaim).where(PlaceClaim.order_id == order_id).values(expires_at=past))


def place_taken_meanwhile(shop: Shop, order: Order, *, quantity: int = 1) -> str:
    """A late payment whose places are gone: the order's intent is opened, its deadline passes,
    someone else holds its places, then the card is charged at Stripe (we are not told yet)."""
    intent_id = open_intent(order)
    expire_order(order.id)
    with session_scope() as db:
        holds.hold_tickets(db=db, event_id=shop.event_id, user_id=shop.other_id, items=[(shop.type_id, quantity)],
                           now=utcnow())
    return pay_at_stripe_only(order, intent_id=intent_id)


def charge_of(intent_id: str) -> str:
    """The id of the intent's charge at Stripe."""
    charge = stripe_api.client().v1.payment_intents.retrieve(intent_id).to_dict()["latest_charge"]
    return charge if isinstance(charge, str) else charge["id"]


def deliver(event: dict, **sign) -> str:
    """POST one signed Stripe event to the webhook; the outcome it answers (200 expected)."""
    r = post_webhook(event, **sign)
    assert r.status_code == 200, r.text
    return r.json()["outcome"]


def post_webhook(event: dict, **sign):
    """POST one signed Stripe event to the webhook; the response, whatever it is."""
    payload, header = signed(event, **sign)
    return Api().client.post(WEBHOOK_PATH, content=payload,
                             headers={"Stripe-Signature": header, "Content-Type": "application/json"})


def signed(event: dict, *, secret: str | None = None, at: int | None = None) -> tuple[bytes, str]:
    """A webhook payload and its Stripe-Signature header, signed as Stripe signs them."""
    payload = json.dumps(event).encode()
    at = at or int(time.time())
    digest = hmac.new((secret or get_settings().stripe_webhook_secret).encode(), f"{at}.".encode() + payload,
                      hashlib.sha256).hexdigest()
    return payload, f"t={at},v1={digest}"


def stripe_event(event_type: str, obj: dict, event_id: str | None = None) -> dict:
    return {"id": event_id or f"evt_{uuid.uuid4().hex[:14]}", "object": "event", "type": event_type,
            "api_version": "2017-08-15", "created": int(time.time()), "data": {"object": obj}}


def intent_event(kind: str, intent_id: str, event_id: str | None = None) -> dict:
    """payment_intent.<kind>; its object is stale on purpose: the handler re-fetches the intent."""
    return stripe_event(f"payment_intent.{kind}", {"id": intent_id, "object": "payment_intent", "status": "stale"},
                        event_id)


def outbox(to: str | None = None) -> list[Message]:
    """Messages written to this run's outbox (to one address when given), oldest first, once
    the jobs due (mails are sent by jobs after commit) have run."""
    settle_jobs()
    paths = sorted(Path(get_settings().outbox_dir).glob("*.eml"))
    out = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]
    return [m for m in out if to is None or m["To"] == to]
