"""What each ticket of a broker event cost and earned, written once when its order is confirmed.

A seat's cost is its owned-seat record (the sum over the seats of a ticket that admits to
several seated sessions); a general-admission unit takes the cost of the oldest confirmed line
of its ticket type that still has unsold units (first in, first out). Retail is the unit price
the buyer's order locked; the discount is the ticket's share of its line's promo-code discount
(as a partial cancellation refunds it); fees are 0 until payment fees are known per ticket;
margin = retail - discount - fees - cost.

Imported by the sales path (orders.py), so it imports nothing that imports sales back.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import (
    BrokerEvent,
    EventSeat,
    Order,
    OrderItem,
    OwnedSeat,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Ticket,
    TicketSale,
    TicketSeat,
    TicketStatus,
)
from ticketing.services.ledger import broker_postings
from ticketing.services.promotions.ticket_prices import ticket_prices

OWNING = (PurchaseOrderStatus.confirmed.value, PurchaseOrderStatus.partially_received.value,
          PurchaseOrderStatus.completed.value)


def sold_by_line(db: Session, line_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Valid (not cancelled) tickets sold from each general-admission line."""
    if not line_ids:
        return {}
    rows = db.exec(select(TicketSale.line_id, func.count()).join(Ticket, Ticket.id == TicketSale.ticket_id)
                   .where(TicketSale.line_id.in_(list(line_ids)), TicketSale.event_seat_id.is_(None),
                          Ticket.status == TicketStatus.valid.value)
                   .group_by(TicketSale.line_id)).all()
    return {line_id: int(n) for line_id, n in rows}


def _ga_lines(db: Session, ticket_type_id: uuid.UUID) -> list[tuple[PurchaseOrderLine, PurchaseOrder]]:
    """Confirmed general-admission lines of the type, oldest first."""
    return list(db.exec(select(PurchaseOrderLine, PurchaseOrder)
                        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
                        .where(PurchaseOrderLine.ticket_type_id == ticket_type_id,
                               PurchaseOrder.status.in_(OWNING))
                        .order_by(PurchaseOrder.approved_at, PurchaseOrder.number, PurchaseOrderLine.position)).all())


def record_sale_costs(db: Session, *, order: Order, now: datetime) -> int:
    """TicketSale rows for the order's valid tickets that have none yet (the caller holds the
    locks of the order's sessions and ticket types); returns how many were written. Events
    outside broker mode record nothing."""
    if db.get(BrokerEvent, order.event_id) is None:
        return 0
    tickets = db.exec(select(Ticket.id, Ticket.ticket_type_id, OrderItem.unit_price_minor)
                      .join(OrderItem, OrderItem.id == Ticket.order_item_id)
                      .outerjoin(TicketSale, TicketSale.ticket_id == Ticket.id)
                      .where(Ticket.order_id == order.id, Ticket.status == TicketStatus.valid.value,
                             TicketSale.ticket_id.is_(None))
                      .order_by(Ticket.created_at, Ticket.id)).all()
    if not tickets:
        return 0
    prices = ticket_prices(db, [order.id])
    seats: dict[uuid.UUID, list[tuple[OwnedSeat | None, EventSeat]]] = {}
    for ticket_id, owned, seat in db.exec(
            select(TicketSeat.ticket_id, OwnedSeat, EventSeat)
            .join(EventSeat, EventSeat.id == TicketSeat.event_seat_id)
            .outerjoin(OwnedSeat, OwnedSeat.event_seat_id == TicketSeat.event_seat_id)
            .where(TicketSeat.ticket_id.in_([t[0] for t in tickets]))).all():
        seats.setdefault(ticket_id, []).append((owned, seat))
    lines: dict[uuid.UUID, list[tuple[PurchaseOrderLine, PurchaseOrder]]] = {}
    left: dict[uuid.UUID, int] = {}
    rows = []
    for ticket_id, type_id, retail in tickets:
        values = {"supplier_id": None, "purchase_order_id": None, "line_id": None, "price_level_id": None,
                  "event_seat_id": None, "unit_cost_minor": 0}
        if ticket_id in seats:
            pairs = seats[ticket_id]
            first_owned, first_seat = pairs[0]
            values.update(event_seat_id=first_seat.id, price_level_id=first_seat.price_level_id,
                          unit_cost_minor=sum(o.unit_cost_minor for o, _ in pairs if o is not None))
            if first_owned is not None:
                values.update(supplier_id=first_owned.supplier_id, purchase_order_id=first_owned.purchase_order_id,
                              line_id=first_owned.line_id)
        else:
            if type_id not in lines:
                lines[type_id] = _ga_lines(db, type_id)
                sold = sold_by_line(db, [ln.id for ln, _ in lines[type_id]])
                left.update({ln.id: ln.quantity - ln.returned_quantity - sold.get(ln.id, 0)
                             for ln, _ in lines[type_id]})
            for line, po in lines[type_id]:
                if left[line.id] > 0:
                    left[line.id] -= 1
                    values.update(supplier_id=po.supplier_id, purchase_order_id=po.id, line_id=line.id,
                                  unit_cost_minor=line.unit_cost_minor)
                    break
        discount, fees = prices[ticket_id].discount_minor if ticket_id in prices else 0, 0
        rows.append(TicketSale(ticket_id=ticket_id, order_id=order.id, event_id=order.event_id, ticket_type_id=type_id,
                               currency=order.currency, retail_minor=retail, discount_minor=discount, fees_minor=fees,
                               margin_minor=retail - discount - fees - values["unit_cost_minor"], sold_at=now,
                               **values))
    db.add_all(rows)
    db.flush()
    broker_postings.post_cost_of_sale(db=db, order=order, sales=rows, at=now, cause=f"order:{order.number}")
    return len(rows)
