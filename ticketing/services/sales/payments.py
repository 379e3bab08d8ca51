"""Payments of orders as our database sees them: PaymentIntents recorded per order, Stripe's
word applied to the order (confirm, fail, cancel, refund what cannot be kept), refunds owed,
webhook event ids recorded once. No Stripe call here: ticketing/payments/ makes those and hands
the facts in.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from ticketing.models import (
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
    StripeEvent,
    Ticket,
    TicketStatus,
)
from ticketing.services.errors import ServiceError, not_found
from ticketing.services.ledger import postings
from ticketing.services.sales.orders import confirm_order, order_state
from ticketing.services.sales.places import (
    bump_version,
    delete_claims,
    lock_capacity,
    lock_fresh,
    order_quantities,
    sessions_of_types,
)


@dataclass(frozen=True)
class IntentFacts:
    """What Stripe says about one PaymentIntent (re-fetched from Stripe, never from a payload)."""

    id: str
    order_id: uuid.UUID | None  # from the intent's metadata
    status: str  # Stripe's: succeeded | requires_payment_method | canceled | processing | ...
    amount: int
    currency: str
    error: str = ""  # last_payment_error.message
    # The charge's balance transaction, when Stripe has one (the fee is read there; None: unknown).
    balance_txn: str = ""
    fee: int | None = None


@dataclass
class Applied:
    """What applying Stripe's word did, and what must happen after commit."""

    outcome: str  # confirmed | already_confirmed | failed | canceled | pending | refund_* | unknown_order
    order_id: uuid.UUID | None = None
    refund_ids: list[uuid.UUID] = field(default_factory=list)


def payable_order(*, db: Session, order_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> Order:
    """The caller's order if it can be paid now; else a clear refusal.

    409 `order_confirmed` (already paid), `order_expired` (payment deadline passed),
    `order_cancelled`; `not_found` for anyone else's order.
    """
    order = db.get(Order, order_id)
    if order is None or order.user_id != user_id:
        raise not_found("order")
    state = order_state(order, now)
    if state == OrderStatus.confirmed.value:
        raise ServiceError("order_confirmed", "This order is already paid.")
    if state == OrderStatus.expired.value:
        raise ServiceError("order_expired", "The time to pay for this order has run out; its places were released.")
    if state == OrderStatus.cancelled.value:
        raise ServiceError("order_cancelled", "This order was cancelled.")
    return order


def current_payment(db: Session, order: Order) -> Payment | None:
    """The order's PaymentIntent to pay with now: the latest one still open."""
    if order.payment_intent_id is None:
        return None
    payment = db.get(Payment, order.payment_intent_id)
    if payment is None or payment.status != PaymentStatus.open.value:
        return None
    return payment


def retire_open_intent(*, db: Session, order: Order, now: datetime) -> str | None:
    """After a partial cancellation of an unpaid order its open intent asks for the old, larger
    total: record it cancelled and detach it from the order (so Stripe's `canceled` webhook that
    follows does not void the order); the caller cancels it at Stripe after commit. Its id, or
    None when the order has no open intent. The next payment attempt creates a fresh intent."""
    payment = current_payment(db, order)
    if payment is None:
        return None
    payment.status, payment.updated_at = PaymentStatus.canceled.value, now
    order.payment_intent_id = None
    db.add(payment)
    db.add(order)
    return payment.id


def next_attempt(db: Session, order_id: uuid.UUID) -> int:
    """1 for the first PaymentIntent of the order, then 2, 3... (part of the idempotency key)."""
    last = db.exec(select(func.max(Payment.attempt)).where(Payment.order_id == order_id)).one()
    return (last or 0) + 1


def record_payment(
    *, db: Session, order_id: uuid.UUID, intent: IntentFacts, attempt: int, now: datetime
) -> Payment:
    """Remember a PaymentIntent created for the order and make it the one to pay with.

    Idempotent: the same intent twice (a retried request reusing Stripe's idempotency key)
    returns the stored row.
    """
    order = lock_fresh(db, Order, [order_id]).get(order_id)
    if order is None:
        raise not_found("order")
    payment = db.get(Payment, intent.id)
    if payment is None:
        payment = Payment(id=intent.id, order_id=order.id, attempt=attempt, amount_minor=intent.amount,
                          currency=intent.currency.upper(), created_at=now, updated_at=now)
        db.add(payment)
    if order.status == OrderStatus.pending.value:
        order.payment_intent_id = intent.id
        db.add(order)
    db.flush()
    return payment


def record_event(*, db: Session, event_id: str, type: str, object_id: str, now: datetime) -> bool:
    """Record a Stripe event id; False when it was recorded before (a replay: do nothing).

    ON CONFLICT DO NOTHING: a concurrent delivery of the same event waits for ours to commit,
    then finds it.
    """
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(StripeEvent)
        .values(id=event_id, type=type[:100], object_id=object_id[:255], outcome="", received_at=now)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(StripeEvent.id)
    )
    return db.exec(stmt).first() is not None


