"""Who is coming: the organizer's attendee list (per event or per session), its CSV export,
resending tickets, and cancelling single tickets or whole orders with organizer authority.

Cancellation goes through the customers' own order cancellation (`cancel_order`, passed in so
the caller can give the variant that also refunds through Stripe) with by_organizer=True.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, select

from ticketing.formatting import date_range
from ticketing.models import (
    Event,
    EventSession,
    Order,
    OrderItem,
    OrderStatus,
    Ticket,
    TicketStatus,
    TicketType,
    TicketTypeSession,
    User,
)
from ticketing.services.catalog.catalog_common import event_for_role, session_of_event
from ticketing.services.door import short_codes
from ticketing.services.errors import ServiceError, invalid, not_found
from ticketing.services.local_times import zone
from ticketing.services.money import format_minor
from ticketing.services.reporting.csv_cells import csv_text
from ticketing.services.reporting.ticket_facts import admissions, order_money
from ticketing.services.sales import cancellation
from ticketing.services.sales.places import sessions_of_types
from ticketing.services.scheduling.session_cancellation import CancelOrder
from ticketing.services.seating.seat_labels import seat_names_of_tickets, seat_texts

SHOW = ("current", "cancelled", "all")
MAX_ROWS = 5000


@dataclass(frozen=True)
class AttendeeRow:
    ticket_id: uuid.UUID
    holder_name: str
    holder_email: str
    ticket_type: str
    sessions: list[str]  # names, by start
    order_id: uuid.UUID
    order_number: str
    buyer_name: str
    buyer_email: str
    ticket_status: str  # valid | pending | cancelled
    payment: str  # OrderMoney.label
    price_minor: int
    currency: str
    checked_in: list[tuple[str, datetime]]  # (session name, when), by time
    ordered_at: datetime
    code: str
    checked_in_here: datetime | None = None  # admitted to the listed session (per-session lists)


@dataclass(frozen=True)
class AttendeeList:
    event: Event
    rows: list[AttendeeRow]
    total: int  # matching tickets, before `limit`


def _search(words: str):
    conditions = []
    for word in words.split()[:6]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(
            Ticket.holder_name.ilike(pattern, escape="\\"), Ticket.holder_email.ilike(pattern, escape="\\"),
            Order.number.ilike(pattern, escape="\\"), User.name.ilike(pattern, escape="\\"),
            User.email.ilike(pattern, escape="\\"), TicketType.name.ilike(pattern, escape="\\"),
        ))
    return conditions


def list_attendees(
    *, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, now: datetime, session_id: uuid.UUID | None = None,
    search: str = "", show: str = "current", limit: int = 500,
) -> AttendeeList:
    """Tickets of the event (or of one session: tickets whose type includes it), by holder name.

    `show`: current (valid, or awaiting payment within the deadline), cancelled, or all.
    `search` matches every word against holder, buyer, order number and ticket type.
    """
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    if show not in SHOW:
        raise invalid("invalid_show", "Show current, cancelled or all tickets.", field="show")
    query = (
        select(Ticket, Order, TicketType, User, OrderItem.unit_price_minor)
        .join(Order, Order.id == Ticket.order_id)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .join(User, User.id == Order.user_id)
        .join(OrderItem, OrderItem.id == Ticket.order_item_id)
        .where(Ticket.event_id == event.id)
    )
    session = None
    if session_id is not None:
        session = session_of_event(db, event=event, session_id=session_id)
        query = query.where(Ticket.ticket_type_id.in_(
            select(TicketTypeSession.ticket_type_id).where(TicketTypeSession.session_id == session.id)
        ))
    if show == "current":
        query = query.where(
            Ticket.status != TicketStatus.cancelled.value,
            or_(Order.status == OrderStatus.confirmed.value,
                (Order.status == OrderStatus.pending.value) & (Order.payment_due_at > now)),
        )
    elif show == "cancelled":
        query = query.where(Ticket.status == TicketStatus.cancelled.value)
    if search.strip():
        query = query.where(*_search(search.strip()[:200]))
    total = int(db.exec(select(func.count()).select_from(query.subquery())).one())
    limit = max(1, min(limit, MAX_ROWS))
    found = db.exec(query.order_by(Ticket.holder_name, Order.number, Ticket.id).limit(limit)).all()

    types = {t.id for _, _, t, _, _ in found}
    sessions_of = sessions_of_types(db, types)
    all_sessions = {sid for ids in sessions_of.values() for sid in ids}
    sessions = {s.id: s for s in db.exec(select(EventSession).where(EventSession.id.in_(list(all_sessions)))).all()}
    money = order_money(db, list({o.id: o for _, o, _, _, _ in found}.values()), now)
    admitted = admissions(db, [t.id for t, *_ in found])
    rows = []
    for ticket, order, ticket_type, buyer, price in found:
        included = sorted((sessions[s] for s in sessions_of[ticket_type.id]), key=lambda s: (s.starts_at, s.name))
        came = admitted.get(ticket.id, {})
        rows.append(AttendeeRow(
            ticket.id, ticket.holder_name, ticket.holder_email, ticket_type.name, [s.name for s in included],
            order.id, order.number, buyer.name, buyer.email, ticket.status, money[order.id].label, int(price),
            order.currency, sorted(((sessions[s].name, at) for s, at in came.items() if s in sessions),
                                   key=lambda item: item[1]),
            order.created_at, ticket.code, came.get(session.id) if session is not None else None,
        ))
    return AttendeeList(event, rows, total)


def attendees_csv(listing: AttendeeList) -> str:
    """The attendee list as CSV (UTF-8, header row, times in the event's timezone)."""
    tz = zone(listing.event.timezone)
    rows: list[list[str]] = [["Name", "Email", "Ticket type", "Sessions", "Order", "Buyer", "Buyer email",
                              "Ticket status", "Payment", "Price", "Currency", "Checked in", "Ordered at",
                              "Ticket ID"]]
    for r in listing.rows:
        checked = "; ".join(f"{name} {at.astimezone(tz):%Y-%m-%d %H:%M}" for name, at in r.checked_in)
        rows.append([
            r.holder_name, r.holder_email, r.ticket_type, "; ".join(r.sessions), r.order_number, r.buyer_name,
            r.buyer_email, r.ticket_status, r.payment, format_minor(r.price_minor, r.currency), r.currency, checked,
            f"{r.ordered_at.astimezone(tz):%Y-%m-%d %H:%M}", str(r.ticket_id),
        ])
    return csv_text(rows)


def _ticket_of_event(db: Session, event: Event, ticket_id: uuid.UUID) -> Ticket:
    ticket = db.get(Ticket, ticket_id)
    if ticket is None or ticket.event_id != event.id:
        raise not_found("ticket")
    return ticket


def cancel_ticket(
    *, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, ticket_id: uuid.UUID, now: datetime,
    cancel_order: CancelOrder = cancellation.cancel_order,
) -> cancellation.Cancellation:
    """Cancel one ticket and refund it in full (owner/organizer)."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    ticket = _ticket_of_event(db, event, ticket_id)
    return cancel_order(db=db, order_id=ticket.order_id, user_id=user_id, ticket_ids=[ticket.id], now=now,
                        by_organizer=True)


def cancel_whole_order(
    *, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, order_id: uuid.UUID, now: datetime,
    cancel_order: CancelOrder = cancellation.cancel_order,
) -> cancellation.Cancellation:
    """Cancel every ticket of an order of this event and refund it in full (owner/organizer)."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    order = db.get(Order, order_id)
    if order is None or order.event_id != event.id:
        raise not_found("order")
    return cancel_order(db=db, order_id=order.id, user_id=user_id, ticket_ids=None, now=now, by_organizer=True)


@dataclass(frozen=True)
class TicketMail:
    """What a ticket email says."""

    holder_name: str
    holder_email: str
    event_title: str
    event_id: uuid.UUID
    ticket_type: str
    sessions: list[str]  # 'Day 1 — Sat 5 Dec 2026, 19:00–22:00'
    order_number: str
    code: str
    location: str
    seats: list[str] = field(default_factory=list)  # 'Stalls · Row A · Seat 8'
    short_code: str = ""  # 'K7QMX-3PART', typed at the door


def tickets_to_resend(
    *, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, ticket_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
) -> list[TicketMail]:
    """The live tickets (one, or all of an order) to email to their holders again (owner/organizer);
    409 not_resendable for a cancelled ticket or an order without live tickets."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    if ticket_id is not None:
        tickets = [_ticket_of_event(db, event, ticket_id)]
    else:
        order = db.get(Order, order_id) if order_id is not None else None
        if order is None or order.event_id != event.id:
            raise not_found("order")
        tickets = list(db.exec(select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.id)).all())
    tickets = [t for t in tickets if t.status != TicketStatus.cancelled.value]
    orders = {o.id: o for o in db.exec(select(Order).where(Order.id.in_([t.order_id for t in tickets]))).all()}
    tickets = [t for t in tickets if orders[t.order_id].status in (OrderStatus.pending.value,
                                                                   OrderStatus.confirmed.value)]
    if not tickets:
        raise ServiceError("not_resendable", "Only tickets that are still valid can be sent again.")
    sessions_of = sessions_of_types(db, {t.ticket_type_id for t in tickets})
    sessions = {s.id: s for s in db.exec(select(EventSession).where(
        EventSession.id.in_([sid for ids in sessions_of.values() for sid in ids]))).all()}
    names = dict(db.exec(select(TicketType.id, TicketType.name).where(
        TicketType.id.in_([t.ticket_type_id for t in tickets]))).all())
    seats = seat_names_of_tickets(db, [t.id for t in tickets])
    mails = []
    for t in tickets:
        included = sorted((sessions[s] for s in sessions_of[t.ticket_type_id]), key=lambda s: s.starts_at)
        mails.append(TicketMail(
            t.holder_name, t.holder_email, event.title, event.id, names[t.ticket_type_id],
            [f"{s.name} — {date_range(s.starts_at, s.ends_at, event.timezone)}" for s in included],
            orders[t.order_id].number, t.code, event.location, seat_texts(seats.get(t.id, [])),
            short_codes.display(t.short_code),
        ))
    return mails
