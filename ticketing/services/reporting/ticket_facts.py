"""Payment and door facts about orders and tickets, for attendee lists and reports.

The one place that says what was paid, what went back, and who came in. Payments and
check-ins are other capabilities' records: money comes from the payment and refund records of
the payments capability (what Stripe took, what was given or is owed back), admissions from the
door's check-ins.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import CheckIn, Order, OrderStatus, Payment, PaymentStatus, Refund, RefundStatus


@dataclass(frozen=True)
class OrderMoney:
    paid_minor: int  # taken from the buyer (succeeded payments)
    refunded_minor: int  # given back or owed back (refunds recorded, not refused by Stripe)
    label: str  # for people: Paid, Free, Awaiting payment, Refunded, Partly refunded, Refund failed, ...


@dataclass(frozen=True)
class EventMoney:
    gross_minor: int  # every succeeded payment of the event's orders
    refunds_minor: int  # refunds sent or owed (pending at Stripe included)
    refunds_pending_minor: int  # part of refunds_minor Stripe has not confirmed yet
    refunds_failed_minor: int  # refused by Stripe: not given back, a person must look at them


def _paid(db: Session, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = db.exec(
        select(Payment.order_id, func.sum(Payment.amount_minor))
        .where(Payment.order_id.in_(order_ids), Payment.status == PaymentStatus.succeeded.value)
        .group_by(Payment.order_id)
    ).all()
    return {order_id: int(total or 0) for order_id, total in rows}


def _refunds(db: Session, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    rows = db.exec(
        select(Refund.order_id, Refund.status, func.sum(Refund.amount_minor))
        .where(Refund.order_id.in_(order_ids)).group_by(Refund.order_id, Refund.status)
    ).all()
    out: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    for order_id, status, total in rows:
        out[order_id][status] = int(total or 0)
    return out


def _label(order: Order, paid: int, refunds: dict[str, int], now: datetime) -> str:
    refunded = refunds.get(RefundStatus.pending.value, 0) + refunds.get(RefundStatus.succeeded.value, 0)
    if refunds.get(RefundStatus.failed.value):
        return "Refund failed"
    if paid > 0:
        if refunded == 0:
            return "Paid"
        return "Refunded" if refunded >= paid else "Partly refunded"
    if order.confirmed_at is not None:
        # Confirmed without money: a free order, or one confirmed outside Stripe (no record).
        return "Free" if order.total_minor == 0 else "No payment record"
    if order.status == OrderStatus.pending.value and order.payment_due_at and order.payment_due_at > now:
        return "Awaiting payment"
    return "Not paid"


def order_money(db: Session, orders: Collection[Order], now: datetime) -> dict[uuid.UUID, OrderMoney]:
    """{order id: what was paid and refunded (from the payment and refund records), and the
    payment status to show}."""
    ids = [o.id for o in orders]
    if not ids:
        return {}
    paid, refunds = _paid(db, ids), _refunds(db, ids)
    out = {}
    for o in orders:
        mine = refunds.get(o.id, {})
        refunded = mine.get(RefundStatus.pending.value, 0) + mine.get(RefundStatus.succeeded.value, 0)
        out[o.id] = OrderMoney(paid.get(o.id, 0), refunded, _label(o, paid.get(o.id, 0), mine, now))
    return out


def event_money(db: Session, event_id: uuid.UUID) -> EventMoney:
    """Money in and out of one event's orders, from the payment and refund records. Includes
    payments of orders that were never confirmed (a late or duplicate payment) and their refunds."""
    gross = db.exec(
        select(func.coalesce(func.sum(Payment.amount_minor), 0)).join(Order, Order.id == Payment.order_id)
        .where(Order.event_id == event_id, Payment.status == PaymentStatus.succeeded.value)
    ).one()
    by_status = dict(db.exec(
        select(Refund.status, func.coalesce(func.sum(Refund.amount_minor), 0)).join(Order, Order.id == Refund.order_id)
        .where(Order.event_id == event_id).group_by(Refund.status)
    ).all())
    pending = int(by_status.get(RefundStatus.pending.value, 0))
    return EventMoney(int(gross or 0), pending + int(by_status.get(RefundStatus.succeeded.value, 0)), pending,
                      int(by_status.get(RefundStatus.failed.value, 0)))


def admissions(db: Session, ticket_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, dict[uuid.UUID, datetime]]:
    """{ticket id: {session id: when admitted}} for the tickets admitted at the door."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    out: dict[uuid.UUID, dict[uuid.UUID, datetime]] = defaultdict(dict)
    for chunk in range(0, len(ids), 1000):
        rows = db.exec(
            select(CheckIn.ticket_id, CheckIn.session_id, CheckIn.checked_in_at)
            .where(CheckIn.ticket_id.in_(ids[chunk:chunk + 1000]))
        ).all()
        for ticket_id, session_id, at in rows:
            out[ticket_id][session_id] = at
    return dict(out)


def admission_counts(db: Session, event_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """{session id: tickets admitted} of the event."""
    rows = db.exec(
        select(CheckIn.session_id, func.count(CheckIn.id)).where(CheckIn.event_id == event_id)
        .group_by(CheckIn.session_id)
    ).all()
    return {session_id: int(n) for session_id, n in rows}
