"""What can be bought right now: places per session and units per ticket type of one event.

A constant number of queries whatever the number of sessions and ticket types (event, sessions,
ticket types, inclusions, and the two usage sums of usage.py). Read-only: no locks are taken,
so the snapshot may be a moment old; holds recount under lock anyway.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from ticketing.models import Event, EventSession, EventStatus, Presale, TicketType
from ticketing.services.catalog.catalog_common import is_public, viewer_role
from ticketing.services.errors import not_found
from ticketing.services.presales.access import CallerView, apply_presales, caller_view, event_presales, seat_blocks
from ticketing.services.sales import usage
from ticketing.services.sales.places import places_left, quota_left, sessions_of_types
from ticketing.services.seating.seat_counts import BlockFree, SeatFree, free_block_seats, free_seats_by_type, open_seats

FILLING_UP = 0.70  # share of capacity taken
NEARLY_FULL = 0.90


@dataclass(frozen=True)
class SessionAvailability:
    id: uuid.UUID
    name: str
    starts_at: datetime
    capacity: int
    sold: int
    pending: int
    held: int
    available: int
    status: str  # available | filling_up | nearly_full | sold_out


@dataclass(frozen=True)
class TicketTypeAvailability:
    """`available` is what capacity and quota allow; `is_available` says whether it can be
    bought now (sale window, active flag, event status) and `reason` why not."""

    id: uuid.UUID
    name: str
    price_minor: int
    currency: str
    sold: int
    available: int
    is_available: bool
    reason: str | None  # not_on_sale_yet | sale_ended | inactive | quota_reached | session_full | presale_only
    bottleneck_session_id: uuid.UUID | None
    session_ids: tuple[uuid.UUID, ...]
    # Its seated sessions, where it is bought seat by seat: `available` counts free seats of its levels.
    seated_session_ids: tuple[uuid.UUID, ...] = ()
    # The presale that closes it to this caller (reason presale_only / sale_ended), or that the
    # caller's access code opens (presales.access.apply_presales).
    presale_id: uuid.UUID | None = None

    @property
    def seated(self) -> bool:
        return bool(self.seated_session_ids)


@dataclass(frozen=True)
class EventAvailability:
    event_id: uuid.UUID
    version: int
    as_of: datetime
    sessions: list[SessionAvailability]
    ticket_types: list[TicketTypeAvailability]


def session_status(capacity: int, available: int) -> str:
    """The band of a session by the share of its capacity already taken."""
    if available <= 0 or capacity <= 0:
        return "sold_out"
    taken = (capacity - available) / capacity
    if taken >= NEARLY_FULL:
        return "nearly_full"
    if taken >= FILLING_UP:
        return "filling_up"
    return "available"


def sale_refusal(ticket_type: TicketType, event: Event, now: datetime) -> str | None:
    """Why the ticket type cannot be sold now regardless of places, or None."""
    if not ticket_type.is_active:
        return "inactive"
    if event.status == EventStatus.cancelled.value:
        return "sale_ended"
    if ticket_type.sale_starts_at is not None and now < ticket_type.sale_starts_at:
        return "not_on_sale_yet"
    if ticket_type.sale_ends_at is not None and now >= ticket_type.sale_ends_at:
        return "sale_ended"
    return None


def visible_event(*, db: Session, event_id: uuid.UUID, user_id: uuid.UUID | None) -> Event:
    """The event when the caller may see it, by the event page's rule (catalog.get_event):
    published ones, cancelled ones that sold, and any for the organization's staff."""
    event = db.get(Event, event_id)
    if event is None:
        raise not_found("event")
    if not is_public(db, event) and viewer_role(db, event=event, user_id=user_id) is None:
        raise not_found("event")
    return event


@dataclass(frozen=True)
class EventInputs:
    """The catalog side of an event's availability: what changes only when the catalog does."""

    event: Event
    sessions: list[EventSession]  # by start
    types: list[TicketType]  # by sort order
    sessions_of: dict[uuid.UUID, list[uuid.UUID]]
    presales: tuple = ()  # models.Presale: what they reserve is closed to callers without a code


def load_inputs(*, db: Session, event_id: uuid.UUID) -> EventInputs:
    """Event, sessions, ticket types and inclusions (4 queries; a fifth for an event with presales)."""
    # populate_existing: a long-lived session must not report counters it loaded earlier.
    fresh = {"populate_existing": True}
    # Whether the event has presales rides on the event's own query: most have none.
    found = db.exec(select(Event, select(Presale.id).where(Presale.event_id == event_id).exists())
                    .where(Event.id == event_id).execution_options(**fresh)).first()
    if found is None:
        raise not_found("event")
    event, has_presales = found
    sessions = list(
        db.exec(
            select(EventSession)
            .where(EventSession.event_id == event_id)
            .order_by(EventSession.starts_at, EventSession.name)
            .execution_options(**fresh)
        ).all()
    )
    types = list(
        db.exec(
            select(TicketType)
            .where(TicketType.event_id == event_id)
            .order_by(TicketType.sort_order, TicketType.name)
            .execution_options(**fresh)
        ).all()
    )
    return EventInputs(event, sessions, types, sessions_of_types(db, [t.id for t in types]),
                       tuple(event_presales(db, event_id)) if has_presales else ())


