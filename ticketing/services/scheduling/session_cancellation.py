"""Calling off one session (a class, a day, a performance) with the organizer's authority.

Tickets that admit only to sessions that are now all called off are cancelled and refunded
in full through the same order cancellation customers use (`cancel_order`, passed in so the
caller can give the variant that also sends the refund to Stripe). Tickets of bundles that
still have other sessions stay valid; their holders are told this date is off. The session
offers no places from then on (places.places_left), and ticket types left with no running
session are taken off sale. Calling it again finishes whatever a failed attempt left.

Lock order: each order (cancel_order: order -> sessions -> ticket types), then the session
(already locked by then when it had tickets), then the event's version bump.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from ticketing.db import lock_rows
from ticketing.models import (
    Event,
    EventSession,
    Order,
    OrderStatus,
    Ticket,
    TicketStatus,
    TicketType,
    TicketTypeSession,
    User,
)
from ticketing.services import live_changes
from ticketing.services.catalog.catalog_common import event_for_role, session_of_event
from ticketing.services.sales import cancellation
from ticketing.services.sales.places import CANCELLED_SESSION

CancelOrder = Callable[..., cancellation.Cancellation]  # cancellation.cancel_order's keywords


@dataclass(frozen=True)
class Affected:
    """One ticket touched by the cancellation, with whom to tell."""

    ticket_id: uuid.UUID
    holder_name: str
    holder_email: str
    buyer_name: str
    buyer_email: str
    order_number: str
    ticket_type: str
    cancelled: bool  # False: a bundle ticket that stays valid for its other sessions


@dataclass
class SessionCancellation:
    event: Event
    session: EventSession | None  # None when the whole event is cancelled
    affected: list[Affected] = field(default_factory=list)
    orders_cancelled: int = 0  # orders touched
    tickets_cancelled: int = 0
    refund_minor: int = 0
    currency: str = ""


def _live_tickets(db: Session, session_id: uuid.UUID) -> list[tuple[Ticket, Order, TicketType, User]]:
    """Tickets not cancelled, of live orders, whose ticket type includes the session."""
    return list(db.exec(
        select(Ticket, Order, TicketType, User)
        .join(Order, Order.id == Ticket.order_id)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .join(User, User.id == Order.user_id)
        .join(TicketTypeSession, TicketTypeSession.ticket_type_id == Ticket.ticket_type_id)
        .where(TicketTypeSession.session_id == session_id,
               Ticket.status != TicketStatus.cancelled.value,
               Order.status.in_([OrderStatus.pending.value, OrderStatus.confirmed.value]))
        .order_by(Order.id, Ticket.id)
    ).all())


def _types_left_without_sessions(db: Session, event_id: uuid.UUID, session_id: uuid.UUID) -> set[uuid.UUID]:
    """Ticket types including `session_id` whose every other session is called off too."""
    rows = db.exec(
        select(TicketTypeSession.ticket_type_id, EventSession.id, EventSession.status)
        .join(EventSession, EventSession.id == TicketTypeSession.session_id)
        .where(EventSession.event_id == event_id)
    ).all()
    sessions_of: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = defaultdict(list)
    for type_id, sid, status in rows:
        sessions_of[type_id].append((sid, status))
    return {
        type_id for type_id, sessions in sessions_of.items()
        if any(sid == session_id for sid, _ in sessions)
        and all(sid == session_id or status == CANCELLED_SESSION for sid, status in sessions)
    }


def cancel_session(
    *,
    db: Session,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    now: datetime,
    cancel_order: CancelOrder = cancellation.cancel_order,
) -> SessionCancellation:
    """Call off a session (owner/organizer): cancel and refund the tickets that admitted only
    to it (and to sessions already called off), take its place offer and the ticket types left
    without sessions off sale. Tickets already used at the door are left alone."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    session = session_of_event(db, event=event, session_id=session_id)
    result = SessionCancellation(event=event, session=session)
    doomed_types = _types_left_without_sessions(db, event.id, session.id)
    live = _live_tickets(db, session.id)
    admitted = cancellation.checked_in_ticket_ids(db, [t.id for t, *_ in live])

    by_order: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for ticket, order, ticket_type, buyer in live:
        cancel = ticket_type.id in doomed_types and ticket.id not in admitted
        if cancel:
            by_order[order.id].append(ticket.id)
        result.affected.append(Affected(
            ticket.id, ticket.holder_name, ticket.holder_email, buyer.name, buyer.email, order.number,
            ticket_type.name, cancel,
        ))
        result.currency = result.currency or order.currency
    for order_id in sorted(by_order):
        done = cancel_order(db=db, order_id=order_id, user_id=user_id, ticket_ids=by_order[order_id], now=now,
                            by_organizer=True)
        result.orders_cancelled += 1
        result.tickets_cancelled += len(done.ticket_ids)
        result.refund_minor += done.refund_minor

    (locked,) = lock_rows(db, EventSession, [session.id])
    db.refresh(locked)
    locked.status = CANCELLED_SESSION
    db.add(locked)
    if doomed_types:
        for ticket_type in lock_rows(db, TicketType, sorted(doomed_types)):
            ticket_type.is_active = False
            db.add(ticket_type)
    db.flush()
    live_changes.bump_event_version(db=db, event_id=event.id, structure=True)
    result.session = locked
    return result