def set_event_outcome(*, db: Session, event_id: str, outcome: str) -> None:
    row = db.get(StripeEvent, event_id)
    if row is not None:
        row.outcome = outcome[:64]
        db.add(row)


def event_seen(*, db: Session, event_id: str) -> bool:
    return db.get(StripeEvent, event_id) is not None


def _refunded_or_owed(db: Session, payment_id: str) -> int:
    total = db.exec(
        select(func.coalesce(func.sum(Refund.amount_minor), 0)).where(
            Refund.payment_id == payment_id, Refund.status != RefundStatus.failed.value
        )
    ).one()
    return int(total or 0)


def owe_refund(
    *, db: Session, order: Order, payment: Payment, amount_minor: int, reason: RefundReason, now: datetime
) -> Refund | None:
    """Record money to give back on a payment (capped at what is left of it); None when nothing is."""
    left = payment.amount_minor - _refunded_or_owed(db, payment.id)
    amount = min(amount_minor, left)
    if amount <= 0:
        return None
    refund = Refund(order_id=order.id, payment_id=payment.id, amount_minor=amount, currency=payment.currency,
                    reason=reason.value, created_at=now)
    db.add(refund)
    db.flush()
    return refund


def paid_payment(db: Session, order_id: uuid.UUID) -> Payment | None:
    """The payment that paid the order (the first that succeeded)."""
    return db.exec(
        select(Payment).where(Payment.order_id == order_id, Payment.status == PaymentStatus.succeeded.value)
        .order_by(Payment.updated_at, Payment.id)
    ).first()


def void_unpaid_order(*, db: Session, order: Order, now: datetime) -> None:
    """Cancel a pending order whose payment was cancelled at Stripe: places back at once.

    The buyer's cancellation policy does not apply: nothing was paid, nothing is kept.
    """
    quantities = order_quantities(db, order.id, statuses=[TicketStatus.pending.value])
    lock_capacity(db, quantities=quantities, sessions_of=sessions_of_types(db, quantities))
    delete_claims(db, order_id=order.id)
    for ticket in db.exec(select(Ticket).where(Ticket.order_id == order.id)).all():
        ticket.status = TicketStatus.cancelled.value
        db.add(ticket)
    order.status = OrderStatus.cancelled.value
    order.cancelled_at = now
    db.add(order)
    db.flush()
    bump_version(db, order.event_id)


def _book_money_in(db: Session, *, order: Order, payment: Payment, intent: IntentFacts, now: datetime,
                   cause: str) -> None:
    """The ledger's side of a succeeded payment, in this transaction: the payment and, once
    Stripe reports it, its fee. Both post once, whatever the number of deliveries."""
    # Entries of a payment are only ever posted in the transaction that marks it succeeded (and
    # by the backfill, of succeeded ones): an open or failed payment, locked here, has none, and
    # a succeeded one has its payment entry (only its fee may be missing).
    first = payment.status in (PaymentStatus.open.value, PaymentStatus.failed.value)
    postings.book_payment(db=db, order=order, payment=payment, fee=intent.fee, stripe_ref=intent.balance_txn or None,
                          at=now, cause=cause, first_success=first,
                          payment_posted=payment.status == PaymentStatus.succeeded.value)


