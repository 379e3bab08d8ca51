"""Money back through Stripe: cancellations with their refund, refunds sent after commit and
retried until Stripe confirms them."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import stripe
from sqlmodel import Session

from ticketing.db import session_scope
from ticketing.jobs.queue import enqueue
from ticketing.models import OrderStatus, Payment, Refund, RefundReason, RefundStatus
from ticketing.models.base import utcnow
from ticketing.payments import stripe_api
from ticketing.services.sales import cancellation, payments

log = logging.getLogger(__name__)
# The after-commit send goes first; the periodic retry only picks up refunds older than this,
# so both never ask Stripe at the same moment.
RETRY_AFTER = timedelta(seconds=60)


def cancel_order_with_refund(
    *, db: Session, order_id: uuid.UUID, user_id: uuid.UUID, ticket_ids: Sequence[uuid.UUID] | None,
    now: datetime, by_organizer: bool = False,
) -> tuple[cancellation.Cancellation, Refund | None]:
    """cancellation.cancel_order, plus the refund it owes recorded in the same transaction and
    sent to Stripe by a job after commit; a cancelled unpaid order's intent is made unpayable."""
    done = cancellation.cancel_order(db=db, order_id=order_id, user_id=user_id, ticket_ids=ticket_ids, now=now,
                                     by_organizer=by_organizer)
    refund = None
    if done.refund_minor > 0:
        payment = payments.paid_payment(db, done.order.id)
        if payment is None:
            log.error("order %s was confirmed without a recorded payment; refund needs a person", done.order.id)
        else:
            refund = payments.owe_refund(db=db, order=done.order, payment=payment, amount_minor=done.refund_minor,
                                         reason=RefundReason.cancellation, now=now)
    if refund is not None:
        enqueue(db, "refund", refund_id=str(refund.id))
    elif done.order.status == OrderStatus.cancelled.value and done.order.payment_intent_id:
        enqueue(db, "cancel_intent", intent_id=done.order.payment_intent_id)
    elif done.order.status == OrderStatus.pending.value and done.ticket_ids:
        # Partly cancelled before payment: the open intent still asks for the old total. Cancel
        # it now, not at the next read of the payment page (it could be paid in between).
        stale = payments.retire_open_intent(db=db, order=done.order, now=now)
        if stale is not None:
            enqueue(db, "cancel_intent", intent_id=stale)
    return done, refund


def cancel_order_refunding(**kwargs: Any) -> cancellation.Cancellation:
    """cancel_order_with_refund in the shape of cancellation.cancel_order: what the organizer
    console's services are given as `cancel_order`, so its cancellations refund through Stripe."""
    done, _refund = cancel_order_with_refund(**kwargs)
    return done


def send_refund(refund_id: uuid.UUID) -> str:
    """Ask Stripe for one recorded refund; returns its status afterwards. Network trouble leaves
    it pending (retried later, same idempotency key); a refusal marks it failed for a person."""
    with session_scope(readonly=True) as db:
        refund = db.get(Refund, refund_id)
        if refund is None or refund.status != RefundStatus.pending.value:
            return refund.status if refund else "missing"
        payment = db.get(Payment, refund.payment_id)
        intent_id, amount = payment.id, refund.amount_minor
    try:
        made = stripe_api.create_refund(payment_intent_id=intent_id, amount_minor=amount, refund_id=refund_id)
        error = ""
    except stripe.InvalidRequestError as exc:
        made, error = None, str(exc.user_message or exc)
        log.error("Stripe refused refund %s: %s", refund_id, error)
    except stripe.StripeError as exc:
        log.warning("refund %s not sent yet: %s", refund_id, exc)
        return RefundStatus.pending.value
    with session_scope() as db:
        if made is None:
            return payments.complete_refund(db=db, refund_id=refund_id, now=utcnow(), error=error).status
        return payments.complete_refund(db=db, refund_id=refund_id, now=utcnow(), stripe_refund_id=made.id,
                                        balance_txn=made.balance_txn, fee_returned=made.fee_returned,
                                        cause="stripe_refund").status


def send_pending_refunds(now: datetime | None = None) -> int:
    """Send again every refund still pending a while after it was recorded; how many were sent."""
    now = now or utcnow()
    with session_scope(readonly=True) as db:
        ids = [r for r in payments.pending_refund_ids(db=db) if db.get(Refund, r).created_at <= now - RETRY_AFTER]
    return sum(send_refund(rid) == RefundStatus.succeeded.value for rid in ids)
