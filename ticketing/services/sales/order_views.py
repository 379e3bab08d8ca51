"""What a buyer sees of their orders: event, tickets with their sessions, what each ticket may
still be cancelled for, payments and refunds. Read-only; a few queries whatever the count."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

from ticketing.models import (
    Event,
    EventSession,
    Hold,
    Order,
    OrderItem,
    OrderStatus,
    PromoCode,
    Refund,
    Ticket,
    TicketStatus,
    TicketType,
    TicketTypeSession,
    User,
)
from ticketing.services.door.ticket_files import CalendarEntry, calendar_ics
from ticketing.services.errors import not_found
from ticketing.services.promotions.discounts import paid_per_ticket
from ticketing.services.sales import payments
from ticketing.services.sales.cancellation import checked_in_ticket_ids, fee_for
from ticketing.services.sales.holds import get_hold, hold_items, hold_state
from ticketing.services.sales.orders import order_state
from ticketing.services.sales.ticket_holders import asks_names
from ticketing.services.seating.seat_labels import SeatName, seat_names_of_hold, seat_names_of_tickets, seat_texts


@dataclass(frozen=True)
class SessionLine:
    id: uuid.UUID
    name: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class ItemLine:
    """A line of a cart or an order: a ticket type, how many, at which unit price, for which
    sessions, and the seats (labels) where the sessions are seated."""

    name: str
    quantity: int
    unit_price_minor: int
    sessions: list[SessionLine]
    seats: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TicketLine:
    ticket: Ticket
    type_name: str
    price_minor: int  # what was paid for it: the unit price less its share of the discount
    sessions: list[SessionLine]
    cancellable: bool  # by the buyer now, under the event's policy
    cancel_deadline: datetime | None
    refund_minor: int  # what cancelling it now gives back (price less the fee; 0 if unpaid)
    seat_names: list[SeatName] = field(default_factory=list)  # one per seated session it admits to

    @property
    def seats(self) -> list[str]:
        """"Stalls · Row A · Seat 8" per seat (with the session's name when several)."""
        return seat_texts(self.seat_names)


@dataclass
class OrderView:
    order: Order
    event: Event
    state: str  # as the customer sees it now (a pending order past its deadline is expired)
    items: list[ItemLine]
    tickets: list[TicketLine] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    payment_error: str = ""
    promo_code: str = ""  # the code whose discount (order.discount_minor) the order got


def sessions_of_types(db: Session, type_ids: set[uuid.UUID]) -> dict[uuid.UUID, list[SessionLine]]:
    """{ticket_type_id: the sessions it admits to, by start time}."""
    out: dict[uuid.UUID, list[SessionLine]] = defaultdict(list)
    if not type_ids:
        return out
    for type_id, s in db.exec(
        select(TicketTypeSession.ticket_type_id, EventSession)
        .join(EventSession, EventSession.id == TicketTypeSession.session_id)
        .where(TicketTypeSession.ticket_type_id.in_(type_ids)).order_by(EventSession.starts_at)
    ).all():
        out[type_id].append(SessionLine(s.id, s.name, s.starts_at, s.ends_at))
    return out


def _views(db: Session, orders: Sequence[Order], now: datetime) -> list[OrderView]:
    if not orders:
        return []
    ids = [o.id for o in orders]
    events = {e.id: e for e in db.exec(select(Event).where(Event.id.in_({o.event_id for o in orders}))).all()}
    tickets: dict[uuid.UUID, list[Ticket]] = defaultdict(list)
    for t in db.exec(select(Ticket).where(Ticket.order_id.in_(ids)).order_by(Ticket.created_at, Ticket.id)).all():
        tickets[t.order_id].append(t)
    items = list(db.exec(select(OrderItem).where(OrderItem.order_id.in_(ids)).order_by(OrderItem.id)).all())
    type_ids = {i.ticket_type_id for i in items}
    type_names = dict(db.exec(select(TicketType.id, TicketType.name).where(TicketType.id.in_(type_ids))).all())
    by_line: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for ts in tickets.values():
        for t in ts:
            by_line[t.order_item_id].append(t.id)
    prices: dict[uuid.UUID, int] = {}  # ticket id -> paid (cancellation.paid_prices's rule)
    for item in items:
        prices.update(zip(by_line[item.id], paid_per_ticket(item.unit_price_minor, item.discount_minor,
                                                            len(by_line[item.id]))))
    code_ids = {o.promo_code_id for o in orders if o.promo_code_id is not None}
    code_texts = dict(db.exec(select(PromoCode.id, PromoCode.code).where(PromoCode.id.in_(code_ids))).all()) \
        if code_ids else {}
    sessions_of = sessions_of_types(db, type_ids)
    seats = seat_names_of_tickets(db, [t.id for ts in tickets.values() for t in ts])
    seats_of_item: dict[uuid.UUID, list[SeatName]] = defaultdict(list)
    for ts in tickets.values():
        for t in ts:
            if t.status != TicketStatus.cancelled.value:
                seats_of_item[t.order_item_id] += seats.get(t.id, [])
    refunds: dict[uuid.UUID, list[Refund]] = defaultdict(list)
    for r in db.exec(select(Refund).where(Refund.order_id.in_(ids)).order_by(Refund.created_at)).all():
        refunds[r.order_id].append(r)
    admitted = checked_in_ticket_ids(db, [t.id for ts in tickets.values() for t in ts])

    out = []
    for order in orders:
        event, state = events[order.event_id], order_state(order, now)
        view = OrderView(
            order=order, event=event, state=state,
            items=[ItemLine(type_names.get(i.ticket_type_id, "Ticket"), i.quantity, i.unit_price_minor,
                            sessions_of[i.ticket_type_id], seat_texts(sorted(seats_of_item[i.id], key=_seat_order)))
                   for i in items if i.order_id == order.id],
            refunds=refunds[order.id],
            payment_error=payments.last_payment_error(db=db, order=order) if state == "pending" else "",
            promo_code=code_texts.get(order.promo_code_id, ""),
        )
        for t in tickets[order.id]:
            lines = sessions_of[t.ticket_type_id]
            deadline = (min(s.starts_at for s in lines) - timedelta(hours=event.cancellation_deadline_hours)
                        if lines else None)
            live = t.status != TicketStatus.cancelled.value and state in (OrderStatus.pending.value,
                                                                          OrderStatus.confirmed.value)
            cancellable = (live and event.allow_cancellation and deadline is not None and now <= deadline
                           and t.id not in admitted)
            price = prices.get(t.id, 0)
            paid = state == OrderStatus.confirmed.value
            refund = price - fee_for(price, event.cancellation_fee_percent) if paid else 0
            view.tickets.append(TicketLine(t, type_names.get(t.ticket_type_id, "Ticket"), price, lines,
                                           cancellable, deadline if event.allow_cancellation else None, refund,
                                           seats.get(t.id, [])))
        out.append(view)
    return out


def _seat_order(seat: SeatName) -> tuple[datetime, str, int]:
    return (seat.session_starts_at, str(seat.session_id), seat.idx)


def order_view(*, db: Session, order_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> OrderView:
    """One of the caller's orders; `not_found` for anyone else's."""
    order = db.get(Order, order_id)
    if order is None or order.user_id != user_id:
        raise not_found("order")
    return view_of(db, order, now)


def view_of(db: Session, order: Order, now: datetime) -> OrderView:
    """The order as its buyer sees it (the caller has checked who may see it)."""
    return _views(db, [order], now)[0]


def my_orders(*, db: Session, user_id: uuid.UUID, now: datetime) -> list[OrderView]:
    """The caller's orders that hold or held tickets (not abandoned carts), newest first."""
    orders = db.exec(
        select(Order).where(Order.user_id == user_id).order_by(Order.created_at.desc(), Order.number.desc())
    ).all()
    return _views(db, list(orders), now)


def order_calendar(*, db: Session, order_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> str:
    """An .ics file with every session the order's live tickets admit to (once per session)."""
    view = order_view(db=db, order_id=order_id, user_id=user_id, now=now)
    seen: dict[uuid.UUID, SessionLine] = {}
    seats: dict[uuid.UUID, list[str]] = defaultdict(list)
    for line in view.tickets:
        if line.ticket.status != TicketStatus.cancelled.value:
            for s in line.sessions:
                seen.setdefault(s.id, s)
            for seat in line.seat_names:
                seats[seat.session_id].append(seat.label)
    entries = [
        CalendarEntry(
            uid=f"{s.id}-{view.order.id}@ticketing", title=f"{view.event.title} — {s.name}", starts_at=s.starts_at,
            ends_at=s.ends_at, location=view.event.location,
            description=f"Order {view.order.number}" + (f"\nSeats: {', '.join(seats[s.id])}" if seats[s.id] else ""),
        )
        for s in sorted(seen.values(), key=lambda s: s.starts_at)
    ]
    return calendar_ics(entries, now=now)


@dataclass
class HoldView:
    hold: Hold
    event: Event
    state: str  # active | expired | released | converted, at `now`
    lines: list[ItemLine]  # at the locked unit prices
    units: int
    order_id: uuid.UUID | None  # the order it became, once checked out
    promo_code: str = ""  # the code whose discount (hold.discount_minor) is locked in
    discounts: list[int] = field(default_factory=list)  # per line, as `lines`
    asks_names: bool = False  # checkout asks a name per ticket (the event's setting)
    buyer: tuple[str, str] = ("", "")  # the buyer's name and email ("same as me")


def hold_view(*, db: Session, hold_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> HoldView:
    """The caller's cart: what is held, at which locked prices, until when."""
    hold = get_hold(db=db, hold_id=hold_id, user_id=user_id)
    items = hold_items(db=db, hold_id=hold.id)
    type_ids = {i.ticket_type_id for i in items}
    names = dict(db.exec(select(TicketType.id, TicketType.name).where(TicketType.id.in_(type_ids))).all())
    sessions_of = sessions_of_types(db, type_ids)
    seats = seat_names_of_hold(db, hold.id)
    order_id = db.exec(select(Order.id).where(Order.hold_id == hold.id)).first()
    code = db.get(PromoCode, hold.promo_code_id) if hold.promo_code_id is not None else None
    event = db.get(Event, hold.event_id)
    buyer = db.get(User, hold.user_id)
    return HoldView(hold=hold, event=event, state=hold_state(hold, now),
                    lines=[ItemLine(names.get(i.ticket_type_id, "Ticket"), i.quantity, i.unit_price_minor,
                                    sessions_of[i.ticket_type_id], seat_texts(seats.get(i.ticket_type_id, [])))
                           for i in items],
                    units=sum(i.quantity for i in items), order_id=order_id,
                    promo_code=code.code if code is not None else "", discounts=[i.discount_minor for i in items],
                    asks_names=asks_names(db, event), buyer=(buyer.name, buyer.email) if buyer else ("", ""))