def _confirm_or_refund(db: Session, *, order: Order, payment: Payment, now: datetime) -> Applied:
    """Money arrived: confirm the order, or refund it when the order cannot be kept."""
    already = paid_payment(db, order.id)
    if already is not None and already.id != payment.id:
        # A second intent of an order already paid (two tabs, a retried card): give it back.
        payment.status = PaymentStatus.succeeded.value
        refund = owe_refund(db=db, order=order, payment=payment, amount_minor=payment.amount_minor,
                            reason=RefundReason.duplicate, now=now)
        return Applied("refund_duplicate", order.id, [refund.id] if refund else [])
    payment.status, payment.last_error = PaymentStatus.succeeded.value, ""
    db.add(payment)
    db.flush()
    if order.status == OrderStatus.confirmed.value:
        return Applied("already_confirmed", order.id)
    try:
        # A savepoint: confirm_order may have deleted claims before refusing.
        with db.begin_nested():
            confirm_order(db=db, order_id=order.id, now=now, payment_reference=payment.id)
    except ServiceError as exc:
        if exc.code == "order_cancelled":
            reason, outcome = RefundReason.order_cancelled, "refund_cancelled_order"
        elif exc.code == "order_expired_places_gone":
            reason, outcome = RefundReason.late_payment, "refund_late_payment"
            order = lock_fresh(db, Order, [order.id])[order.id]
            if order.status == OrderStatus.pending.value:
                order.status = OrderStatus.expired.value
                db.add(order)
                bump_version(db, order.event_id)
        else:
            raise
        refund = owe_refund(db=db, order=order, payment=payment, amount_minor=payment.amount_minor,
                            reason=reason, now=now)
        return Applied(outcome, order.id, [refund.id] if refund else [])
    return Applied("confirmed", order.id)


def apply_intent(*, db: Session, intent: IntentFacts, now: datetime, cause: str = "stripe") -> Applied:
    """Apply Stripe's current word about a PaymentIntent to its order.

    Acts on the intent's state as re-fetched from Stripe, not on the event that announced it,
    so events arriving late or out of order change nothing wrong: a stale `payment_failed`
    finds the intent succeeded and confirms; a second `succeeded` finds the order confirmed.
    """
    if intent.order_id is None:
        return Applied("unknown_order")
    order = lock_fresh(db, Order, [intent.order_id]).get(intent.order_id)
    if order is None:
        return Applied("unknown_order")
    payment = lock_fresh(db, Payment, [intent.id]).get(intent.id)  # type: ignore[list-item]
    if payment is None:  # created by an earlier request that crashed before recording it
        payment = Payment(id=intent.id, order_id=order.id, attempt=next_attempt(db, order.id),
                          amount_minor=intent.amount, currency=intent.currency.upper(), created_at=now, updated_at=now)
        db.add(payment)
        db.flush()
    if payment.order_id != order.id:
        return Applied("unknown_order")
    payment.updated_at = now
    if intent.status == "succeeded":
        _book_money_in(db, order=order, payment=payment, intent=intent, now=now, cause=cause)
        return _confirm_or_refund(db, order=order, payment=payment, now=now)
    if intent.status == "canceled":
        payment.status = PaymentStatus.canceled.value
        db.add(payment)
        if order.status == OrderStatus.pending.value and order.payment_intent_id == payment.id:
            void_unpaid_order(db=db, order=order, now=now)
            return Applied("canceled", order.id)
        return Applied("pending", order.id)
    if intent.status == "requires_payment_method" and intent.error:
        payment.status, payment.last_error = PaymentStatus.failed.value, intent.error[:500]
        db.add(payment)
        return Applied("failed", order.id)
    db.add(payment)
    return Applied("pending", order.id)


@dataclass(frozen=True)
class StripeRefund:
    """One refund Stripe made on a payment, as Stripe lists it."""

    id: str
    amount: int
    balance_txn: str | None = None
    fee_returned: int = 0
    our_refund_id: str = ""  # metadata.refund_id of a refund we asked for


