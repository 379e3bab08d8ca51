"""Paying with a card (through localstripe), declines and retries, refunds on cancellation,
a second payment of a paid order, free orders, and the confirmation mail over real SMTP."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from tests.e2e.conftest import free_port
from tests.payments_helpers import DECLINED, VISA, make_shop, order_for, pay_at_stripe_only
from tests.stripe_server import tokenize_card
from ticketing.db import session_scope
from ticketing.jobs.worker import run_pending_jobs
from ticketing.models import Order, Payment, Refund
from ticketing.models.base import utcnow
from ticketing.notifications import order_mail
from ticketing.payments import intents, refunds, stripe_api
from ticketing.services.errors import ServiceError
from ticketing.services.sales import orders
from ticketing.settings import get_settings

pytestmark = pytest.mark.usefixtures("localstripe")


def card(number: str) -> str:
    return tokenize_card(get_settings().stripe_api_base, number)


def payments_of(order_id) -> list[Payment]:
    with session_scope(readonly=True) as db:
        return list(db.exec(select(Payment).where(Payment.order_id == order_id).order_by(Payment.attempt)).all())


def test_card_payment_confirms_and_the_intent_is_per_order_and_reused():
    shop = make_shop(capacity=2)
    order = order_for(shop, quantity=2)
    first = intents.ensure_payment_intent(order_id=order.id, user_id=shop.buyer_id)
    again = intents.ensure_payment_intent(order_id=order.id, user_id=shop.buyer_id)
    assert first == again and first.amount_minor == 5000 and first.currency == "EUR"
    intent = stripe_api.client().v1.payment_intents.retrieve(first.payment_intent_id).to_dict()
    assert (intent["amount"], intent["currency"], intent["metadata"]["order_id"]) == (5000, "eur", str(order.id))
    with pytest.raises(ServiceError) as stranger:
        intents.ensure_payment_intent(order_id=order.id, user_id=shop.other_id)
    assert stranger.value.code == "not_found"

    result = intents.pay_with_card(order_id=order.id, user_id=shop.buyer_id, token_id=card(VISA))
    assert (result.status, result.outcome) == ("succeeded", "confirmed")
    with pytest.raises(ServiceError) as paid:
        intents.pay_with_card(order_id=order.id, user_id=shop.buyer_id, token_id=card(VISA))
    assert paid.value.code == "order_confirmed"  # nothing is charged twice
    assert [p.status for p in payments_of(order.id)] == ["succeeded"]


def test_declined_card_then_another_card_uses_a_new_intent():
    shop = make_shop()
    order = order_for(shop)
    declined = intents.pay_with_card(order_id=order.id, user_id=shop.buyer_id, token_id=card(DECLINED))
    assert declined.status == "failed" and declined.message.startswith("Your card was declined. Nothing was charged")
    assert intents.pay_with_card(order_id=order.id, user_id=shop.buyer_id, token_id=card(VISA)).status == "succeeded"
    old, new = payments_of(order.id)
    assert (old.attempt, old.status, new.attempt, new.status) == (1, "failed", 2, "succeeded")
    assert stripe_api.retrieve_intent(old.id)[0].status == "canceled"  # the old intent can never be charged now


def test_payment_after_the_deadline_is_refused_before_charging():
    shop = make_shop()
    order = order_for(shop)
    with session_scope() as db:
        db.get(Order, order.id).payment_due_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(ServiceError) as late:
        intents.pay_with_card(order_id=order.id, user_id=shop.buyer_id, token_id=card(VISA))
    assert late.value.code == "order_expired" and payments_of(order.id) == []


def test_partial_cancellation_refunds_through_stripe_less_the_fee():
    shop = make_shop(capacity=3, cancellation_fee_percent=10)
    order = order_for(shop, quantity=3)
    intents.pay_with_card(order_id=order.id, user_id=shop.buyer_id, token_id=card(VISA))
    with session_scope() as db:
        tickets = [t.id for t in orders.order_tickets(db=db, order_id=order.id)]
    with session_scope() as db:
        done, refund = refunds.cancel_order_with_refund(db=db, order_id=order.id, user_id=shop.buyer_id,
                                                        ticket_ids=tickets[:1], now=utcnow())
    assert (done.refund_minor, done.fee_minor) == (2250, 250)
    run_pending_jobs()  # the refund is a job queued with the cancellation
    with session_scope(readonly=True) as db:
        stored = db.get(Refund, refund.id)
    assert (stored.status, stored.amount_minor, stored.reason) == ("succeeded", 2250, "cancellation")
    (payment,) = payments_of(order.id)
    charge = stripe_api.client().v1.payment_intents.retrieve(payment.id).to_dict()["latest_charge"]
    assert stripe_api.retrieve_charge(charge if isinstance(charge, str) else charge["id"])[1] == 2250


def test_cancelling_an_unpaid_order_makes_its_intent_unpayable():
    shop = make_shop()
    order = order_for(shop)
    start = intents.ensure_payment_intent(order_id=order.id, user_id=shop.buyer_id)
    with session_scope() as db:
        _done, refund = refunds.cancel_order_with_refund(db=db, order_id=order.id, user_id=shop.buyer_id,
                                                         ticket_ids=None, now=utcnow())
    assert refund is None
    run_pending_jobs()
    assert stripe_api.retrieve_intent(start.payment_intent_id)[0].status == "canceled"


def test_a_second_payment_of_a_paid_order_is_refunded():
    shop = make_shop()
    order = order_for(shop)
    first = pay_at_stripe_only(order)
    assert intents.sync_payment(order_id=order.id, user_id=shop.buyer_id).outcome == "confirmed"
    # Another intent of the same order paid too (e.g. created in a second tab before the first paid).
    facts, _ = stripe_api.create_payment_intent(order_id=order.id, order_number=order.number, amount_minor=2500,
                                                currency="EUR", attempt=9)
    pay_at_stripe_only(order, intent_id=facts.id)
    paid_again = dataclasses.replace(stripe_api.retrieve_intent(facts.id)[0])
    assert intents.apply_facts(paid_again).outcome == "refund_duplicate"
    run_pending_jobs()
    with session_scope(readonly=True) as db:
        (refund,) = db.exec(select(Refund).where(Refund.order_id == order.id)).all()
        assert db.get(Order, order.id).payment_intent_id == first
    assert (refund.payment_id, refund.reason, refund.status) == (facts.id, "duplicate", "succeeded")


def test_free_orders_need_no_payment_and_are_mailed_at_once(localstripe):
    from tests.api_client import Api
    from tests.payments_helpers import outbox
    from ticketing.models import User
    from ticketing.services.accounts.tokens import issue_token

    shop = make_shop(price_minor=0, capacity=2)
    with session_scope(readonly=True) as db:
        buyer = db.get(User, shop.buyer_id)
        token = issue_token(user_id=buyer.id, token_version=buyer.token_version, now=utcnow())
    api = Api()
    hold = api.post(f"/events/{shop.event_id}/holds", token=token,
                    json={"items": [{"ticket_type_id": str(shop.type_id), "quantity": 1}]}).json()
    body = api.post(f"/holds/{hold['id']}/checkout", token=token, json={}).json()
    assert (body["status"], body["payment"]) == ("confirmed", None)
    (mail,) = outbox(buyer.email)
    assert body["number"] in mail["Subject"]
    order = order_for(shop, user_id=shop.other_id)
    assert order.status == "confirmed"
    with pytest.raises(ServiceError) as free:
        intents.ensure_payment_intent(order_id=order.id, user_id=shop.other_id)
    assert free.value.code == "order_confirmed"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def test_confirmation_mail_goes_out_over_smtp(monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        monkeypatch.setattr("ticketing.notifications.mailer.get_settings", lambda: dataclasses.replace(
            get_settings(), smtp_host="127.0.0.1", smtp_port=controller.port, smtp_starttls=False))
        shop = make_shop(price_minor=0)
        order = order_for(shop)
        assert order_mail.send_confirmation(order.id) == "smtp"
    finally:
        controller.stop()
    (envelope,) = inbox.messages
    body = envelope.content.decode()
    assert order.number in body and "text/calendar" in body and "image/png" in body
    assert envelope.rcpt_tos and envelope.rcpt_tos[0].endswith("@example.com")


def test_development_outbox_shows_the_confirmation_with_its_qr_codes():
    from tests.api_client import Api

    shop = make_shop(price_minor=0)
    order = order_for(shop)
    order_mail.send_confirmation(order.id)
    client = Api().client
    listing = client.get("/dev/outbox")
    assert listing.status_code == 200 and order.number in listing.text
    name = listing.text.split("href='/dev/outbox/")[1].split("'")[0]
    message = client.get(f"/dev/outbox/{name}")
    assert message.status_code == 200 and "data:image/png;base64," in message.text


def test_a_transferred_ticket_is_mailed_to_its_new_holder(localstripe):
    from tests.api_client import Api
    from tests.payments_helpers import outbox
    from ticketing.models import User
    from ticketing.services.accounts.tokens import issue_token

    shop = make_shop(price_minor=0)
    order = order_for(shop)
    robin = f"robin-{uuid.uuid4().hex[:6]}@example.com"
    with session_scope(readonly=True) as db:
        (ticket,) = orders.order_tickets(db=db, order_id=order.id)
        buyer = db.get(User, shop.buyer_id)
        token = issue_token(user_id=buyer.id, token_version=buyer.token_version, now=utcnow())
    r = Api().post(f"/tickets/{ticket.id}/transfer", token=token, json={"name": "Robin", "email": robin})
    assert r.status_code == 200, r.text
    (mail,) = outbox(robin)
    assert r.json()["code"] in mail.get_body(preferencelist=("plain",)).get_content()
