"""Demo data of broker mode (seed 002): a ticket agency with two suppliers, purchase orders for
part of a theatre's seats and for places of an open-air concert, marked-up retail prices, and a
few sales, so the Profit page has figures on first run.

The demo's sales are confirmed directly (as if paid at a box office): they have no Stripe payment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from ticketing.demo_seating import THEATRE, seated_event
from ticketing.models import EventSeat, Seat, User
from ticketing.models.base import utcnow
from ticketing.services import catalog
from ticketing.services.accounts import organizations
from ticketing.services.broker import inventory, modes, pricing, purchase_orders, supplier_payments, suppliers
from ticketing.services.broker.purchase_orders import LineIn
from ticketing.services.sales import holds, orders
from ticketing.services.seating import seat_sales
from ticketing.services.seating.seating import list_price_levels

AGENCY_SLUG = "citywide-tickets"


def _seat_ids(db: Session, session_id, section: str, rows: list[str]) -> list:
    return list(db.exec(select(EventSeat.id).join(Seat, Seat.id == EventSeat.seat_id)
                        .where(EventSeat.session_id == session_id, Seat.section == section, Seat.row.in_(rows))
                        .order_by(EventSeat.idx)).all())


def _sell(db: Session, *, event_id, buyer: User, now: datetime, session_id=None, idxs=(), ticket_type_id=None,
          quantity: int = 0) -> None:
    if idxs:
        hold = seat_sales.hold_seats(db=db, event_id=event_id, session_id=session_id, user_id=buyer.id,
                                     idxs=list(idxs), now=now).hold
    else:
        hold = holds.hold_tickets(db=db, event_id=event_id, user_id=buyer.id, items=[(ticket_type_id, quantity)],
                                  now=now)
    order = orders.checkout(db=db, hold_id=hold.id, user_id=buyer.id, attendees=None, now=now)
    orders.confirm_order(db=db, order_id=order.id, now=now, payment_reference=None)


def demo_agency(db: Session, *, agent: User, customer: User, start: datetime, tz: str) -> None:
    """The agency "Citywide Tickets" (owner `agent`), its suppliers, orders, prices and sales."""
    now = utcnow()
    org = organizations.create_organization(db=db, user_id=agent.id, name="Citywide Tickets", slug=AGENCY_SLUG,
                                            now=now)
    venue = suppliers.create_supplier(db=db, user_id=agent.id, organization_id=org.id, now=now,
                                      name="Riverside Theatre Ltd", kind="venue_owner", contact_name="Rosa Reyes",
                                      email="boxoffice@riverside.test", payment_terms_days=30, credit_limit="20000.00")
    promoter = suppliers.create_supplier(db=db, user_id=agent.id, organization_id=org.id, now=now,
                                         name="Northlight Promotions", kind="promoter", contact_name="Noah Lind",
                                         email="deals@northlight.test", payment_terms_days=14)
    # A seated play: the agency buys the front stalls from the venue and two circle rows from the promoter.
    play, show = seated_event(db, owner=agent, org=org, title="The Tempest — Riverside Theatre", layout=THEATRE,
                              starts_at=start, tz=tz, bands=[("Stalls", "45.00", "#2563eb", None),
                                                             ("Circle", "29.00", "#0d9488", ["Circle"]),
                                                             ("Boxes", "65.00", "#7c3aed", ["Box L", "Box R"])])
    modes.enable_broker_mode(db=db, user_id=agent.id, event_id=play.id, now=now)
    po1 = purchase_orders.create_purchase_order(
        db=db, user_id=agent.id, organization_id=org.id, supplier_id=venue.id, event_id=play.id, currency="EUR",
        lines=[LineIn(unit_cost="31.50", seat_ids=_seat_ids(db, show.id, "Stalls", list("ABCDEF")))], now=now,
        fulfillment_method="pdf_delivery", notes="Front stalls, rows A-F")
    po2 = purchase_orders.create_purchase_order(
        db=db, user_id=agent.id, organization_id=org.id, supplier_id=promoter.id, event_id=play.id, currency="EUR",
        lines=[LineIn(unit_cost="17.00", seat_ids=_seat_ids(db, show.id, "Circle", ["A", "B"]))], now=now,
        fulfillment_method="electronic_transfer")
    levels = {lv.name: lv.id for lv in list_price_levels(db, play.id)}
    pricing.set_retail_rule(db=db, user_id=agent.id, event_id=play.id, price_level_id=levels["Stalls"],
                            markup_percent="40", rounding="ninety_nine", now=now)
    pricing.set_retail_rule(db=db, user_id=agent.id, event_id=play.id, price_level_id=levels["Circle"],
                            markup_fixed="9.00", rounding="whole", now=now)
    for po in (po1, po2):
        inventory.confirm_purchase_order(db=db, user_id=agent.id, po_id=po.id, now=now)
    supplier_payments.pay_supplier(db=db, user_id=agent.id, po_id=po1.id, amount="1000.00", now=now,
                                   reference="Deposit")
    # An open-air concert sold by quantity.
    concert = catalog.create_event(db=db, user_id=agent.id, organization_id=org.id, now=now,
                                   title="Harbour Lights — Open Air", description="Bands by the water until late.",
                                   location="Harbour Park", category="Concert", timezone=tz, max_tickets_per_order=8)
    night = catalog.create_session(db=db, user_id=agent.id, event_id=concert.id, name="Open air night",
                                   starts_at=start + timedelta(days=9), ends_at=start + timedelta(days=9, hours=5),
                                   capacity=2000, now=now)
    ga = catalog.create_ticket_type(db=db, user_id=agent.id, event_id=concert.id, name="General admission",
                                    price="39.00", currency="EUR", session_ids=[night.session.id], now=now)
    modes.enable_broker_mode(db=db, user_id=agent.id, event_id=concert.id, now=now)
    catalog.publish_event(db=db, user_id=agent.id, event_id=concert.id, now=now)
    po3 = purchase_orders.create_purchase_order(
        db=db, user_id=agent.id, organization_id=org.id, supplier_id=promoter.id, event_id=concert.id,
        currency="EUR", lines=[LineIn(unit_cost="24.00", ticket_type_id=ga.ticket_type.id, quantity=200)], now=now,
        fulfillment_method="mobile_transfer")
    inventory.confirm_purchase_order(db=db, user_id=agent.id, po_id=po3.id, now=now)
    # Some sales.
    stalls = [i for i in db.exec(select(EventSeat.idx).where(EventSeat.id.in_(
        _seat_ids(db, show.id, "Stalls", ["C"])))).all()][:4]
    _sell(db, event_id=play.id, buyer=customer, now=now, session_id=show.id, idxs=stalls)
    circle = sorted(db.exec(select(EventSeat.idx).where(EventSeat.id.in_(
        _seat_ids(db, show.id, "Circle", ["A"])))).all())[10:12]
    _sell(db, event_id=play.id, buyer=customer, now=now, session_id=show.id, idxs=circle)
    _sell(db, event_id=concert.id, buyer=customer, now=now, ticket_type_id=ga.ticket_type.id, quantity=6)
