"""The organizer's side of seated sessions: price levels, seating a session in a venue, and
holding, blocking, releasing, re-owning and re-pricing seats in bulk.

A seated session's capacity is the number of its seats in sale inventory (seat_status.
in_inventory); every change here locks the session row, then the seats, and moves the capacity
by exactly the seats that entered or left inventory, in the same transaction.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import insert, update
from sqlmodel import Session, select

from ticketing.models import (
    Event,
    EventSeat,
    EventSession,
    HoldReason,
    Ownership,
    PriceLevel,
    Seat,
    SeatedSession,
    SeatStatus,
    TicketType,
    TicketTypeSession,
    Venue,
)
from ticketing.services import live_changes
from ticketing.services.broker.flags import is_broker_event
from ticketing.services.catalog.catalog_common import (
    clean_text,
    ensure_not_cancelled,
    event_for_role,
    session_of_event,
    ticket_type_of_event,
)
from ticketing.services.errors import ServiceError, invalid, not_found
from ticketing.services.sales import usage
from ticketing.services.sales.places import lock_fresh
from ticketing.services.seating.seat_status import in_inventory, is_free, note_change, note_layout_change, set_free

COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_BULK = 25_000
ACTIONS = ("hold", "block", "release", "own", "disown", "return", "price")
REASONS = {r.value for r in HoldReason}


def create_price_level(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, name: str, color: str,
                       ticket_type_id: uuid.UUID, sort_order: int = 0) -> PriceLevel:
    """A price category whose seats sell as `ticket_type_id` (owner/organizer)."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    ensure_not_cancelled(event)
    name = clean_text(name, field="name", code="invalid_name", min_len=1, max_len=60, label="The price level name")
    if not isinstance(color, str) or not COLOR_RE.match(color):
        raise invalid("invalid_color", "Give the colour as #rrggbb.", field="color")
    ticket_type_of_event(db, event=event, ticket_type_id=ticket_type_id)
    if db.exec(select(PriceLevel.id).where(PriceLevel.event_id == event.id, PriceLevel.name == name)).first():
        raise ServiceError("duplicate_name", f"This event already has a price level called {name!r}.", field="name")
    level = PriceLevel(event_id=event.id, ticket_type_id=ticket_type_id, name=name, color=color.lower(),
                       sort_order=sort_order)
    if is_broker_event(db, event.id):
        # In broker mode a general-admission type's quota is what was bought; a type sold seat
        # by seat is limited by its owned seats instead.
        ticket_type = db.get(TicketType, ticket_type_id)
        if ticket_type.max_quantity:
            raise ServiceError("ticket_type_has_inventory", "This ticket type has general-admission places bought "
                               "for it; give the price level its own ticket type.")
        ticket_type.max_quantity = None
        db.add(ticket_type)
    db.add(level)
    db.flush()
    return level


def list_price_levels(db: Session, event_id: uuid.UUID) -> list[PriceLevel]:
    return list(db.exec(select(PriceLevel).where(PriceLevel.event_id == event_id)
                        .order_by(PriceLevel.sort_order, PriceLevel.name)))


