"""The ticket file of an order: its valid tickets as a PDF (ticket_pdf), made on demand when
someone asks for it, never while the order is being placed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from ticketing.formatting import date_range
from ticketing.models import Event, Order, Organization, TicketStatus
from ticketing.services.accounts.organizations import MANAGER_ROLES, membership_role
from ticketing.services.door.short_codes import display
from ticketing.services.door.ticket_pdf import PrintedTicket, tickets_pdf
from ticketing.services.errors import ServiceError, not_found
from ticketing.services.sales.order_views import OrderView, TicketLine, view_of


@dataclass(frozen=True)
class TicketFile:
    filename: str
    data: bytes


def order_tickets_pdf(*, db: Session, order_id: uuid.UUID, user_id: uuid.UUID, now: datetime,
                      ticket_id: uuid.UUID | None = None) -> TicketFile:
    """The order's valid tickets (or the one `ticket_id`) as a PDF, for the order's buyer or
    the owner or an organizer of its event; `not_found` for anyone else, as for an unknown
    order. 409 `no_valid_tickets` while none is valid (unpaid, cancelled)."""
    order = db.get(Order, order_id)
    if order is None or (order.user_id != user_id and not _manages(db, order, user_id)):
        raise not_found("order")
    view = view_of(db, order, now)
    valid = [t for t in view.tickets if t.ticket.status == TicketStatus.valid.value
             and (ticket_id is None or t.ticket.id == ticket_id)]
    if not valid:
        raise ServiceError("no_valid_tickets", "There is no valid ticket to print in this order yet "
                           "(it is not paid, or its tickets were cancelled).")
    prints = printed_tickets(db, view, valid)
    name = f"ticket-{order.number}-{len(valid)}" if ticket_id is None else f"ticket-{order.number}-{ticket_id.hex[:8]}"
    return TicketFile(f"{name}.pdf", tickets_pdf(prints, title=f"{view.event.title} — order {order.number}"))


def printed_tickets(db: Session, view: OrderView, lines: list[TicketLine]) -> list[PrintedTicket]:
    """The pages of the order's ticket lines, times in the event's time zone."""
    e = view.event
    organization = db.get(Organization, e.organization_id)
    return [
        PrintedTicket(
            event_title=e.title, organizer=organization.name if organization else "", location=e.location,
            order_number=view.order.number, type_name=line.type_name, holder_name=line.ticket.holder_name,
            sessions=[f"{s.name} · {date_range(s.starts_at, s.ends_at, e.timezone)}" for s in line.sessions],
            seats=line.seats, short_code=display(line.ticket.short_code), code=line.ticket.code,
        )
        for line in lines
    ]


def _manages(db: Session, order: Order, user_id: uuid.UUID) -> bool:
    """Whether the caller is the owner or an organizer of the order's event (door staff print
    nothing: they scan)."""
    event = db.get(Event, order.event_id)
    return event is not None and membership_role(
        db=db, user_id=user_id, organization_id=event.organization_id) in MANAGER_ROLES
