"""POST /webhooks/stripe against a real localstripe: signed payloads (valid, bad signature,
replayed, out of order, unknown type), late payments after expiry (refunded when the places are
gone), charge.refunded, and a delivery made by localstripe itself to a running API server."""

from __future__ import annotations

import threading
import time

import pytest
import uvicorn
from sqlmodel import select

from tests.api_client import Api
from tests.payments_helpers import (
    DECLINED,
    WEBHOOK_PATH,
    charge_of,
    expire_order,
    intent_event,
    make_shop,
    open_intent,
    order_for,
    outbox,
    pay_at_stripe_only,
    place_taken_meanwhile,
    post_webhook,
    signed,
    stripe_event,
)
from tests.services import port_open
from ticketing.db import session_scope
from ticketing.jobs.worker import run_pending_jobs
from ticketing.models import EventSession, Order, Payment, Refund, StripeEvent, Ticket, User
from ticketing.payments import stripe_api

pytestmark = pytest.mark.usefixtures("localstripe")


def load_order(order_id) -> Order:
    with session_scope(readonly=True) as db:
        return db.get(Order, order_id)


def sold(session_id) -> int:
    with session_scope(readonly=True) as db:
        return db.get(EventSession, session_id).sold


def events_recorded() -> list[StripeEvent]:
    with session_scope(readonly=True) as db:
        return list(db.exec(select(StripeEvent)).all())


def test_valid_succeeded_event_confirms_the_order_and_mails_the_tickets():
    shop = make_shop()
    order = order_for(shop)
    intent_id = pay_at_stripe_only(order)
    assert load_order(order.id).status == "pending"  # Stripe knows; we were not told yet

    r = post_webhook(intent_event("succeeded", intent_id))
    assert r.status_code == 200, r.text
    assert r.json() == {"received": True, "outcome": "confirmed"}
    confirmed = load_order(order.id)
    assert (confirmed.status, confirmed.payment_intent_id) == ("confirmed", intent_id)
    assert sold(shop.session_id) == 1
    with session_scope(readonly=True) as db:
        assert {t.status for t in db.exec(select(Ticket).where(Ticket.order_id == order.id)).all()} == {"valid"}
        buyer = db.get(User, shop.buyer_id)
    mails = outbox(buyer.email)
    assert len(mails) == 1 and confirmed.number in mails[0]["Subject"]
    kinds = {part.get_content_type() for part in mails[0].walk()}
    assert {"image/png", "text/calendar", "text/plain", "text/html"} <= kinds


def test_bad_signatures_are_refused_and_change_nothing():
    shop = make_shop()
    order = order_for(shop)
    intent_id = pay_at_stripe_only(order)
    event = intent_event("succeeded", intent_id)

    wrong_secret = post_webhook(event, secret="whsec_not_ours")
    assert (wrong_secret.status_code, wrong_secret.json()["code"]) == (400, "bad_signature")
    payload, header = signed(event)
    client = Api().client
    tampered = client.post(WEBHOOK_PATH, content=payload.replace(b"succeeded", b"succeedeD"),
                           headers={"Stripe-Signature": header})
    assert tampered.status_code == 400
    missing = client.post(WEBHOOK_PATH, content=payload)
    assert (missing.status_code, missing.json()["code"]) == (400, "bad_signature")
    too_old = post_webhook(event, at=int(time.time()) - 3600)  # outside the replay tolerance
    assert too_old.status_code == 400
    assert load_order(order.id).status == "pending" and events_recorded() == []


def test_a_replayed_event_changes_nothing_the_second_time():
    shop = make_shop(capacity=3)
    order = order_for(shop, quantity=2)
    event = intent_event("succeeded", pay_at_stripe_only(order))
    assert post_webhook(event).json()["outcome"] == "confirmed"
    again = post_webhook(event)
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert sold(shop.session_id) == 2 and len(events_recorded()) == 1


def test_events_out_of_order_follow_stripes_current_word():
    shop = make_shop()
    order = order_for(shop)
    intent_id = pay_at_stripe_only(order)
    # A stale "failed" arrives after the payment succeeded: the re-fetched intent says succeeded.
    assert post_webhook(intent_event("payment_failed", intent_id)).json()["outcome"] == "confirmed"
    assert post_webhook(intent_event("succeeded", intent_id)).json()["outcome"] == "already_confirmed"
    assert load_order(order.id).status == "confirmed" and sold(shop.session_id) == 1


