"""Waiting lists: joining a sold-out ticket type's list, leaving it, reading it, closing it.

Offers (a hold made for the first in line when places free up) are waitlist_offers.py; the rule
that keeps freed places for the list is waitlist_gate.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import (
    EntryStatus,
    EventStatus,
    Hold,
    HoldStatus,
    TicketType,
    User,
    WaitlistClosure,
    WaitlistEntry,
)
from ticketing.models.waitlist import LIVE_STATUSES
from ticketing.services.catalog.catalog_common import event_for_role
from ticketing.services.errors import ServiceError, invalid, not_found
from ticketing.services.sales.availability import sale_refusal, visible_event
from ticketing.services.sales.hold_rules import MAX_UNITS_PER_LINE
from ticketing.services.sales.holds import release_hold
from ticketing.services.sales.places import check_places, lock_bundles, lock_fresh, lock_user, sessions_of_types
from ticketing.services.sales.waitlist_gate import waiting_type


@dataclass(frozen=True)
class EntryView:
    """An entry as people see it: `state` is the stored status, or what an offer became
    (`bought`, `lapsed`) before the next pass records it; `position` counts live entries only."""

    entry: WaitlistEntry
    state: str
    position: int | None
    ticket_type_name: str
    customer: str = ""  # "Name <email>", for the organizer's list


def entry_state(entry: WaitlistEntry, hold: Hold | None, now: datetime) -> str:
    """The entry's status at `now`, reading what its offer's hold became."""
    if entry.status != EntryStatus.offered.value:
        return entry.status
    if hold is not None and hold.status == HoldStatus.converted.value:
        return EntryStatus.bought.value
    if hold is None or hold.status == HoldStatus.released.value or hold.expires_at <= now:
        return EntryStatus.lapsed.value
    return EntryStatus.offered.value


def _event_type(db: Session, *, event_id: uuid.UUID, ticket_type_id: uuid.UUID) -> TicketType:
    ticket_type = db.get(TicketType, ticket_type_id)
    if ticket_type is None or ticket_type.event_id != event_id:
        raise ServiceError("not_found", "No such ticket type.", status=404, ticket_type_id=ticket_type_id)
    return ticket_type


def is_closed(db: Session, ticket_type_id: uuid.UUID) -> bool:
    return db.get(WaitlistClosure, ticket_type_id) is not None


def join_waitlist(*, db: Session, event_id: uuid.UUID, user_id: uuid.UUID, ticket_type_id: uuid.UUID,
                  quantity: int, now: datetime) -> EntryView:
    """Queue the customer for `quantity` units of a sold-out ticket type. 409 `not_sold_out`
    when they could buy them now, `already_waiting` with a live entry for the type,
    `waitlist_closed`; 422 `invalid_quantity`, `not_on_sale`."""
    event = visible_event(db=db, event_id=event_id, user_id=user_id)
    if event.status != EventStatus.published.value:
        raise invalid("not_on_sale", "This event is not on sale.", reason=f"event_{event.status}")
    ticket_type = _event_type(db, event_id=event_id, ticket_type_id=ticket_type_id)
    limit = min(ticket_type.max_per_order or MAX_UNITS_PER_LINE, event.max_tickets_per_order, MAX_UNITS_PER_LINE)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= limit:
        raise invalid("invalid_quantity", f"Ask for 1 to {limit} ticket(s).", ticket_type_id=ticket_type_id)
    reason = sale_refusal(ticket_type, event, now)
    if reason is not None:
        raise invalid("not_on_sale", f"'{ticket_type.name}' is not on sale ({reason}).", reason=reason)
    if is_closed(db, ticket_type_id):
        raise ServiceError("waitlist_closed", "The waiting list for these tickets is closed.")

    lock_user(db, user_id)  # one live entry per customer and type: their joins queue here
    live = db.exec(select(WaitlistEntry.id).where(
        WaitlistEntry.user_id == user_id, WaitlistEntry.ticket_type_id == ticket_type_id,
        WaitlistEntry.status.in_(LIVE_STATUSES))).first()
    if live is not None:
        raise ServiceError("already_waiting", "You are already on the waiting list for these tickets.",
                           entry_id=live)
    # Sold out is decided under the locks of the places, which every sale and every offer takes.
    quantities = {ticket_type_id: quantity}
    locked = lock_bundles(db, quantities=quantities, sessions_of=sessions_of_types(db, quantities), now=now)
    if waiting_type(db, type_ids=[ticket_type_id]) is None:
        try:
            check_places(db, sessions=locked.sessions, types=locked.types, quantities=quantities,
                         sessions_of=locked.sessions_of, now=now)
        except ServiceError:
            pass  # short of places: sold out for this quantity, the customer may wait
        else:
            raise ServiceError("not_sold_out", "These tickets are still available: buy them instead.")
    entry = WaitlistEntry(event_id=event_id, ticket_type_id=ticket_type_id, user_id=user_id, quantity=quantity,
                          created_at=now, updated_at=now)
    db.add(entry)
    db.flush()
    return EntryView(entry, entry.status, position(db, entry), ticket_type.name)


def position(db: Session, entry: WaitlistEntry) -> int | None:
    """1 for the first in line; None once the entry is no longer waiting or offered."""
    if entry.status not in LIVE_STATUSES:
        return None
    ahead = db.exec(select(func.count()).select_from(WaitlistEntry).where(
        WaitlistEntry.ticket_type_id == entry.ticket_type_id, WaitlistEntry.status.in_(LIVE_STATUSES),
        (WaitlistEntry.created_at < entry.created_at)
        | ((WaitlistEntry.created_at == entry.created_at) & (WaitlistEntry.id < entry.id)))).one()
    return ahead + 1


def leave_waitlist(*, db: Session, entry_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> None:
    """Take the customer off the list; an offer they hold is released (its places pass on).
    Leaving twice is harmless; anyone else's entry is 404."""
    entry = lock_fresh(db, WaitlistEntry, [entry_id]).get(entry_id)
    if entry is None or entry.user_id != user_id:
        raise not_found("waiting-list entry")
    if entry.status not in LIVE_STATUSES:
        return
    if entry.status == EntryStatus.offered.value and entry.hold_id is not None:
        hold = db.get(Hold, entry.hold_id)
        if hold is not None and hold.status == HoldStatus.converted.value:
            entry.status = EntryStatus.bought.value  # bought already: nothing to leave
            db.add(entry)
            return
        release_hold(db=db, hold_id=entry.hold_id, user_id=user_id, now=now)
    entry.status = EntryStatus.left.value
    entry.updated_at = now
    db.add(entry)


