"""A workshop with a door steward and paid tickets, and short helpers to scan them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ticketing.db import session_scope
from ticketing.models import EventSession, Ticket, User
from ticketing.services import admission, cancellation, holds, orders, organizations
from ticketing.services.admission import ScanAnswer
from tests.builders import T0, Workshop, in_tx, make_buyers, make_workshop

DAY1 = T0 + timedelta(days=30)  # the workshop's Day 1 starts then (3 hours); Day 2 and 3 follow daily


@dataclass
class Door:
    ws: Workshop
    steward: uuid.UUID  # door role
    buyers: list[uuid.UUID] = field(default_factory=list)


def make_door(**settings) -> Door:
    with session_scope() as db:
        ws = make_workshop(db, **settings)
        steward, *buyers = make_buyers(db, 5)
        owner = db.get(User, ws.owner_id)
        organizations.add_member(db=db, user_id=owner.id, organization_id=ws.org_id, email=steward.email,
                                 role="door", now=T0)
        return Door(ws=ws, steward=steward.id, buyers=[b.id for b in buyers])


def buy_tickets(door: Door, buyer: uuid.UUID, type_id: uuid.UUID, quantity: int = 1, *, pay: bool = True,
                now: datetime = T0) -> list[Ticket]:
    """Tickets bought (and paid unless pay=False) by `buyer`, one per attendee."""
    h = in_tx(holds.hold_tickets, event_id=door.ws.event_id, user_id=buyer, items=[(type_id, quantity)], now=now)
    attendees = [orders.Attendee(name=f"Guest {uuid.uuid4().hex[:6]}", email=f"g{i}@example.com")
                 for i in range(quantity)]
    order = in_tx(orders.checkout, hold_id=h.id, user_id=buyer, attendees=attendees, now=now)
    if pay and order.status == "pending":
        in_tx(orders.confirm_order, order_id=order.id, now=now, payment_reference="pi_test")
    with session_scope(readonly=True) as db:
        return orders.order_tickets(db=db, order_id=order.id)


def scan(door: Door, *, now: datetime, user: uuid.UUID | None = None, event_id: uuid.UUID | None = None,
         **kwargs) -> ScanAnswer:
    return in_tx(admission.scan_ticket, event_id=event_id or door.ws.event_id, user_id=user or door.steward,
                 now=now, **kwargs)


def cancel(order_id: uuid.UUID, user_id: uuid.UUID, *, now: datetime = T0, **kwargs):
    return in_tx(cancellation.cancel_order, order_id=order_id, user_id=user_id, now=now, **kwargs)


def session_start(session_id: uuid.UUID) -> datetime:
    with session_scope(readonly=True) as db:
        return db.get(EventSession, session_id).starts_at
