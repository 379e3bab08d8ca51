"""Paying an order: one PaymentIntent per attempt, the card charged through Stripe, and
Stripe's word applied to the order (the same path the webhook takes).

Stripe is called outside database transactions; what it says is recorded in short ones.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from ticketing.db import session_scope
from ticketing.jobs.queue import enqueue
from ticketing.models import Order
from ticketing.models.base import utcnow
from ticketing.payments import stripe_api
from ticketing.services.errors import ServiceError, not_found
from ticketing.services.sales import payments
from ticketing.services.sales.payments import Applied, IntentFacts, refund_message

log = logging.getLogger(__name__)
# Intent states in which the customer can still pay with it.
PAYABLE = {"requires_payment_method", "requires_confirmation", "requires_action"}


@dataclass(frozen=True)
class PaymentStart:
    payment_intent_id: str
    client_secret: str
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class CardResult:
    """What happened to a card payment, for the page: succeeded (order confirmed), requires_action
    (3-D Secure in the browser, then sync), failed (message says why), processing."""

    status: str
    message: str = ""
    client_secret: str = ""
    outcome: str = ""


def _queue_follow_ups(db, applied: Applied) -> None:
    """Side effects of applying Stripe's word, queued as jobs in its transaction (they run after
    commit, never in the webhook's or the payment's request): refunds, then emails."""
    for refund_id in applied.refund_ids:
        enqueue(db, "refund", refund_id=str(refund_id))
    if applied.order_id is not None:
        if applied.outcome == "confirmed":
            enqueue(db, "order_confirmation", order_id=str(applied.order_id))
        elif applied.outcome in ("refund_late_payment", "refund_cancelled_order"):
            enqueue(db, "payment_refunded_notice", order_id=str(applied.order_id), outcome=applied.outcome)


def apply_facts(facts: IntentFacts, *, event: tuple[str, str] | None = None) -> Applied:
    """Record Stripe's word on an intent (and the webhook event that brought it, once) in one
    transaction; refunds and emails are jobs queued with it. A replayed event changes nothing."""
    with session_scope() as db:
        return apply_facts_in(db, facts, event=event, now=utcnow())


def apply_facts_in(db, facts: IntentFacts, *, now, event: tuple[str, str] | None = None) -> Applied:
    """apply_facts in the caller's transaction (the follow-up jobs commit with it)."""
    if event is not None:
        event_id, event_type = event
        if not payments.record_event(db=db, event_id=event_id, type=event_type, object_id=facts.id, now=now):
            return Applied("duplicate")
    cause = f"webhook:{event[0]}" if event is not None else "stripe_api"
    applied = payments.apply_intent(db=db, intent=facts, now=now, cause=cause)
    if event is not None:
        payments.set_event_outcome(db=db, event_id=event[0], outcome=applied.outcome)
    _queue_follow_ups(db, applied)
    return applied


def ensure_payment_intent(*, order_id: uuid.UUID, user_id: uuid.UUID) -> PaymentStart:
    """The intent to pay the caller's order with: the open one when it still fits the order's
    total, else a new one (the old one is cancelled so it can never be charged too)."""
    with session_scope(readonly=True) as db:
        order = payments.payable_order(db=db, order_id=order_id, user_id=user_id, now=utcnow())
        current = payments.current_payment(db, order)
        # A declined intent is replaced; cancelling it means it can never be charged as well.
        stale = order.payment_intent_id if current is None else None
        attempt = payments.next_attempt(db, order.id)
        number, total, currency = order.number, order.total_minor, order.currency
    if total <= 0:
        raise ServiceError("nothing_to_pay", "This order is free: there is nothing to pay.")
    if current is not None:
        facts, secret = stripe_api.retrieve_intent(current.id)
        if facts.status in PAYABLE and facts.amount == total and not facts.error:
            return PaymentStart(current.id, secret, total, currency)
        if facts.status == "succeeded":
            apply_facts(facts)
            raise ServiceError("order_confirmed", "This order is already paid.")
        stale = current.id
    facts, secret = stripe_api.create_payment_intent(order_id=order_id, order_number=number, amount_minor=total,
                                                     currency=currency, attempt=attempt)
    with session_scope() as db:
        payments.record_payment(db=db, order_id=order_id, intent=facts, attempt=attempt, now=utcnow())
    if stale is not None:
        stripe_api.cancel_intent(stale)
    return PaymentStart(facts.id, secret, total, currency)


def pay_with_card(*, order_id: uuid.UUID, user_id: uuid.UUID, token_id: str) -> CardResult:
    """Charge the card Stripe.js tokenized in the browser for the caller's order.

    The card number never reaches us. The order is confirmed from Stripe's answer to our own
    server-to-server call (and again, harmlessly, by the webhook that follows).
    """
    if not token_id or not isinstance(token_id, str) or len(token_id) > 255:
        raise ServiceError("invalid_input", "The card form did not return a card.")
    start = ensure_payment_intent(order_id=order_id, user_id=user_id)
    facts = stripe_api.charge_card(payment_intent_id=start.payment_intent_id, token_id=token_id)
    applied = apply_facts(facts)
    if facts.status == "succeeded":
        if applied.outcome in ("confirmed", "already_confirmed"):
            return CardResult("succeeded", outcome=applied.outcome)
        return CardResult("refunded", refund_message(applied.outcome), outcome=applied.outcome)
    if facts.status == "requires_action":
        return CardResult("requires_action", client_secret=start.client_secret)
    if facts.status == "processing":
        return CardResult("processing", "Your bank is processing the payment; we will email you when it is done.")
    reason = facts.error or "The payment did not go through."
    return CardResult("failed", f"{reason} Nothing was charged: check the details or try another card.")


def sync_payment(*, order_id: uuid.UUID, user_id: uuid.UUID) -> Applied:
    """Ask Stripe about the order's latest intent and apply its answer (after 3-D Secure in the
    browser, or when a webhook is late)."""
    with session_scope(readonly=True) as db:
        order = db.get(Order, order_id)
        if order is None or order.user_id != user_id:
            raise not_found("order")
        intent_id = order.payment_intent_id
    if intent_id is None:
        return Applied("pending", order_id)
    facts, _secret = stripe_api.retrieve_intent(intent_id)
    return apply_facts(facts)
