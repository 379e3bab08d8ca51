"""What a ticket agency runs on: profit and margin by event, supplier or price level; sell-
through and unsold inventory with its age; what is owed to suppliers and when; a revenue
forecast from each event's sales pace.

Sales figures (sold, revenue, discounts, fees, cost, profit) are sums of the ticket_sales rows
written when each ticket sold, over tickets still valid (a cancelled ticket no longer counts), so
they equal what the sales recorded, to the minor unit. Inventory figures (bought, returned,
held, unsold) are as of `now`. Amounts stay in minor units here; the API formats them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func
from sqlmodel import Session, select

from ticketing.models import (
    BrokerEvent,
    Event,
    EventSeat,
    OwnedSeat,
    PlaceClaim,
    PriceLevel,
    PurchaseOrder,
    PurchaseOrderLine,
    SeatStatus,
    Supplier,
    Ticket,
    TicketSale,
    TicketStatus,
    TicketType,
)
from ticketing.services.broker.sale_costs import OWNING, sold_by_line
from ticketing.services.broker.suppliers import require_manager
from ticketing.services.errors import invalid

GROUPS = ("event", "supplier", "price_level")


@dataclass
class ProfitRow:
    key: uuid.UUID | None
    label: str
    currency: str
    bought: int = 0
    returned: int = 0
    held: int = 0
    sold: int = 0
    sold_ever: int = 0
    revenue: int = 0
    discounts: int = 0
    fees: int = 0
    cost: int = 0

    @property
    def profit(self) -> int:
        return self.revenue - self.discounts - self.fees - self.cost

    @property
    def unsold(self) -> int:
        return max(self.bought - self.returned - self.sold_ever, 0)

    @property
    def margin(self) -> Decimal | None:
        """Profit as a percentage of net revenue (revenue less discounts)."""
        net = self.revenue - self.discounts
        return percent(self.profit, net) if net else None

    @property
    def sell_through(self) -> Decimal | None:
        """Sold as a percentage of what was bought and kept (not returned)."""
        kept = self.bought - self.returned
        return percent(self.sold_ever, kept) if kept > 0 else None


def percent(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def broker_events(db: Session, organization_id: uuid.UUID, event_id: uuid.UUID | None) -> dict[uuid.UUID, Event]:
    stmt = select(Event).join(BrokerEvent, BrokerEvent.event_id == Event.id).where(
        Event.organization_id == organization_id)
    if event_id is not None:
        stmt = stmt.where(Event.id == event_id)
    return {e.id: e for e in db.exec(stmt).all()}


def _labels(db: Session, group_by: str, keys: set) -> dict:
    ids = [k for k in keys if k is not None]
    if not ids:
        return {}
    if group_by == "event":
        return dict(db.exec(select(Event.id, Event.title).where(Event.id.in_(ids))).all())
    if group_by == "supplier":
        return dict(db.exec(select(Supplier.id, Supplier.name).where(Supplier.id.in_(ids))).all())
    names = dict(db.exec(select(PriceLevel.id, PriceLevel.name).where(PriceLevel.id.in_(ids))).all())
    names.update(db.exec(select(TicketType.id, TicketType.name).where(TicketType.id.in_(ids))).all())
    return names


def profit(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID, now: datetime,
           group_by: str = "event", event_id: uuid.UUID | None = None, sold_from: datetime | None = None,
           sold_to: datetime | None = None) -> list[ProfitRow]:
    """Profit rows per event, supplier or price level (general admission: its ticket type).
    `sold_from`/`sold_to` bound the sales counted (sold, revenue, cost, profit); inventory
    columns and sell-through are as of now. 422 invalid_group_by, invalid_window."""
    require_manager(db, user_id=user_id, organization_id=organization_id)
    if group_by not in GROUPS:
        raise invalid("invalid_group_by", f"group_by is one of {', '.join(GROUPS)}.", field="group_by")
    if sold_from and sold_to and sold_from > sold_to:
        raise invalid("invalid_window", "from must not be after to.", field="from")
    events = broker_events(db, organization_id, event_id)
    if not events:
        return []
    currency_of = {e: db.exec(select(TicketType.currency).where(TicketType.event_id == e)).first() or "EUR"
                   for e in events}
    rows: dict[tuple, ProfitRow] = {}

    def row(event: uuid.UUID, supplier: uuid.UUID | None, level: uuid.UUID | None) -> ProfitRow:
        key = {"event": event, "supplier": supplier, "price_level": level}[group_by]
        cur = currency_of[event]
        if (key, cur) not in rows:
            rows[(key, cur)] = ProfitRow(key=key, label="", currency=cur)
        return rows[(key, cur)]

    ev_ids = list(events)
    # Sales, as recorded when each ticket sold.
    for ev, sup, level, tt, sold_at, retail, disc, fees, cost in db.exec(
            select(TicketSale.event_id, TicketSale.supplier_id, TicketSale.price_level_id, TicketSale.ticket_type_id,
                   TicketSale.sold_at, TicketSale.retail_minor, TicketSale.discount_minor, TicketSale.fees_minor,
                   TicketSale.unit_cost_minor)
            .join(Ticket, Ticket.id == TicketSale.ticket_id)
            .where(TicketSale.event_id.in_(ev_ids), Ticket.status == TicketStatus.valid.value)).all():
        r = row(ev, sup, level or tt)
        r.sold_ever += 1
        if (sold_from is None or sold_at >= sold_from) and (sold_to is None or sold_at < sold_to):
            r.sold += 1
            r.revenue += retail
            r.discounts += disc
            r.fees += fees
            r.cost += cost
    # Owned seats: bought, returned, held now.
    live_claim = ((EventSeat.status == SeatStatus.reserved.value)
                  | ((EventSeat.status == SeatStatus.held.value) & EventSeat.hold_id.is_not(None)))
    for ev, sup, level, n, returned, held in db.exec(
            select(OwnedSeat.event_id, OwnedSeat.supplier_id, EventSeat.price_level_id, func.count(),
                   func.count(OwnedSeat.returned_at),
                   func.sum(case((live_claim & (EventSeat.expires_at > now), 1), else_=0)))
            .join(EventSeat, EventSeat.id == OwnedSeat.event_seat_id)
            .where(OwnedSeat.event_id.in_(ev_ids))
            .group_by(OwnedSeat.event_id, OwnedSeat.supplier_id, EventSeat.price_level_id)).all():
        r = row(ev, sup, level)
        r.bought += int(n)
        r.returned += int(returned)
        r.held += int(held or 0)
    # General-admission lines; live quota claims are held against the oldest lines with units left.
    for (ev, type_id), lines in _ga_lines(db, ev_ids).items():
        left = ga_units_left(db, lines)
        held = _live_quota_claims(db, type_id, now)
        for line, po in lines:
            r = row(ev, po.supplier_id, type_id)
            r.bought += line.quantity
            r.returned += line.returned_quantity
            take = min(held, left[line.id])
            r.held += take
            held -= take
    labels = _labels(db, group_by, {k for k, _ in rows})
    for (key, _), r in rows.items():
        r.label = labels.get(key, "(none)")
    return sorted(rows.values(), key=lambda r: (r.label, r.currency))


def _ga_lines(db: Session, event_ids: list[uuid.UUID]) -> dict:
    """{(event, ticket type): [(line, purchase order)] oldest first} of confirmed orders."""
    out: dict = defaultdict(list)
    for line, po in db.exec(select(PurchaseOrderLine, PurchaseOrder)
                            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
                            .where(PurchaseOrder.event_id.in_(event_ids), PurchaseOrder.status.in_(OWNING),
                                   PurchaseOrderLine.ticket_type_id.is_not(None))
                            .order_by(PurchaseOrder.approved_at, PurchaseOrder.number, PurchaseOrderLine.position)):
        out[(po.event_id, line.ticket_type_id)].append((line, po))
    return dict(out)


def ga_units_left(db: Session, lines: list) -> dict[uuid.UUID, int]:
    sold = sold_by_line(db, [ln.id for ln, _ in lines])
    return {ln.id: max(ln.quantity - ln.returned_quantity - sold.get(ln.id, 0), 0) for ln, _ in lines}


def _live_quota_claims(db: Session, ticket_type_id: uuid.UUID, now: datetime) -> int:
    return int(db.exec(select(func.coalesce(func.sum(PlaceClaim.quantity), 0))
                       .where(PlaceClaim.ticket_type_id == ticket_type_id, PlaceClaim.expires_at > now)).one())
