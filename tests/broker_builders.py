"""A broker event built through the services: a seated session (every seat not owned at first)
and a general-admission ticket type, an agency with two suppliers, and helpers to buy inventory
and sell it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from tests.builders import T0, in_tx, make_buyers, make_session, make_ticket_type
from tests.seating_builders import SMALL_HALL, SeatedEvent, make_seated_event
from ticketing.db import session_scope
from ticketing.models import Event
from ticketing.services.broker import inventory, modes, purchase_orders, suppliers
from ticketing.services.broker.purchase_orders import LineIn
from ticketing.services.sales import holds, orders


def make_broker_event(db: Session, *, layout: dict[str, Any] = SMALL_HALL, ga_capacity: int = 100,
                      **settings: Any) -> SeatedEvent:
    """A seated show (bands Front 50.00 on Stalls) plus a general-admission standing type on
    its own session, in broker mode, with suppliers `Venue` and `Promoter` and four buyers."""
    se = make_seated_event(db, layout=layout, bands=[("Front", 5000, None)], **settings)
    event = db.get(Event, se.event_id)
    standing = make_session(db, event=event, name="Standing", capacity=ga_capacity)
    ga = make_ticket_type(db, event=event, name="Standing", sessions=[standing], price_minor=2000, sort_order=5)
    modes.enable_broker_mode(db=db, user_id=se.owner_id, event_id=se.event_id, now=T0)
    se.extra["ga_type"], se.extra["ga_session"] = ga.id, standing.id
    se.extra["suppliers"] = {
        name: suppliers.create_supplier(db=db, user_id=se.owner_id, organization_id=se.org_id, name=name, kind=kind,
                                        now=T0).id
        for name, kind in (("Venue", "venue_owner"), ("Promoter", "promoter"))}
    se.extra["buyers"] = [u.id for u in make_buyers(db, 4)]
    return se


def draft(se: SeatedEvent, *, supplier: str = "Venue", seats: list[int] = (), cost: str = "30.00",
          quantity: int = 0, ga_cost: str = "10.00", now: datetime = T0) -> uuid.UUID:
    """A draft purchase order: the seats at these map indexes and/or `quantity` standing places."""
    lines = []
    if seats:
        lines.append(LineIn(unit_cost=cost, seat_ids=se.ids(*seats)))
    if quantity:
        lines.append(LineIn(unit_cost=ga_cost, ticket_type_id=se.extra["ga_type"], quantity=quantity))
    po = in_tx(purchase_orders.create_purchase_order, user_id=se.owner_id, organization_id=se.org_id,
               supplier_id=se.extra["suppliers"][supplier], event_id=se.event_id, currency="EUR", lines=lines, now=now)
    return po.id


def bought(se: SeatedEvent, **kw: Any) -> uuid.UUID:
    """A confirmed purchase order (see draft)."""
    po_id = draft(se, **kw)
    in_tx(inventory.confirm_purchase_order, user_id=se.owner_id, po_id=po_id, now=kw.get("now", T0))
    return po_id


def sell(se: SeatedEvent, buyer: uuid.UUID, *, seats: list[int] = (), quantity: int = 0,
         now: datetime = T0, pay: bool = True, promo_code: str | None = None):
    """Hold (with `promo_code` for general admission), check out and (when `pay`) confirm: the order."""
    from ticketing.services.seating import seat_sales

    with session_scope() as db:
        if seats:
            hold = seat_sales.hold_seats(db=db, event_id=se.event_id, session_id=se.session_id, user_id=buyer,
                                         idxs=list(seats), now=now).hold
        else:
            hold = holds.hold_tickets(db=db, event_id=se.event_id, user_id=buyer,
                                      items=[(se.extra["ga_type"], quantity)], now=now, promo_code=promo_code)
        hold_id = hold.id
    order = in_tx(orders.checkout, hold_id=hold_id, user_id=buyer, attendees=None, now=now + timedelta(seconds=5))
    if pay:
        in_tx(orders.confirm_order, order_id=order.id, now=now + timedelta(seconds=10))
    return order
