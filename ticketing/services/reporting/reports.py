"""Sales figures of one event for its organizers: what the live dashboard shows."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import (
    Event,
    Hold,
    HoldItem,
    HoldStatus,
    Order,
    OrderItem,
    OrderStatus,
    Ticket,
    TicketStatus,
    User,
)
from ticketing.services.accounts.organizations import MANAGER_ROLES, require_role
from ticketing.services.errors import not_found


@dataclass(frozen=True)
class OrderLine:
    id: uuid.UUID
    number: str
    buyer: str
    tickets: int
    total_minor: int
    currency: str
    status: str
    at: datetime


@dataclass(frozen=True)
class DaySales:
    day: date
    tickets: int
    revenue_minor: int


@dataclass(frozen=True)
class SalesSummary:
    tickets_sold: int  # valid (paid, not cancelled) tickets
    revenue_minor: int  # their prices
    currency: str
    holds_active: int  # carts holding places right now
    tickets_held: int
    pending_orders: int  # awaiting payment within their deadline
    pending_minor: int
    by_day: list[DaySales]  # confirmed sales per day in the event's timezone
    latest_orders: list[OrderLine]


def managed_event(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID) -> Event:
    """The event when the caller is an owner or organizer of its organization (else 404/403)."""
    event = db.get(Event, event_id)
    if event is None:
        raise not_found("event")
    require_role(db=db, user_id=user_id, organization_id=event.organization_id, roles=MANAGER_ROLES)
    return event


def event_sales(*, db: Session, event: Event, now: datetime, latest: int = 8) -> SalesSummary:
    """Sales figures of an event (the caller has checked access with managed_event)."""
    sold, revenue = db.exec(
        select(func.count(Ticket.id), func.coalesce(func.sum(OrderItem.unit_price_minor), 0))
        .join(OrderItem, OrderItem.id == Ticket.order_item_id)
        .where(Ticket.event_id == event.id, Ticket.status == TicketStatus.valid.value)
    ).one()
    holds, held = db.exec(
        select(func.count(func.distinct(Hold.id)), func.coalesce(func.sum(HoldItem.quantity), 0))
        .join(HoldItem, HoldItem.hold_id == Hold.id)
        .where(Hold.event_id == event.id, Hold.status == HoldStatus.active.value, Hold.expires_at > now)
    ).one()
    pending, pending_minor = db.exec(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total_minor), 0)).where(
            Order.event_id == event.id, Order.status == OrderStatus.pending.value, Order.payment_due_at > now
        )
    ).one()
    currency = db.exec(select(Order.currency).where(Order.event_id == event.id).limit(1)).first() or ""
    return SalesSummary(
        tickets_sold=int(sold), revenue_minor=int(revenue), currency=currency,
        holds_active=int(holds), tickets_held=int(held),
        pending_orders=int(pending), pending_minor=int(pending_minor),
        by_day=_sales_by_day(db, event), latest_orders=_latest_orders(db, event.id, latest),
    )


def _sales_by_day(db: Session, event: Event) -> list[DaySales]:
    rows = db.exec(
        select(Order.confirmed_at, func.sum(OrderItem.quantity), func.sum(OrderItem.quantity * OrderItem.unit_price_minor))
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(Order.event_id == event.id, Order.confirmed_at.is_not(None))
        .group_by(Order.id, Order.confirmed_at)
    ).all()
    try:
        zone = ZoneInfo(event.timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for confirmed_at, qty, amount in rows:
        bucket = days[confirmed_at.astimezone(zone).date()]
        bucket[0] += int(qty or 0)
        bucket[1] += int(amount or 0)
    return [DaySales(day, t, r) for day, (t, r) in sorted(days.items())]


def _latest_orders(db: Session, event_id: uuid.UUID, limit: int) -> list[OrderLine]:
    quantity = (
        select(OrderItem.order_id, func.sum(OrderItem.quantity).label("tickets"))
        .group_by(OrderItem.order_id)
        .subquery()
    )
    rows = db.exec(
        select(Order, User.name, quantity.c.tickets)
        .join(User, User.id == Order.user_id)
        .outerjoin(quantity, quantity.c.order_id == Order.id)
        .where(Order.event_id == event_id)
        .order_by(Order.created_at.desc(), Order.number.desc())
        .limit(limit)
    ).all()
    return [
        OrderLine(o.id, o.number, name, int(t or 0), o.total_minor, o.currency, o.status, o.confirmed_at or o.created_at)
        for o, name, t in rows
    ]