def test_a_declined_card_marks_the_attempt_failed_and_keeps_the_order_payable():
    shop = make_shop()
    order = order_for(shop)
    intent_id = pay_at_stripe_only(order, card=DECLINED)
    assert post_webhook(intent_event("payment_failed", intent_id)).json()["outcome"] == "failed"
    assert load_order(order.id).status == "pending"
    with session_scope(readonly=True) as db:
        payment = db.get(Payment, intent_id)
    assert (payment.status, payment.last_error) == ("failed", "Your card was declined.")


def test_unknown_event_types_are_acknowledged_and_ignored():
    r = post_webhook(stripe_event("customer.created", {"id": "cus_123", "object": "customer"}))
    assert r.status_code == 200 and r.json()["outcome"] == "ignored"
    assert [(e.type, e.outcome) for e in events_recorded()] == [("customer.created", "ignored")]


def test_late_payment_whose_places_are_gone_is_refunded_and_the_buyer_told():
    shop = make_shop(capacity=1)
    order = order_for(shop)
    # The buyer opened the payment page in time, someone else took the only place after the
    # deadline, then the buyer paid.
    intent_id = place_taken_meanwhile(shop, order)

    r = post_webhook(intent_event("succeeded", intent_id))
    assert r.json()["outcome"] == "refund_late_payment"
    assert load_order(order.id).status == "expired" and sold(shop.session_id) == 0
    run_pending_jobs()  # the refund and the notice are jobs queued with the webhook's change
    with session_scope(readonly=True) as db:
        (refund,) = db.exec(select(Refund).where(Refund.order_id == order.id)).all()
        buyer = db.get(User, shop.buyer_id)
    assert (refund.status, refund.reason, refund.amount_minor) == ("succeeded", "late_payment", 2500)
    charge_id = charge_of(intent_id)
    assert stripe_api.retrieve_charge(charge_id) == (intent_id, 2500)  # Stripe really refunded it
    (notice,) = outbox(buyer.email)
    assert "refunded" in notice["Subject"] and "places were taken" in notice.get_payload()

    # charge.refunded for it later: recorded, nothing refunded twice.
    refunded = post_webhook(stripe_event("charge.refunded", {"id": charge_id, "object": "charge"}))
    assert refunded.json()["outcome"] == "refund_recorded"
    with session_scope(readonly=True) as db:
        assert len(db.exec(select(Refund).where(Refund.order_id == order.id)).all()) == 1


def test_late_payment_whose_places_are_still_free_confirms():
    shop = make_shop(capacity=1)
    order = order_for(shop)
    intent_id = open_intent(order)
    expire_order(order.id)
    pay_at_stripe_only(order, intent_id=intent_id)
    assert post_webhook(intent_event("succeeded", intent_id)).json()["outcome"] == "confirmed"
    assert load_order(order.id).status == "confirmed" and sold(shop.session_id) == 1


def test_localstripe_delivers_signed_events_to_the_running_api(localstripe):
    """The real thing end to end: localstripe signs and POSTs payment_intent.succeeded."""
    from tests.e2e.conftest import free_port
    from ticketing.api import app
    from ticketing.settings import get_settings

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not port_open("127.0.0.1", port):
            time.sleep(0.05)
        localstripe.register_webhook(f"http://127.0.0.1:{port}{WEBHOOK_PATH}", get_settings().stripe_webhook_secret,
                                     name="webhook-test")
        shop = make_shop()
        order = order_for(shop)
        pay_at_stripe_only(order)
        deadline = time.monotonic() + 15
        while load_order(order.id).status != "confirmed" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert load_order(order.id).status == "confirmed"
        assert "payment_intent.succeeded" in {e.type for e in events_recorded()}
    finally:
        localstripe.register_webhook("http://127.0.0.1:9/unused", "whsec_unused", name="webhook-test")
        server.should_exit = True
        thread.join(timeout=10)