def seat_session(
    *,
    db: Session,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    venue_id: uuid.UUID,
    default_level_id: uuid.UUID,
    section_levels: Mapping[str, uuid.UUID] | None = None,
    now: datetime,
) -> SeatedSession:
    """Sell the session seat by seat in the venue: one event seat per venue seat, priced by
    section (else the default level), all owned and available; capacity = number of seats.

    409 `already_seated`, `session_has_tickets` (places already taken); 404 for a venue of
    another organization; 422 `level_not_in_session` when a level's ticket type does not
    include the session, `unknown_section`.
    """
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    ensure_not_cancelled(event)
    session = session_of_event(db, event=event, session_id=session_id)
    venue = db.get(Venue, venue_id)
    if venue is None or venue.organization_id != event.organization_id:
        raise not_found("venue")
    section_levels = dict(section_levels or {})
    levels = {lv.id: lv for lv in list_price_levels(db, event.id)}
    wanted = {default_level_id, *section_levels.values()}
    if any(lid not in levels for lid in wanted):
        raise not_found("price level")
    included = set(db.exec(select(TicketTypeSession.ticket_type_id).where(TicketTypeSession.session_id == session.id)))
    for lid in sorted(wanted):
        if levels[lid].ticket_type_id not in included:
            raise invalid("level_not_in_session", f"Price level {levels[lid].name!r} sells a ticket type that does "
                          "not include this session.", price_level_id=lid)

    (session,) = lock_fresh(db, EventSession, [session.id]).values()
    if db.get(SeatedSession, session.id) is not None:
        raise ServiceError("already_seated", "This session is already seated.")
    if usage.session_usage(db=db, sessions=[session], now=now)[session.id].taken > 0:
        raise ServiceError("session_has_tickets", "Places of this session are already taken; seat it before selling.")
    seats = db.exec(select(Seat.id, Seat.idx, Seat.section).where(Seat.venue_id == venue.id).order_by(Seat.idx)).all()
    unknown = sorted(set(section_levels) - {section for _, _, section in seats})
    if unknown:
        raise invalid("unknown_section", f"The venue has no section {unknown[0]!r}.", section=unknown[0])
    # In broker mode seats start not owned: only purchase orders make them sellable.
    ownership = Ownership.not_owned if is_broker_event(db, event.id) else Ownership.owned
    seated = SeatedSession(session_id=session.id, event_id=event.id, venue_id=venue.id, created_at=now)
    db.add(seated)
    db.flush()
    rows = [
        {"id": uuid.uuid4(), "event_id": event.id, "session_id": session.id, "seat_id": seat_id, "idx": idx,
         "price_level_id": section_levels.get(section, default_level_id), "status": SeatStatus.available.value,
         "ownership": ownership.value, "note": ""}
        for seat_id, idx, section in seats
    ]
    for start in range(0, len(rows), 5000):
        db.exec(insert(EventSeat), params=rows[start:start + 5000])
    session.capacity = len(rows) if ownership == Ownership.owned else 0
    db.add(session)
    db.flush()
    live_changes.bump_event_version(db=db, event_id=event.id, structure=True)
    return seated


def seated_session_of(db: Session, *, event: Event, session_id: uuid.UUID) -> SeatedSession:
    seated = db.get(SeatedSession, session_id)
    if seated is None or seated.event_id != event.id:
        raise not_found("seated session")
    return seated


def _apply(seat: EventSeat, action: str, reason: str | None, note: str, level_id: uuid.UUID | None) -> bool:
    """Change one seat nobody else has; False when it already was so."""
    before = (seat.status, seat.ownership, seat.reason, seat.note, seat.price_level_id)
    if seat.hold_id is not None or seat.order_id is not None:
        set_free(seat)  # an expired customer claim: it counts for nothing any more
    if action == "price":
        seat.price_level_id = level_id
    elif action in ("own", "disown", "return"):
        seat.ownership = {"own": Ownership.owned, "disown": Ownership.not_owned,
                          "return": Ownership.returned}[action].value
    else:
        set_free(seat)
        if action in ("hold", "block"):
            seat.status = SeatStatus.held.value if action == "hold" else SeatStatus.blocked.value
            seat.reason, seat.note = reason, note
    return (seat.status, seat.ownership, seat.reason, seat.note, seat.price_level_id) != before


