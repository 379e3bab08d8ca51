"""Payment and door facts about orders and tickets, for attendee lists and reports.

The one place that says what was paid, what went back, and who came in. Payments and
check-ins are other capabilities' records: money comes from the orders themselves (an order
confirmed with a total was paid; organizer cancellations refund in full, so what was paid beyond
the tickets still valid went back); admissions come from the door's check-ins.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import CheckIn, Order, OrderItem, OrderStatus, Ticket, TicketStatus


@dataclass(frozen=True)
class OrderMoney:
    paid_minor: int  # taken from the buyer
    refunded_minor: int  # given back
    label: str  # for people: Paid, Free, Awaiting payment, Refunded, Partly refunded, Not paid


def _valid_value(db: Session, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = db.exec(
        select(Ticket.order_id, func.coalesce(func.sum(OrderItem.unit_price_minor), 0))
        .join(OrderItem, OrderItem.id == Ticket.order_item_id)
        .where(Ticket.order_id.in_(order_ids), Ticket.status != TicketStatus.cancelled.value)
        .group_by(Ticket.order_id)
    ).all()
    return {order_id: int(value) for order_id, value in rows}


def order_money(db: Session, orders: Collection[Order], now: datetime) -> dict[uuid.UUID, OrderMoney]:
    """{order id: what was paid and refunded, and the payment status to show}."""
    ids = [o.id for o in orders]
    if not ids:
        return {}
    valid = _valid_value(db, ids)
    out = {}
    for o in orders:
        if o.confirmed_at is None:  # never paid
            if o.status == OrderStatus.pending.value and o.payment_due_at and o.payment_due_at > now:
                label = "Awaiting payment"
            else:
                label = "Not paid"
            out[o.id] = OrderMoney(0, 0, label)
            continue
        paid = o.total_minor
        refunded = max(paid - valid.get(o.id, 0), 0)
        if paid == 0:
            label = "Free"
        elif refunded == 0:
            label = "Paid"
        elif refunded >= paid:
            label = "Refunded"
        else:
            label = "Partly refunded"
        out[o.id] = OrderMoney(paid, refunded, label)
    return out


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
