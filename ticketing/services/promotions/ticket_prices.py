"""What each ticket of an order cost: its line's unit price and its share of the line's promo
discount. One reading for every use: a partial cancellation refunds unit price - share, the
broker's sale records carry the share, reports count the same figures."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import Session, select

from ticketing.models import OrderItem, Ticket, TicketStatus
from ticketing.services.promotions.discounts import ticket_shares


@dataclass(frozen=True, slots=True)
class TicketPrice:
    order_id: uuid.UUID
    unit_price_minor: int
    discount_minor: int
    cancelled: bool

    @property
    def paid_minor(self) -> int:
        return self.unit_price_minor - self.discount_minor


def ticket_prices(db: Session, order_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, TicketPrice]:
    """{ticket_id: its price} for every ticket of the orders (two queries). A line's discount is
    shared out in ticket order (created, then id: every ticket, cancelled ones too), so the
    shares stay put whichever tickets are cancelled first."""
    ids = list(order_ids)
    if not ids:
        return {}
    items = {i.id: i for i in db.exec(select(OrderItem).where(OrderItem.order_id.in_(ids))).all()}
    by_line: dict[uuid.UUID, list[tuple[uuid.UUID, bool]]] = {}
    for ticket_id, item_id, status in db.exec(
            select(Ticket.id, Ticket.order_item_id, Ticket.status).where(Ticket.order_id.in_(ids))
            .order_by(Ticket.created_at, Ticket.id)).all():
        by_line.setdefault(item_id, []).append((ticket_id, status == TicketStatus.cancelled.value))
    out: dict[uuid.UUID, TicketPrice] = {}
    for item_id, tickets in by_line.items():
        item = items[item_id]
        for (ticket_id, cancelled), share in zip(tickets, ticket_shares(item.discount_minor, len(tickets))):
            out[ticket_id] = TicketPrice(item.order_id, item.unit_price_minor, share, cancelled)
    return out
