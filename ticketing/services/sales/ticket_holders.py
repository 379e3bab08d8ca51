"""Who holds a ticket: the attendees named at checkout, the ticket's signed code, and handing a
ticket to someone else (a new holder gets a new code; the old one stops working at the door)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import Event, EventSession, Order, OrderStatus, SeatedSession, Ticket, TicketStatus
from ticketing.services.accounts.accounts import EMAIL_RE, normalize_email
from ticketing.services.door import ticket_codes
from ticketing.services.door.short_codes import reissue_short_code
from ticketing.services.errors import ServiceError, invalid, not_found
from ticketing.services.sales.places import lock_fresh


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str


def new_ticket_code(ticket_id: uuid.UUID, version: int = 1) -> str:
    """The signed code (ticket id + code version) printed as the ticket's QR code."""
    return ticket_codes.issue_code(ticket_id, version)


def reissue_code(db: Session, ticket: Ticket) -> None:
    """Bump the ticket's code version, sign a new code and draw a new short code: every older
    code is now `revoked` at the door (the caller holds the ticket's row lock)."""
    ticket.code_version += 1
    ticket.code = new_ticket_code(ticket.id, ticket.code_version)
    db.add(ticket)
    reissue_short_code(db, ticket)


def holders_for(attendees: Sequence[Attendee] | None, units: int, buyer: tuple[str, str]) -> list[tuple[str, str]]:
    """(name, email) per unit: the named attendees in order, else the buyer's for every unit.
    An attendee's email is optional: without one, the ticket's mail goes to the buyer."""
    if not attendees:
        return [buyer] * units
    if len(attendees) != units:
        raise invalid("attendees_mismatch", f"Name one attendee per ticket ({units}).", expected=units)
    return [named(a, index=i, fallback_email=buyer[1]) for i, a in enumerate(attendees)]


def asks_names(db: Session, event: Event) -> bool:
    """Whether checkout asks a name per ticket: the event's setting, where "auto" means for
    events with several sessions or seats (a group's tickets then differ from one another)."""
    if event.one_ticket_per_attendee or event.attendee_names == "on":
        return True
    if event.attendee_names == "off":
        return False
    sessions = db.exec(select(func.count()).select_from(EventSession).where(
        EventSession.event_id == event.id, EventSession.status != "cancelled")).one()
    seated = db.exec(select(SeatedSession.session_id).where(SeatedSession.event_id == event.id).limit(1)).first()
    return sessions > 1 or seated is not None


def named(attendee: Attendee, *, index: int = 0, fallback_email: str | None = None) -> tuple[str, str]:
    """The attendee's (name, email), cleaned; 422 `invalid_attendee` (with its index) otherwise.
    A blank email takes `fallback_email` when one is given."""
    name, email = attendee.name.strip(), normalize_email(attendee.email)
    if not email and fallback_email:
        email = fallback_email
    if not name or len(name) > 120:
        raise invalid("invalid_attendee", "Enter each attendee's name (up to 120 characters).", index=index)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise invalid("invalid_attendee", "Enter a valid email for each attendee.", index=index)
    return name, email


def transfer_ticket(
    *, db: Session, ticket_id: uuid.UUID, user_id: uuid.UUID, name: str, email: str, now: datetime
) -> Ticket:
    """Give a ticket to someone else: new holder, new code (the old one stops working)."""
    ticket = lock_fresh(db, Ticket, [ticket_id]).get(ticket_id)
    order = db.get(Order, ticket.order_id) if ticket is not None else None
    if ticket is None or order is None or order.user_id != user_id:
        raise not_found("ticket")
    if ticket.status == TicketStatus.cancelled.value or order.status not in (
        OrderStatus.pending.value, OrderStatus.confirmed.value
    ):
        raise ServiceError("not_transferable", "Only live tickets can be transferred.")
    holder_name, holder_email = named(Attendee(name=name, email=email))
    ticket.holder_name, ticket.holder_email = holder_name, holder_email
    reissue_code(db, ticket)
    db.add(ticket)
    db.flush()
    return ticket
