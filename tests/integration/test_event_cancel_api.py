"""Issue 16, finding 6: cancelling an event through the API does what the console does (orders
cancelled, paid ones refunded through Stripe, tickets refused at the door, buyers mailed), and a
partial cancellation of an unpaid order makes its old, larger PaymentIntent unpayable at once."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from tests.payments_helpers import VISA, make_shop, order_for, outbox
from tests.stripe_server import tokenize_card
from ticketing.db import session_scope
from ticketing.jobs.worker import run_pending_jobs
from ticketing.models import Event, Membership, Order, Payment, Refund, Ticket, User
from ticketing.models.base import utcnow
from ticketing.payments import intents, refunds, stripe_api
from ticketing.services.accounts.tokens import issue_token
from ticketing.services.sales import orders
from ticketing.settings import get_settings

pytestmark = pytest.mark.usefixtures("localstripe")


def token_for(user_id: uuid.UUID) -> str:
    with session_scope(readonly=True) as db:
        return issue_token(user_id=user_id, token_version=db.get(User, user_id).token_version, now=utcnow())


def owner_token(event_id: uuid.UUID) -> str:
    with session_scope(readonly=True) as db:
        event = db.get(Event, event_id)
        owner = db.exec(select(Membership.user_id).where(Membership.organization_id == event.organization_id)).one()
    return token_for(owner)


def test_api_event_cancel_cancels_refunds_voids_and_mails_like_the_console(api):
    shop = make_shop(capacity=5)
    paid = order_for(shop, quantity=2)
    intents.pay_with_card(order_id=paid.id, user_id=shop.buyer_id,
                          token_id=tokenize_card(get_settings().stripe_api_base, VISA))
    unpaid = order_for(shop, user_id=shop.other_id)
    unpaid_intent = intents.ensure_payment_intent(order_id=unpaid.id, user_id=shop.other_id).payment_intent_id
    with session_scope(readonly=True) as db:
        buyer_email = db.get(User, shop.buyer_id).email

    r = api.post(f"/events/{shop.event_id}/cancel", token=owner_token(shop.event_id))
    run_pending_jobs()  # refunds and intent cancellations are jobs queued with the cancellation

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "cancelled"
    assert (body["orders_cancelled"], body["tickets_cancelled"], body["refund"]) == (2, 3, "50.00")
    with session_scope(readonly=True) as db:
        assert db.get(Order, paid.id).status == "cancelled" and db.get(Order, unpaid.id).status == "cancelled"
        statuses = db.exec(select(Ticket.status).where(Ticket.order_id.in_([paid.id, unpaid.id]))).all()
        (refund,) = db.exec(select(Refund).where(Refund.order_id == paid.id)).all()
    assert set(statuses) == {"cancelled"}
    assert (refund.status, refund.amount_minor) == ("succeeded", 5000)  # sent to localstripe by its job
    assert stripe_api.retrieve_intent(unpaid_intent)[0].status == "canceled"
    assert any(str(m["Subject"]) == "Called off: Quartet" for m in outbox(buyer_email))


def test_api_event_cancel_refuses_strangers_and_changes_nothing(api):
    shop = make_shop(capacity=2)
    order_for(shop)
    stranger = token_for(shop.other_id)
    r = api.post(f"/events/{shop.event_id}/cancel", token=stranger)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    with session_scope(readonly=True) as db:
        assert db.get(Event, shop.event_id).status != "cancelled"
        assert set(db.exec(select(Order.status).where(Order.event_id == shop.event_id)).all()) == {"pending"}


def test_a_partial_cancellation_of_an_unpaid_order_cancels_its_old_intent_at_once():
    shop = make_shop(capacity=3)
    order = order_for(shop, quantity=3)
    old = intents.ensure_payment_intent(order_id=order.id, user_id=shop.buyer_id)
    with session_scope(readonly=True) as db:
        first = [t.id for t in orders.order_tickets(db=db, order_id=order.id)][:1]
    with session_scope() as db:
        refunds.cancel_order_with_refund(db=db, order_id=order.id, user_id=shop.buyer_id, ticket_ids=first,
                                         now=utcnow())
    run_pending_jobs()  # the intent's cancellation is queued with the partial cancellation

    assert stripe_api.retrieve_intent(old.payment_intent_id)[0].status == "canceled"  # no read in between
    with session_scope(readonly=True) as db:
        assert db.get(Order, order.id).status == "pending"
        assert db.get(Payment, old.payment_intent_id).status == "canceled"
    # Stripe's webhook about the cancelled intent does not void the order that lives on...
    facts, _secret = stripe_api.retrieve_intent(old.payment_intent_id)
    assert intents.apply_facts(facts).outcome == "pending"
    # ...and paying it asks for the new, smaller total on a fresh intent.
    new = intents.ensure_payment_intent(order_id=order.id, user_id=shop.buyer_id)
    assert new.payment_intent_id != old.payment_intent_id and new.amount_minor == old.amount_minor * 2 // 3