def manage_seats(
    *,
    db: Session,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    action: str,
    seat_idxs: Collection[int],
    now: datetime,
    reason: str | None = None,
    note: str = "",
    price_level_id: uuid.UUID | None = None,
) -> int:
    """Apply one organizer action to many seats at once, all or nothing; returns how many changed.

    hold / block (a `reason` from HoldReason, optional `note`), release (back to sale), own /
    disown / return (ownership), price (`price_level_id`). Seats a customer holds, has reserved
    or bought are refused with 409 `seat_taken` (with `seat_idxs`).
    """
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    ensure_not_cancelled(event)
    seated = seated_session_of(db, event=event, session_id=session_id)
    if action not in ACTIONS:
        raise invalid("invalid_action", f"action is one of {', '.join(ACTIONS)}.", field="action")
    if action in ("hold", "block") and reason not in REASONS:
        raise invalid("invalid_reason", f"Give a reason: {', '.join(sorted(REASONS))}.", field="reason")
    note = (note or "").strip()
    if len(note) > 200:
        raise invalid("invalid_note", "Keep the note under 200 characters.", field="note")
    if action == "price":
        level = db.get(PriceLevel, price_level_id) if price_level_id else None
        if level is None or level.event_id != event.id:
            raise not_found("price level")
        if db.exec(select(TicketTypeSession.session_id).where(TicketTypeSession.session_id == session_id,
                   TicketTypeSession.ticket_type_id == level.ticket_type_id)).first() is None:
            raise invalid("level_not_in_session", "This price level's ticket type does not include this session.")
    if action in ("own", "disown", "return") and is_broker_event(db, event.id):
        raise ServiceError("ownership_by_purchase_orders", "In broker mode seats are owned through purchase orders "
                           "and given back by returning them.")
    idxs = sorted(set(seat_idxs))
    if not idxs or len(idxs) > MAX_BULK or any(isinstance(i, bool) or not isinstance(i, int) for i in idxs):
        raise invalid("invalid_selection", f"Select between 1 and {MAX_BULK:,} seats.", field="seat_idxs")

    (session,) = lock_fresh(db, EventSession, [session_id]).values()
    ids = db.exec(select(EventSeat.id).where(EventSeat.session_id == session_id, EventSeat.idx.in_(idxs))).all()
    if len(ids) != len(idxs):
        raise invalid("invalid_selection", "Some selected seats are not on this map.", field="seat_idxs")
    rows = lock_fresh(db, EventSeat, ids)
    # A customer's live claim or a sale is never overridden from here.
    taken = sorted(r.idx for r in rows.values() if not is_free(r, now)
                   and not (r.status in (SeatStatus.held.value, SeatStatus.blocked.value) and r.hold_id is None))
    if taken:
        raise ServiceError("seat_taken", "Some selected seats are held, reserved or sold by customers.",
                           seat_idxs=taken[:50], count=len(taken))
    delta, changed = 0, 0
    for seat in rows.values():
        was = in_inventory(seat)
        if _apply(seat, action, reason, note, price_level_id):
            changed += 1
            delta += int(in_inventory(seat)) - int(was)
            db.add(seat)
            note_change(db, seat, now)
    if changed:
        session.capacity += delta
        db.add(session)
        if action == "price":
            db.exec(update(SeatedSession).where(SeatedSession.session_id == seated.session_id)
                    .values(layout_version=SeatedSession.layout_version + 1))
            note_layout_change(db, event_id=event.id, session_id=seated.session_id)
        db.flush()
        # A capacity change is a catalog change for the live hubs (they cache capacities).
        live_changes.bump_event_version(db=db, event_id=event.id, structure=delta != 0)
    return changed


PALETTE = ["#2563eb", "#7c3aed", "#0d9488", "#ea580c", "#db2777", "#65a30d", "#0891b2", "#ca8a04"]


def seat_with_ticket_types(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, session_id: uuid.UUID,
                           venue_id: uuid.UUID, default_ticket_type_id: uuid.UUID, now: datetime) -> SeatedSession:
    """The console's one-step seating: a price level for every ticket type that includes the
    session (created when missing, named after it), every seat at the chosen type's level; the
    organizer re-prices sections on the map afterwards."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    session_of_event(db, event=event, session_id=session_id)
    type_ids = set(db.exec(select(TicketTypeSession.ticket_type_id).where(TicketTypeSession.session_id == session_id)))
    if default_ticket_type_id not in type_ids:
        raise invalid("level_not_in_session", "Choose a ticket type that includes this session.")
    levels = {lv.ticket_type_id: lv for lv in list_price_levels(db, event.id)}
    for i, type_id in enumerate(sorted(type_ids - set(levels), key=str)):
        ticket_type = ticket_type_of_event(db, event=event, ticket_type_id=type_id)
        name = ticket_type.name[:60]
        if any(lv.name == name for lv in levels.values()):
            name = f"{name[:50]} ({i + 1})"
        levels[type_id] = create_price_level(db=db, user_id=user_id, event_id=event.id, name=name,
                                             color=PALETTE[(len(levels) + i) % len(PALETTE)], ticket_type_id=type_id,
                                             sort_order=len(levels))
    return seat_session(db=db, user_id=user_id, event_id=event.id, session_id=session_id, venue_id=venue_id,
                        default_level_id=levels[default_ticket_type_id].id, now=now)
