"""A workshop with a door steward and paid tickets, and short helpers to scan them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tests.builders import T0, Workshop, in_tx, make_buyers, make_workshop
from ticketing.db import session_scope
from ticketing.models import EventSession, Ticket, User
from ticketing.services.accounts import organizations
from ticketing.services.door import admission
from ticketing.services.door.admission import ScanAnswer
from ticketing.services.sales import cancellation, holds, orders, ticket_holders

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
    attendees = [ticket_holders.Attendee(name=f"Guest {uuid.uuid4().hex[:6]}", email=f"g{i}@example.com")
                 for i in range(quantity)]
    order = in_tx(orders.checkout, hold_id=h.id, user_id=buyer, attendees=attendees, now=now)
    if pay and order.status == "pending":
        in_tx(orders.confirm_order, order_id=order.id, now=now, payment_reference="pi_test")
    with session_scope(readonly=True) as db:
        return orders.order_tickets(db=db, order_id=order.id)


def scan(door: Door, *, now: datetime, user: uuid.UUID | None = None, event_id: uuid.UUID | None = None,
         **kwargs) -> ScanAnswer:
    """A scan as the API route runs it (its own connection scope)."""
    return admission.scan_at_door(event_id=event_id or door.ws.event_id, user_id=user or door.steward, now=now,
                                  **kwargs)


def cancel(order_id: uuid.UUID, user_id: uuid.UUID, *, now: datetime = T0, **kwargs):
    return in_tx(cancellation.cancel_order, order_id=order_id, user_id=user_id, now=now, **kwargs)


def session_start(session_id: uuid.UUID) -> datetime:
    with session_scope(readonly=True) as db:
        return db.get(EventSession, session_id).starts_at


@dataclass
class LiveEvent:
    """An event happening now (the API and the browser use the real clock)."""

    org_id: uuid.UUID
    event_id: uuid.UUID
    owner: uuid.UUID
    steward: uuid.UUID
    buyer: uuid.UUID
    today: uuid.UUID  # running now
    tomorrow: uuid.UUID
    today_only: uuid.UUID  # ticket types
    both_days: uuid.UUID


def make_live_event(*, title: str = "Harbour Jazz Night", steward_email: str | None = None,
                    steward_password: str | None = None, owner_email: str | None = None) -> LiveEvent:
    """A published event whose first session runs now, with a door steward and an owner
    (optionally with real passwords, for browser sign-in) and a buyer."""
    from tests.builders import make_event, make_session, make_ticket_type
    from tests.factories import make_org
    from ticketing.models.base import utcnow
    from ticketing.services.accounts import accounts

    now = utcnow().replace(microsecond=0)
    with session_scope() as db:
        owner, buyer = make_buyers(db, 2, name="Person")
        if owner_email:
            owner = accounts.register_user(db=db, email=owner_email, password=steward_password or "door-password",
                                           name="Olive Owner", now=now)
        if steward_email:
            steward = accounts.register_user(db=db, email=steward_email, password=steward_password or "door-password",
                                             name="Dana Door", now=now)
        else:
            steward = make_buyers(db, 1, name="Steward")[0]
        org = make_org(db, owner=owner, now=now)
        organizations.add_member(db=db, user_id=owner.id, organization_id=org.id, email=steward.email, role="door",
                                 now=now)
        event = make_event(db, org=org, title=title, max_tickets_per_order=50)
        today = make_session(db, event=event, name="Friday night", capacity=500, starts_at=now - timedelta(hours=1))
        tomorrow = make_session(db, event=event, name="Saturday night", capacity=500, starts_at=now + timedelta(days=1))
        today_only = make_ticket_type(db, event=event, name="Friday ticket", sessions=[today])
        both = make_ticket_type(db, event=event, name="Weekend pass", sessions=[today, tomorrow])
        return LiveEvent(org.id, event.id, owner.id, steward.id, buyer.id, today.id, tomorrow.id, today_only.id,
                         both.id)


def buy_live(live: LiveEvent, type_id: uuid.UUID, names: list[str], *, pay: bool = True) -> list[Ticket]:
    """Tickets for `names` (free tickets confirm at once; pay=False leaves a priced order unpaid)."""
    from ticketing.models import TicketType
    from ticketing.models.base import utcnow

    now = utcnow()
    if not pay:
        with session_scope() as db:
            db.get(TicketType, type_id).price_minor = 2500
    h = in_tx(holds.hold_tickets, event_id=live.event_id, user_id=live.buyer, items=[(type_id, len(names))], now=now)
    attendees = [ticket_holders.Attendee(name=n, email=f"{uuid.uuid4().hex[:8]}@example.com") for n in names]
    order = in_tx(orders.checkout, hold_id=h.id, user_id=live.buyer, attendees=attendees, now=now)
    if not pay:
        with session_scope() as db:
            db.get(TicketType, type_id).price_minor = 0
    with session_scope(readonly=True) as db:
        return orders.order_tickets(db=db, order_id=order.id)


def token_for(user_id: uuid.UUID) -> str:
    from ticketing.models.base import utcnow
    from ticketing.services.accounts.tokens import issue_token

    return issue_token(user_id=user_id, token_version=1, now=utcnow())