def record_refunded_total(*, db: Session, payment_intent_id: str, amount_refunded: int, now: datetime,
                          cause: str = "stripe", stripe_refunds: Sequence[StripeRefund] = ()) -> Applied:
    """charge.refunded: what Stripe refunded on the payment.

    With Stripe's list of refunds (the webhook reads it), each listed refund is matched to ours
    by id: one of ours still pending (its job has not heard Stripe's answer yet) is completed
    here with its balance transaction; any other is a refund made elsewhere (the Stripe
    dashboard), recorded and posted with its own amount. Refunds we owe but never sent are not
    at Stripe, so they never hide one made elsewhere. Without a list, only the total is known:
    what Stripe refunded beyond ours (confirmed or pending) is recorded as one amount."""
    payment = lock_fresh(db, Payment, [payment_intent_id]).get(payment_intent_id)  # type: ignore[list-item]
    if payment is None:
        return Applied("unknown_order")
    ours = list(db.exec(select(Refund).where(Refund.payment_id == payment.id).order_by(Refund.created_at)).all())
    order = db.get(Order, payment.order_id)
    if stripe_refunds:
        by_key = {r.stripe_refund_id: r for r in ours if r.stripe_refund_id} | {str(r.id): r for r in ours}
        for made in stripe_refunds:
            mine = by_key.get(made.id) or by_key.get(made.our_refund_id)
            if mine is None:
                _record_external_refund(db, order=order, payment=payment, amount=made.amount, made=made, now=now,
                                        cause=cause)
            elif mine.status == RefundStatus.pending.value:
                complete_refund(db=db, refund_id=mine.id, now=now, stripe_refund_id=made.id,
                                balance_txn=made.balance_txn, fee_returned=made.fee_returned, cause=cause)
        return Applied("refund_recorded", payment.order_id)
    known = sum(r.amount_minor for r in ours if r.status != RefundStatus.failed.value)
    if amount_refunded > known:
        _record_external_refund(db, order=order, payment=payment, amount=amount_refunded - known,
                                made=StripeRefund(id="", amount=amount_refunded - known), now=now, cause=cause)
    return Applied("refund_recorded", payment.order_id)


def _record_external_refund(db: Session, *, order: Order, payment: Payment, amount: int, made: StripeRefund,
                            now: datetime, cause: str) -> None:
    """A refund Stripe made that we did not ask for: recorded as done, and posted."""
    refund = Refund(order_id=payment.order_id, payment_id=payment.id, amount_minor=amount, currency=payment.currency,
                    reason="external", status=RefundStatus.succeeded.value, stripe_refund_id=made.id or None,
                    created_at=now, completed_at=now)
    db.add(refund)
    postings.post_refund(db=db, refund=refund, order=order, at=now, cause=cause, stripe_ref=made.balance_txn,
                         fee_returned=made.fee_returned)


def complete_refund(
    *, db: Session, refund_id: uuid.UUID, now: datetime, stripe_refund_id: str | None = None, error: str = "",
    balance_txn: str | None = None, fee_returned: int = 0, cause: str = "stripe",
) -> Refund:
    """Stripe answered a refund request: done (with its id; the ledger posts the money that left
    the Stripe balance and any fee Stripe gave back) or refused (with the error)."""
    refund = lock_fresh(db, Refund, [refund_id])[refund_id]
    if refund.status != RefundStatus.pending.value:
        return refund
    if stripe_refund_id:
        refund.status, refund.stripe_refund_id = RefundStatus.succeeded.value, stripe_refund_id
        postings.post_refund(db=db, refund=refund, order=db.get(Order, refund.order_id), at=now, cause=cause,
                             stripe_ref=balance_txn, fee_returned=fee_returned)
    else:
        refund.status, refund.error = RefundStatus.failed.value, error[:500]
    refund.completed_at = now
    db.add(refund)
    return refund


def pending_refund_ids(*, db: Session) -> list[uuid.UUID]:
    """Refunds recorded but not yet confirmed by Stripe (to send, or send again)."""
    return list(db.exec(select(Refund.id).where(Refund.status == RefundStatus.pending.value)
                        .order_by(Refund.created_at)).all())


def order_refunds(*, db: Session, order_id: uuid.UUID) -> list[Refund]:
    return list(db.exec(select(Refund).where(Refund.order_id == order_id).order_by(Refund.created_at)).all())


def last_payment_error(*, db: Session, order: Order) -> str:
    """The reason the latest card attempt failed ("" when none did)."""
    latest = db.exec(
        select(Payment).where(Payment.order_id == order.id).order_by(Payment.attempt.desc())
    ).first()
    return latest.last_error if latest is not None and latest.status == PaymentStatus.failed.value else ""


def refund_message(outcome: str) -> str:
    """Why a payment was refunded in full, in the buyer's words, for the page and the mail."""
    if outcome == "refund_late_payment":
        return ("Your payment arrived after your reservation expired and the places were taken meanwhile. "
                "We refunded it in full.")
    if outcome == "refund_cancelled_order":
        return "This order had been cancelled, so we refunded your payment in full."
    return "This order was already paid, so we refunded this second payment in full."
