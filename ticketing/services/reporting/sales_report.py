"""The organizer's report of one event: sales by ticket type and by day, money in and out,
how full each session is and how many came; and the same as CSV. Its money figures (gross,
refunds, Stripe's fees) are the ledger's; refunds still pending or refused at Stripe come from
the refund records (the ledger posts a refund once Stripe made it)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import Event, EventSession, Order, OrderItem, Ticket, TicketStatus, TicketType
from ticketing.services.catalog.catalog_common import event_for_role
from ticketing.services.ledger.reports import event_cash
from ticketing.services.local_times import zone
from ticketing.services.money import format_minor
from ticketing.services.promotions.discounts import paid_per_ticket
from ticketing.services.reporting.csv_cells import csv_text
from ticketing.services.reporting.ticket_facts import admission_counts, event_money, order_money
from ticketing.services.sales import usage


@dataclass(frozen=True)
class TypeLine:
    name: str
    sold: int  # valid tickets
    cancelled: int
    revenue_minor: int  # paid for the valid tickets (promo discounts taken off)
    quota: int | None


@dataclass(frozen=True)
class DayLine:
    day: date  # in the event's timezone
    tickets: int
    gross_minor: int


@dataclass(frozen=True)
class SessionLine:
    name: str
    starts_at: datetime
    status: str
    capacity: int
    sold: int
    pending: int
    held: int
    checked_in: int

    @property
    def utilisation(self) -> int:
        """Confirmed places as a whole percentage of capacity."""
        return round(100 * self.sold / self.capacity) if self.capacity else 0

    @property
    def checkin_rate(self) -> int:
        return round(100 * self.checked_in / self.sold) if self.sold else 0


@dataclass(frozen=True)
class Report:
    event: Event
    currency: str
    gross_minor: int  # paid by buyers (the ledger's payments, after discounts)
    refunds_minor: int  # given back (the ledger's refunds) or owed back (refunds pending at Stripe)
    tickets_sold: int
    paid_orders: int
    by_type: list[TypeLine]
    by_day: list[DayLine]
    sessions: list[SessionLine]
    as_of: datetime
    refunds_pending_minor: int = 0  # part of refunds_minor Stripe has not confirmed yet
    refunds_failed_minor: int = 0  # refused by Stripe: not given back, needs a person
    discounts_minor: int = 0  # promo codes' discounts on paid orders (not in gross: never paid)
    fees_minor: int = 0  # Stripe's fees (the ledger's, net of fees returned)

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.refunds_minor

    @property
    def net_after_fees_minor(self) -> int:
        return self.net_minor - self.fees_minor

    @property
    def expected_admissions(self) -> int:
        """Places sold in sessions that have started (and were not called off)."""
        return sum(s.sold for s in self.sessions if s.starts_at <= self.as_of and s.status != "cancelled")

    @property
    def checkin_rate(self) -> int:
        """Admissions as a share of the places sold for sessions that have started."""
        started = [s for s in self.sessions if s.starts_at <= self.as_of and s.status != "cancelled"]
        expected = self.expected_admissions
        return round(100 * sum(s.checked_in for s in started) / expected) if expected else 0


def event_report(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, now: datetime) -> Report:
    """The event's sales report (owner/organizer)."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    paid_orders = list(db.exec(
        select(Order).where(Order.event_id == event.id, Order.confirmed_at.is_not(None))
    ).all())
    money = order_money(db, paid_orders, now)
    currency = paid_orders[0].currency if paid_orders else (db.exec(
        select(TicketType.currency).where(TicketType.event_id == event.id).limit(1)).first() or "EUR")

    # Per ticket, in ticket order: a line's promo discount is shared out over its tickets
    # (discounts.paid_per_ticket), so a type's revenue is what its valid tickets were paid.
    ticket_rows = db.exec(
        select(TicketType.id, Ticket.status, OrderItem.id, OrderItem.unit_price_minor, OrderItem.discount_minor)
        .join(Ticket, Ticket.ticket_type_id == TicketType.id)
        .join(OrderItem, OrderItem.id == Ticket.order_item_id)
        .join(Order, Order.id == Ticket.order_id)
        .where(TicketType.event_id == event.id, Order.confirmed_at.is_not(None))
        .order_by(OrderItem.id, Ticket.created_at, Ticket.id)
    ).all()
    per_line: dict[uuid.UUID, list[tuple[uuid.UUID, str, int, int]]] = defaultdict(list)
    for type_id, status, item_id, unit, discount in ticket_rows:
        per_line[item_id].append((type_id, status, unit, discount))
    counts: dict[uuid.UUID, dict[str, tuple[int, int]]] = defaultdict(dict)
    for line in per_line.values():
        paid = paid_per_ticket(line[0][2], line[0][3], len(line))
        for (type_id, status, _, _), amount in zip(line, paid):
            n, value = counts[type_id].get(status, (0, 0))
            counts[type_id][status] = (n + 1, value + amount)
    types = db.exec(select(TicketType).where(TicketType.event_id == event.id)
                    .order_by(TicketType.sort_order, TicketType.name)).all()
    by_type = [
        TypeLine(t.name, counts[t.id].get(TicketStatus.valid.value, (0, 0))[0],
                 counts[t.id].get(TicketStatus.cancelled.value, (0, 0))[0],
                 counts[t.id].get(TicketStatus.valid.value, (0, 0))[1], t.max_quantity)
        for t in types
    ]

    quantities = dict(db.exec(
        select(OrderItem.order_id, func.sum(OrderItem.quantity))
        .where(OrderItem.order_id.in_([o.id for o in paid_orders])).group_by(OrderItem.order_id)
    ).all()) if paid_orders else {}
    tz = zone(event.timezone)
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for o in paid_orders:
        bucket = days[o.confirmed_at.astimezone(tz).date()]
        bucket[0] += int(quantities.get(o.id, 0))
        bucket[1] += money[o.id].paid_minor

    sessions = list(db.exec(select(EventSession).where(EventSession.event_id == event.id)
                            .order_by(EventSession.starts_at, EventSession.name)).all())
    used = usage.session_usage(db=db, sessions=sessions, now=now)
    came = admission_counts(db, event.id)
    cash = event_money(db, event.id)  # the records: refunds still pending or refused at Stripe
    books = event_cash(db, event_id=event.id)  # the ledger: money taken, given back, Stripe's fees
    return Report(
        event=event, currency=currency,
        gross_minor=books.paid, refunds_minor=books.refunded + cash.refunds_pending_minor,
        refunds_pending_minor=cash.refunds_pending_minor, refunds_failed_minor=cash.refunds_failed_minor,
        fees_minor=books.fees,
        tickets_sold=sum(line.sold for line in by_type), paid_orders=len(paid_orders),
        discounts_minor=sum(o.discount_minor for o in paid_orders),
        by_type=by_type,
        by_day=[DayLine(d, t, g) for d, (t, g) in sorted(days.items())],
        sessions=[SessionLine(s.name, s.starts_at, s.status, s.capacity, used[s.id].sold, used[s.id].pending,
                              used[s.id].held, came.get(s.id, 0)) for s in sessions],
        as_of=now,
    )


