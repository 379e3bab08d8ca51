"""Stripe webhooks: verify the signature, record each event id once, re-fetch the object from
Stripe (a payload is only a hint: it may be stale, replayed or out of order) and apply it."""

from __future__ import annotations

from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.payments import stripe_api
from ticketing.payments.intents import apply_facts
from ticketing.services.ledger import journal, payouts
from ticketing.services.sales import payments

INTENT_EVENTS = {
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.processing",
}
CHARGE_EVENTS = {"charge.refunded"}
PAYOUT_EVENTS = {"payout.paid", "payout.failed"}


def handle_webhook(payload: bytes, signature: str | None) -> str:
    """Process one delivery; returns what it did (duplicate, ignored, confirmed, failed...).

    Raises `bad_signature` (400) for anything Stripe did not sign with our secret, and
    `payment_unavailable` / `busy` (503) when Stripe or the database cannot answer now: Stripe
    delivers again later, and the event id is only recorded with the work it caused.
    """
    event = stripe_api.verify_event(payload, signature)
    event_id, event_type = event["id"], event["type"]
    obj = event["data"]["object"]
    with session_scope(readonly=True) as db:
        if payments.event_seen(db=db, event_id=event_id):
            return "duplicate"
        # The usual second word on a paid intent (the card path booked it and its fee): no need
        # to expand its charge's balance transaction again. The payload's id is only a hint: at
        # worst the fee is read on the next delivery or by the reconciliation.
        fee_booked = event_type in INTENT_EVENTS and "stripe_fee" in journal.posted_kinds(
            db, source_type="payment", source_id=str(obj.get("id", "")))
    if event_type in INTENT_EVENTS:
        facts, _secret = stripe_api.retrieve_intent(obj["id"], with_fee=not fee_booked)
        return apply_facts(facts, event=(event_id, event_type)).outcome
    if event_type in CHARGE_EVENTS:
        intent_id, refunded = stripe_api.retrieve_charge(obj["id"])
        made = stripe_api.list_refunds(obj["id"]) if refunded else []
        with session_scope() as db:
            now = utcnow()
            if not payments.record_event(db=db, event_id=event_id, type=event_type, object_id=obj["id"], now=now):
                return "duplicate"
            outcome = "unknown_order"
            if intent_id is not None:
                outcome = payments.record_refunded_total(db=db, payment_intent_id=intent_id,
                                                         amount_refunded=refunded, now=now,
                                                         cause=f"webhook:{event_id}", stripe_refunds=made).outcome
            payments.set_event_outcome(db=db, event_id=event_id, outcome=outcome)
        return outcome
    if event_type in PAYOUT_EVENTS:
        payout = stripe_api.retrieve_payout(obj["id"])
        with session_scope() as db:
            now = utcnow()
            if not payments.record_event(db=db, event_id=event_id, type=event_type, object_id=obj["id"], now=now):
                return "duplicate"
            outcome = payouts.record_payout(db=db, payout=payout, now=now, cause=f"webhook:{event_id}")
            payments.set_event_outcome(db=db, event_id=event_id, outcome=outcome)
        return outcome
    with session_scope() as db:
        if not payments.record_event(db=db, event_id=event_id, type=event_type, object_id=str(obj.get("id", "")),
                                     now=utcnow()):
            return "duplicate"
        payments.set_event_outcome(db=db, event_id=event_id, outcome="ignored")
    return "ignored"
