"""The agency's outlook: unsold owned inventory with its age, what is owed to suppliers and
when, and a revenue forecast per event from its sales pace.

Forecast, per broker event: pace = valid tickets sold in the last 7 days / 7 (per day; when the
first sale is less than 7 days old, sold / whole days since the first sale, at least one); units
still to sell = min(unsold owned units not held, pace x days until the event's first session);
forecast revenue = revenue so far + units still to sell x the average retail price so far
(forecast profit likewise with the average margin). No sale yet: no pace, forecast = so far.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import (
    EventSeat,
    EventSession,
    OwnedSeat,
    PurchaseOrder,
    PurchaseOrderLine,
    SeatStatus,
    Supplier,
    Ticket,
    TicketSale,
    TicketStatus,
)
from ticketing.services.broker.analytics import broker_events, ga_units_left, profit
from ticketing.services.broker.sale_costs import OWNING
from ticketing.services.broker.suppliers import require_manager

PACE_DAYS = 7


@dataclass(frozen=True)
class InventoryRow:
    """Unsold owned units of one purchase order line."""

    event_id: uuid.UUID
    event_title: str
    supplier_id: uuid.UUID
    supplier_name: str
    purchase_order_id: uuid.UUID
    number: str
    line_id: uuid.UUID
    kind: str  # seats | quantity
    unsold: int
    unit_cost_minor: int
    currency: str
    owned_since: datetime
    age_days: int

    @property
    def value_minor(self) -> int:
        return self.unsold * self.unit_cost_minor


def unsold_inventory(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID, now: datetime,
                     event_id: uuid.UUID | None = None) -> list[InventoryRow]:
    """Every confirmed line with units still owned and not sold, oldest first."""
    require_manager(db, user_id=user_id, organization_id=organization_id)
    events = broker_events(db, organization_id, event_id)
    if not events:
        return []
    seat_unsold = dict(db.exec(
        select(OwnedSeat.line_id, func.count()).join(EventSeat, EventSeat.id == OwnedSeat.event_seat_id)
        .where(OwnedSeat.event_id.in_(list(events)), OwnedSeat.returned_at.is_(None),
               EventSeat.status != SeatStatus.sold.value)
        .group_by(OwnedSeat.line_id)).all())
    pairs = db.exec(select(PurchaseOrderLine, PurchaseOrder)
                    .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
                    .where(PurchaseOrder.event_id.in_(list(events)), PurchaseOrder.status.in_(OWNING))
                    .order_by(PurchaseOrder.approved_at, PurchaseOrder.number, PurchaseOrderLine.position)).all()
    ga_left = ga_units_left(db, [(ln, po) for ln, po in pairs if ln.ticket_type_id is not None])
    names = dict(db.exec(select(Supplier.id, Supplier.name).where(
        Supplier.id.in_({po.supplier_id for _, po in pairs} or {uuid.uuid4()}))).all())
    out = []
    for line, po in pairs:
        unsold = int(seat_unsold.get(line.id, 0)) if line.session_id else ga_left.get(line.id, 0)
        if unsold <= 0:
            continue
        since = po.approved_at or po.created_at
        out.append(InventoryRow(event_id=po.event_id, event_title=events[po.event_id].title, supplier_id=po.supplier_id,
                                supplier_name=names.get(po.supplier_id, ""), purchase_order_id=po.id, number=po.number,
                                line_id=line.id, kind="seats" if line.session_id else "quantity", unsold=unsold,
                                unit_cost_minor=line.unit_cost_minor, currency=po.currency, owned_since=since,
                                age_days=max((now - since).days, 0)))
    return out


@dataclass(frozen=True)
class PayableRow:
    supplier_id: uuid.UUID
    supplier_name: str
    purchase_order_id: uuid.UUID
    number: str
    currency: str
    total_minor: int
    returned_minor: int
    paid_minor: int
    due_on: date
    overdue: bool

    @property
    def owed_minor(self) -> int:
        return max(self.total_minor - self.returned_minor - self.paid_minor, 0)


def supplier_payables(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID, now: datetime,
                      supplier_id: uuid.UUID | None = None) -> list[PayableRow]:
    """Confirmed orders with money still owed, soonest due first; due = confirmation date +
    the order's payment terms."""
    require_manager(db, user_id=user_id, organization_id=organization_id)
    stmt = (select(PurchaseOrder, Supplier.name).join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
            .where(PurchaseOrder.organization_id == organization_id, PurchaseOrder.status.in_(OWNING)))
    if supplier_id is not None:
        stmt = stmt.where(PurchaseOrder.supplier_id == supplier_id)
    rows = []
    for po, name in db.exec(stmt).all():
        due = ((po.approved_at or po.created_at) + timedelta(days=po.payment_terms_days)).date()
        row = PayableRow(supplier_id=po.supplier_id, supplier_name=name, purchase_order_id=po.id, number=po.number,
                         currency=po.currency, total_minor=po.total_cost_minor, returned_minor=po.returned_cost_minor,
                         paid_minor=po.paid_minor, due_on=due, overdue=due < now.date())
        if row.owed_minor > 0:
            rows.append(row)
    return sorted(rows, key=lambda r: (r.due_on, r.number))