def event_availability(*, db: Session, event_id: uuid.UUID, now: datetime,
                       access_code: str | None = None) -> EventAvailability:
    """Availability of every session and ticket type of the event at `now` (no access check),
    for a caller with this presale access code, or none (presales.access.caller_view: 422
    `access_code_invalid`, 409 `access_code_used_up` for a code that opens nothing now)."""
    inputs = load_inputs(db=db, event_id=event_id)
    caller = None if access_code is None else caller_view(db, event_id=event_id, access_code=access_code, now=now,
                                                           presales=list(inputs.presales))
    session_used = usage.session_usage(db=db, sessions=inputs.sessions, now=now)
    type_used = usage.ticket_type_usage(db=db, ticket_types=inputs.types, now=now)
    seat_free = free_seats_by_type(db, event_id=event_id, now=now)
    block_free = free_block_seats(db, blocks=seat_blocks(inputs.presales), now=now)
    return compute_availability(inputs, session_used, type_used, version=inputs.event.version, now=now,
                                seat_free=seat_free, block_free=block_free, caller=caller)


def compute_availability(
    inputs: EventInputs,
    session_used: dict[uuid.UUID, usage.Usage],
    type_used: dict[uuid.UUID, usage.Usage],
    *,
    version: int,
    now: datetime,
    seat_free: SeatFree | None = None,
    block_free: BlockFree | None = None,
    caller: CallerView | None = None,
) -> EventAvailability:
    """Availability from the catalog and the usage figures alone (no database): live listeners
    recompute it from the usage a delta carries. In a seated session (`seat_free`) a ticket type
    has only the free seats of its own price levels, not every place of the session, less the
    free seats of presale blocks closed to the caller (`block_free`: what the caller's seat map
    shows blocked). `caller`: the presales as one caller meets them (default: a caller without
    an access code)."""
    caller = caller or CallerView(list(inputs.presales), None, None)
    closed = {p.id for p in caller.closed_blocks(now)}
    seat_free = open_seats(seat_free or {}, block_free or {}, closed)
    event, sessions, types, sessions_of = inputs.event, inputs.sessions, inputs.types, inputs.sessions_of
    session_rows: list[SessionAvailability] = []
    left_by_session: dict[uuid.UUID, int] = {}
    for s in sessions:
        used = session_used[s.id]
        left = places_left(s, used)
        left_by_session[s.id] = left
        session_rows.append(
            SessionAvailability(
                id=s.id, name=s.name, starts_at=s.starts_at, capacity=s.capacity, sold=used.sold,
                pending=used.pending, held=used.held, available=left, status=session_status(s.capacity, left),
            )
        )
    start_of = {s.id: s.starts_at for s in sessions}

    type_rows: list[TicketTypeAvailability] = []
    for t in types:
        included = sessions_of[t.id]
        quota = quota_left(t, type_used[t.id])
        left_for_type = {
            sid: min(left_by_session[sid], seat_free[sid].get(t.id, 0)) if sid in seat_free else left_by_session[sid]
            for sid in included
        }
        # The most constraining session: fewest places left, the earliest one on a tie.
        bottleneck = min(included, key=lambda sid: (left_for_type[sid], start_of[sid], sid), default=None)
        session_cap = left_for_type[bottleneck] if bottleneck is not None else 0
        available = session_cap if quota is None else min(quota, session_cap)
        reason = sale_refusal(t, event, now)
        if reason is None and quota == 0:
            reason = "quota_reached"
        if reason is None and session_cap == 0:
            # No included session at all is a catalog error; nothing can be sold either way.
            reason = "session_full"
        type_rows.append(
            TicketTypeAvailability(
                id=t.id, name=t.name, price_minor=t.price_minor, currency=t.currency, sold=type_used[t.id].sold,
                available=available, is_available=reason is None, reason=reason,
                bottleneck_session_id=bottleneck, session_ids=tuple(included),
                seated_session_ids=tuple(sid for sid in included if sid in seat_free),
            )
        )
    return EventAvailability(
        event_id=event.id, version=version, as_of=now, sessions=session_rows,
        ticket_types=apply_presales(type_rows, caller, now) if caller.presales else type_rows,
    )