def report_csv(report: Report) -> str:
    """The report as one CSV file with a section per table (amounts in major units)."""
    cur, tz = report.currency, zone(report.event.timezone)
    rows: list[list[object]] = []
    rows.append(["Report", report.event.title])
    rows.append(["Currency", cur])
    rows.append(["Gross", format_minor(report.gross_minor, cur)])
    rows.append(["Refunds", format_minor(report.refunds_minor, cur)])
    rows.append(["Net", format_minor(report.net_minor, cur)])
    rows.append(["Promo code discounts (not in gross)", format_minor(report.discounts_minor, cur)])
    rows.append(["Stripe fees", format_minor(report.fees_minor, cur)])
    rows.append(["Net after Stripe fees", format_minor(report.net_after_fees_minor, cur)])
    rows.append(["Refunds not yet confirmed by Stripe", format_minor(report.refunds_pending_minor, cur)])
    rows.append(["Refunds refused by Stripe (not given back)", format_minor(report.refunds_failed_minor, cur)])
    rows.append(["Tickets sold", report.tickets_sold])
    rows.append(["Check-in rate %", report.checkin_rate])
    rows.append([])
    rows.append(["Ticket type", "Sold", "Cancelled", "Revenue", "Quota"])
    for t in report.by_type:
        rows.append([t.name, t.sold, t.cancelled, format_minor(t.revenue_minor, cur), "" if t.quota is None else t.quota])
    rows.append([])
    rows.append(["Day", "Tickets", "Gross"])
    for d in report.by_day:
        rows.append([d.day.isoformat(), d.tickets, format_minor(d.gross_minor, cur)])
    rows.append([])
    rows.append(["Session", "Starts", "Status", "Capacity", "Sold", "Awaiting payment", "In carts", "Utilisation %",
                 "Checked in", "Check-in rate %"])
    for s in report.sessions:
        rows.append([s.name, f"{s.starts_at.astimezone(tz):%Y-%m-%d %H:%M}", s.status, s.capacity, s.sold, s.pending,
                     s.held, s.utilisation, s.checked_in, s.checkin_rate])
    return csv_text(rows)