@dataclass(frozen=True)
class Forecast:
    event_id: uuid.UUID
    event_title: str
    currency: str
    sold: int
    revenue_minor: int
    profit_minor: int
    pace_per_day: Decimal
    days_left: Decimal
    available: int  # owned, unsold, not held
    projected_units: int
    forecast_revenue_minor: int
    forecast_profit_minor: int


def revenue_forecast(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID, now: datetime,
                     event_id: uuid.UUID | None = None) -> list[Forecast]:
    """The forecast per broker event (see the module's docstring for how it is computed)."""
    rows = profit(db=db, user_id=user_id, organization_id=organization_id, now=now, group_by="event",
                  event_id=event_id)
    out = []
    for r in rows:
        sold_at = list(db.exec(select(TicketSale.sold_at).join(Ticket, Ticket.id == TicketSale.ticket_id)
                               .where(TicketSale.event_id == r.key, Ticket.status == TicketStatus.valid.value)).all())
        starts = db.exec(select(func.min(EventSession.starts_at)).where(EventSession.event_id == r.key)).one()
        days_left = Decimal(max((starts - now).total_seconds(), 0) / 86400) if starts else Decimal(0)
        if sold_at:
            since = min(sold_at)
            window = min(PACE_DAYS, max(math.ceil((now - since).total_seconds() / 86400), 1))
            recent = sum(1 for t in sold_at if t > now - timedelta(days=window))
            pace = Decimal(recent) / window
        else:
            pace = Decimal(0)
        available = max(r.unsold - r.held, 0)
        projected = min(available, int((pace * days_left).to_integral_value(rounding=ROUND_HALF_UP)))
        avg_retail = Decimal(r.revenue - r.discounts) / r.sold if r.sold else Decimal(0)
        avg_margin = Decimal(r.profit) / r.sold if r.sold else Decimal(0)
        out.append(Forecast(
            event_id=r.key, event_title=r.label, currency=r.currency, sold=r.sold, revenue_minor=r.revenue,
            profit_minor=r.profit, pace_per_day=pace.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            days_left=days_left.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), available=available,
            projected_units=projected,
            forecast_revenue_minor=r.revenue + int((avg_retail * projected).to_integral_value(ROUND_HALF_UP)),
            forecast_profit_minor=r.profit + int((avg_margin * projected).to_integral_value(ROUND_HALF_UP))))
    return out


def by_supplier(rows: list[PayableRow]) -> dict[tuple[uuid.UUID, str], int]:
    """Owed per (supplier, currency)."""
    totals: dict[tuple[uuid.UUID, str], int] = defaultdict(int)
    for r in rows:
        totals[(r.supplier_id, r.currency)] += r.owed_minor
    return dict(totals)