def _views(db: Session, entries: list[WaitlistEntry], now: datetime) -> list[EntryView]:
    hold_ids = [e.hold_id for e in entries if e.hold_id is not None]
    holds = {h.id: h for h in db.exec(select(Hold).where(Hold.id.in_(hold_ids))).all()} if hold_ids else {}
    type_ids = {e.ticket_type_id for e in entries}
    names = dict(db.exec(select(TicketType.id, TicketType.name).where(TicketType.id.in_(type_ids))).all()) \
        if type_ids else {}
    # Positions from the live entries of the same types, in one query.
    live = db.exec(select(WaitlistEntry.id, WaitlistEntry.ticket_type_id).where(
        WaitlistEntry.ticket_type_id.in_(type_ids), WaitlistEntry.status.in_(LIVE_STATUSES))
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)).all() if type_ids else []
    positions: dict[uuid.UUID, int] = {}
    counted: dict[uuid.UUID, int] = {}
    for entry_id, type_id in live:
        counted[type_id] = counted.get(type_id, 0) + 1
        positions[entry_id] = counted[type_id]
    return [EntryView(e, entry_state(e, holds.get(e.hold_id) if e.hold_id else None, now), positions.get(e.id),
                      names.get(e.ticket_type_id, "")) for e in entries]


def my_waitlist(*, db: Session, user_id: uuid.UUID, now: datetime, event_id: uuid.UUID | None = None
                ) -> list[EntryView]:
    """The customer's entries (of one event, or all), newest first."""
    query = select(WaitlistEntry).where(WaitlistEntry.user_id == user_id)
    if event_id is not None:
        query = query.where(WaitlistEntry.event_id == event_id)
    entries = list(db.exec(query.order_by(WaitlistEntry.created_at.desc(), WaitlistEntry.id).limit(100)).all())
    return _views(db, entries, now)


def event_waitlist(*, db: Session, event_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> list[EntryView]:
    """Every entry of the event's lists, per ticket type in line order (owner/organizer)."""
    event_for_role(db, event_id=event_id, user_id=user_id)
    entries = list(db.exec(
        select(WaitlistEntry).join(TicketType, TicketType.id == WaitlistEntry.ticket_type_id)
        .where(WaitlistEntry.event_id == event_id)
        .order_by(TicketType.sort_order, TicketType.name, WaitlistEntry.created_at, WaitlistEntry.id)).all())
    people = {u.id: f"{u.name} <{u.email}>" for u in db.exec(
        select(User).where(User.id.in_({e.user_id for e in entries}))).all()} if entries else {}
    return [replace(v, customer=people.get(v.entry.user_id, "")) for v in _views(db, entries, now)]


def closed_types(db: Session, *, event_id: uuid.UUID) -> set[uuid.UUID]:
    """The event's ticket types whose list is closed."""
    return set(db.exec(select(WaitlistClosure.ticket_type_id).join(
        TicketType, TicketType.id == WaitlistClosure.ticket_type_id).where(TicketType.event_id == event_id)).all())


def close_waitlist(*, db: Session, event_id: uuid.UUID, user_id: uuid.UUID, ticket_type_id: uuid.UUID,
                   now: datetime) -> int:
    """Close a ticket type's list (owner/organizer): nobody joins any more, the waiting entries
    are closed (offers already made stand), and the places go back to general sale. Returns
    the entries closed."""
    event_for_role(db, event_id=event_id, user_id=user_id)
    _event_type(db, event_id=event_id, ticket_type_id=ticket_type_id)
    if db.get(WaitlistClosure, ticket_type_id) is None:
        db.add(WaitlistClosure(ticket_type_id=ticket_type_id, closed_at=now))
    waiting = db.exec(select(WaitlistEntry.id).where(WaitlistEntry.ticket_type_id == ticket_type_id,
                                                     WaitlistEntry.status == EntryStatus.waiting.value)).all()
    closed = 0
    for entry in lock_fresh(db, WaitlistEntry, waiting).values():
        if entry.status == EntryStatus.waiting.value:
            entry.status = EntryStatus.closed.value
            entry.updated_at = now
            db.add(entry)
            closed += 1
    db.flush()
    return closed


def reopen_waitlist(*, db: Session, event_id: uuid.UUID, user_id: uuid.UUID, ticket_type_id: uuid.UUID) -> None:
    """Let customers join the ticket type's list again (owner/organizer)."""
    event_for_role(db, event_id=event_id, user_id=user_id)
    _event_type(db, event_id=event_id, ticket_type_id=ticket_type_id)
    closure = db.get(WaitlistClosure, ticket_type_id)
    if closure is not None:
        db.delete(closure)
        db.flush()
