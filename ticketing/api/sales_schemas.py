"""Request and response bodies of the availability and buying routes, and conversions to them.

Requests keep the strict base (unknown fields 422, no numbers from strings, no booleans as
numbers) except ids, which arrive as JSON strings. Quantities are not range-checked here: the
service answers 422 `invalid_quantity` for zero, negative or absurd values, a stable code.
Money leaves as a decimal string in major units plus the currency; times as ISO 8601 with offset.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Annotated

from pydantic import BaseModel, Field, PlainSerializer
from sqlmodel import Session, select

from ticketing.api.schemas import Strict
from ticketing.models import Hold, HoldItem, Order, OrderItem, Ticket, TicketTypeSession
from ticketing.services import money
from ticketing.services.sales import holds, orders
from ticketing.services.sales.availability import EventAvailability
from ticketing.services.seating import seat_map

IdIn = Annotated[uuid.UUID, Field(strict=False)]
Time = Annotated[datetime, PlainSerializer(lambda d: d.astimezone(timezone.utc).isoformat(), return_type=str)]


def fmt(minor: int, currency: str) -> str:
    return money.format_minor(minor, currency)


# --- requests ------------------------------------------------------------------------------


class HoldItemIn(Strict):
    ticket_type_id: IdIn
    quantity: int


class HoldIn(Strict):
    items: list[HoldItemIn] = Field(min_length=1, max_length=50)
    seat_ids: list[IdIn] | None = Field(default=None, max_length=500)
    promo_code: str | None = Field(default=None, max_length=64)  # matched case-insensitively
    access_code: str | None = Field(default=None, max_length=64,
                                    description="a presale's access code (case-insensitive): opens its block")


class AttendeeIn(Strict):
    name: str = Field(max_length=120)
    email: str = Field(max_length=254)


class CheckoutIn(Strict):
    attendees: list[AttendeeIn] | None = Field(default=None, max_length=1000)


class CancelIn(Strict):
    ticket_ids: list[IdIn] | None = Field(default=None, max_length=1000)


class TransferIn(Strict):
    name: str = Field(max_length=120)
    email: str = Field(max_length=254)


# --- responses -----------------------------------------------------------------------------


class SessionAvailabilityOut(BaseModel):
    id: uuid.UUID
    name: str
    starts_at: Time
    capacity: int
    sold: int
    pending: int
    held: int
    available: int
    status: str


class TicketTypeAvailabilityOut(BaseModel):
    id: uuid.UUID
    name: str
    price: str
    currency: str
    sold: int
    available: int
    is_available: bool
    reason: str | None = Field(description="not_on_sale_yet | sale_ended | inactive | quota_reached | "
                                             "session_full | presale_only (reserved to a presale: an access code opens it)")
    bottleneck_session_id: uuid.UUID | None
    session_ids: list[uuid.UUID]
    presale_id: uuid.UUID | None = Field(default=None, description="the presale that reserves it, or that the "
                                                                   "caller's access_code opens")


class AvailabilityOut(BaseModel):
    event_id: uuid.UUID
    version: int
    as_of: Time
    sessions: list[SessionAvailabilityOut]
    ticket_types: list[TicketTypeAvailabilityOut]


class LineOut(BaseModel):
    ticket_type_id: uuid.UUID
    quantity: int
    unit_price: str  # the list price locked at hold time
    discount: str = "0"  # the promo code's discount on the whole line


class HoldOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    status: str  # active | expired | released | converted
    expires_at: Time
    items: list[LineOut]
    discount: str  # the promo code's, included in total
    total: str  # after the discount
    currency: str
    promo_code_id: uuid.UUID | None = None


class TicketSeatOut(BaseModel):
    session_id: uuid.UUID
    section: str
    row: str
    number: str


class TicketOut(BaseModel):
    id: uuid.UUID
    code: str
    code_version: int
    ticket_type_id: uuid.UUID
    session_ids: list[uuid.UUID]
    seat: TicketSeatOut | None = None  # the ticket's seat in a seated session
    holder_name: str
    holder_email: str
    status: str


class PaymentOut(BaseModel):
    provider: str = "stripe"
    client_secret: str


class OrderOut(BaseModel):
    id: uuid.UUID
    number: str
    event_id: uuid.UUID
    status: str
    total: str  # after the promo code's discount
    currency: str
    discount: str = "0"
    promo_code_id: uuid.UUID | None = None
    payment: PaymentOut | None = None
    payment_due_at: Time | None
    created_at: Time
    confirmed_at: Time | None
    cancelled_at: Time | None
    items: list[LineOut]
    tickets: list[TicketOut]


class CheckoutOut(OrderOut):
    price_changed: bool  # true when an expired hold was re-taken at today's prices


class CancellationOut(OrderOut):
    cancelled_ticket_ids: list[uuid.UUID]
    refund: str
    cancellation_fee: str


# --- conversions ---------------------------------------------------------------------------


def availability_out(av: EventAvailability) -> AvailabilityOut:
    return AvailabilityOut(
        event_id=av.event_id,
        version=av.version,
        as_of=av.as_of,
        sessions=[SessionAvailabilityOut(**{k: getattr(s, k) for k in SessionAvailabilityOut.model_fields})
                  for s in av.sessions],
        ticket_types=[
            TicketTypeAvailabilityOut(
                id=t.id, name=t.name, price=fmt(t.price_minor, t.currency), currency=t.currency, sold=t.sold,
                available=t.available, is_available=t.is_available, reason=t.reason,
                bottleneck_session_id=t.bottleneck_session_id, session_ids=list(t.session_ids),
                presale_id=t.presale_id,
            )
            for t in av.ticket_types
        ],
    )


def hold_out(hold: Hold, lines: Sequence[HoldItem], now: datetime) -> HoldOut:
    return HoldOut(
        id=hold.id,
        event_id=hold.event_id,
        status=holds.hold_state(hold, now),
        expires_at=hold.expires_at,
        items=[LineOut(ticket_type_id=i.ticket_type_id, quantity=i.quantity,
                       unit_price=fmt(i.unit_price_minor, hold.currency),
                       discount=fmt(i.discount_minor, hold.currency))
               for i in lines],
        discount=fmt(hold.discount_minor, hold.currency),
        total=fmt(hold.total_minor, hold.currency),
        currency=hold.currency,
        promo_code_id=hold.promo_code_id,
    )


def ticket_out(ticket: Ticket, session_ids: Sequence[uuid.UUID], seat: dict[str, str] | None = None) -> TicketOut:
    return TicketOut(
        id=ticket.id, code=ticket.code, code_version=ticket.code_version, ticket_type_id=ticket.ticket_type_id,
        session_ids=list(session_ids), holder_name=ticket.holder_name, holder_email=ticket.holder_email,
        status=ticket.status, seat=TicketSeatOut(**seat) if seat else None,
    )


def _sessions_by_type(db: Session, type_ids: set[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    out: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if type_ids:
        for type_id, session_id in db.exec(
            select(TicketTypeSession.ticket_type_id, TicketTypeSession.session_id)
            .where(TicketTypeSession.ticket_type_id.in_(sorted(type_ids)))
            .order_by(TicketTypeSession.session_id)
        ).all():
            out[type_id].append(session_id)
    return out


def orders_out(db: Session, rows: Sequence[Order], now: datetime) -> list[OrderOut]:
    """Orders with their lines and tickets, in three queries whatever their number."""
    ids = [o.id for o in rows]
    items: dict[uuid.UUID, list[OrderItem]] = defaultdict(list)
    tickets: dict[uuid.UUID, list[Ticket]] = defaultdict(list)
    if ids:
        for item in db.exec(select(OrderItem).where(OrderItem.order_id.in_(ids)).order_by(OrderItem.id)).all():
            items[item.order_id].append(item)
        for ticket in db.exec(
            select(Ticket).where(Ticket.order_id.in_(ids)).order_by(Ticket.created_at, Ticket.id)
        ).all():
            tickets[ticket.order_id].append(ticket)
    sessions_of = _sessions_by_type(db, {t.ticket_type_id for ts in tickets.values() for t in ts})
    seats = seat_map.seats_of_tickets(db, [t.id for ts in tickets.values() for t in ts])
    return [
        OrderOut(
            id=o.id, number=o.number, event_id=o.event_id, status=orders.order_state(o, now),
            total=fmt(o.total_minor, o.currency), currency=o.currency,
            discount=fmt(o.discount_minor, o.currency), promo_code_id=o.promo_code_id,
            # No payment provider is wired yet: the Stripe issue fills {provider, client_secret}
            # for unpaid orders. Until then every order answers payment: null.
            payment=None,
            payment_due_at=o.payment_due_at if o.status == "pending" else None,
            created_at=o.created_at, confirmed_at=o.confirmed_at, cancelled_at=o.cancelled_at,
            items=[LineOut(ticket_type_id=i.ticket_type_id, quantity=i.quantity,
                           unit_price=fmt(i.unit_price_minor, o.currency),
                           discount=fmt(i.discount_minor, o.currency)) for i in items[o.id]],
            tickets=[ticket_out(t, sessions_of[t.ticket_type_id], seats.get(t.id)) for t in tickets[o.id]],
        )
        for o in rows
    ]


def ticket_with_sessions(db: Session, ticket: Ticket) -> TicketOut:
    return ticket_out(ticket, _sessions_by_type(db, {ticket.ticket_type_id})[ticket.ticket_type_id],
                      seat_map.seats_of_tickets(db, [ticket.id]).get(ticket.id))
