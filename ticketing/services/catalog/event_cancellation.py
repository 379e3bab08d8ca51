"""Cancelling a whole event from the console: every live order is cancelled and refunded in
full with the organizer's authority, then the event is cancelled (catalog frozen, nothing more
can be bought). Orders go first so the lock order stays order -> sessions -> ticket types ->
event, as in every purchase."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlmodel import Session, select

from ticketing.models import Order, OrderStatus, Ticket, TicketStatus, TicketType, User
from ticketing.services import catalog
from ticketing.services.catalog.catalog_common import event_for_role
from ticketing.services.sales import cancellation
from ticketing.services.scheduling.session_cancellation import Affected, CancelOrder, SessionCancellation


def cancel_event_with_orders(
    *, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, now: datetime,
    cancel_order: CancelOrder = cancellation.cancel_order,
) -> SessionCancellation:
    """Cancel the event and every pending or confirmed order of it (owner/organizer).
    The result's `session` is None; `affected` lists every cancelled ticket for the emails."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    rows = db.exec(
        select(Ticket, Order, TicketType, User)
        .join(Order, Order.id == Ticket.order_id)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .join(User, User.id == Order.user_id)
        .where(Order.event_id == event.id, Ticket.status != TicketStatus.cancelled.value,
               Order.status.in_([OrderStatus.pending.value, OrderStatus.confirmed.value]))
        .order_by(Order.id, Ticket.id)
    ).all()
    result = SessionCancellation(event=event, session=None)
    admitted = cancellation.checked_in_ticket_ids(db, [t.id for t, *_ in rows])  # used tickets stay
    by_order: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for ticket, order, ticket_type, buyer in rows:
        if ticket.id in admitted:
            continue
        by_order[order.id].append(ticket.id)
        result.affected.append(Affected(ticket.id, ticket.holder_name, ticket.holder_email, buyer.name, buyer.email,
                                        order.number, ticket_type.name, True))
        result.currency = result.currency or order.currency
    for order_id in sorted(by_order):
        done = cancel_order(db=db, order_id=order_id, user_id=user_id, ticket_ids=by_order[order_id], now=now,
                            by_organizer=True)
        result.orders_cancelled += 1
        result.tickets_cancelled += len(done.ticket_ids)
        result.refund_minor += done.refund_minor
    result.event = catalog.cancel_event(db=db, user_id=user_id, event_id=event.id, now=now)
    return result
