"""Venues of an organization: create from the generator or a JSON layout, list, export, rename,
replace the layout or delete while no session uses the venue."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert
from sqlmodel import Session, select

from ticketing.models import Seat, SeatedSession, Venue
from ticketing.services.accounts.organizations import MANAGER_ROLES, STAFF_ROLES, require_role
from ticketing.services.errors import ServiceError, invalid, not_found
from ticketing.services.seating import layouts


def _ordered(layout: layouts.Layout) -> list[layouts.SeatSpec]:
    """Layout order: sections as first listed, rows front to back, seats left to right. Rows
    are then runs of consecutive indexes, which keeps the map's encoding small."""
    first = {}
    for s in layout.seats:
        first.setdefault(s.section, len(first))
    return sorted(layout.seats, key=lambda s: (first[s.section], s.row_rank, s.row, s.position))


def _write_seats(db: Session, venue: Venue, layout: layouts.Layout) -> None:
    seats = _ordered(layout)
    rows = [
        {"id": uuid.uuid4(), "venue_id": venue.id, "idx": i, "section": s.section, "row": s.row, "number": s.number,
         "seat_type": s.seat_type, "x": s.x, "y": s.y, "row_rank": s.row_rank, "position": s.position}
        for i, s in enumerate(seats)
    ]
    for start in range(0, len(rows), 5000):
        db.exec(insert(Seat), params=rows[start:start + 5000])
    venue.seat_count = len(rows)
    venue.stage_x, venue.stage_y, venue.stage_label = layout.stage_x, layout.stage_y, layout.stage_label
    db.add(venue)
    db.flush()


def layout_from_request(*, generate: dict[str, Any] | None, layout: dict[str, Any] | None) -> layouts.Layout:
    """Exactly one of a generator spec or an imported layout document."""
    if (generate is None) == (layout is None):
        raise invalid("invalid_layout", "Send either a generator spec or a layout document.")
    return layouts.generate(generate) if generate is not None else layouts.import_layout(layout)


def create_venue(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID, layout: layouts.Layout,
                 now: datetime) -> Venue:
    """A new venue with the layout's seats (owner/organizer)."""
    require_role(db=db, user_id=user_id, organization_id=organization_id, roles=MANAGER_ROLES)
    venue = Venue(organization_id=organization_id, name=layout.name, created_at=now)
    db.add(venue)
    db.flush()
    _write_seats(db, venue, layout)
    return venue


def get_venue(*, db: Session, user_id: uuid.UUID, venue_id: uuid.UUID) -> Venue:
    """A venue of one of the caller's organizations (any staff role); not_found otherwise."""
    venue = db.get(Venue, venue_id)
    if venue is None:
        raise not_found("venue")
    try:
        require_role(db=db, user_id=user_id, organization_id=venue.organization_id, roles=STAFF_ROLES)
    except ServiceError as exc:
        raise not_found("venue") if exc.status == 404 else exc
    return venue


def list_venues(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID) -> list[Venue]:
    require_role(db=db, user_id=user_id, organization_id=organization_id, roles=STAFF_ROLES)
    return list(db.exec(select(Venue).where(Venue.organization_id == organization_id).order_by(Venue.name)))


def venue_layout(db: Session, venue: Venue) -> layouts.Layout:
    """The venue's seats as a layout (what export writes)."""
    seats = db.exec(select(Seat).where(Seat.venue_id == venue.id).order_by(Seat.idx)).all()
    return layouts.Layout(
        name=venue.name, stage_x=venue.stage_x, stage_y=venue.stage_y, stage_label=venue.stage_label,
        seats=[layouts.SeatSpec(s.section, s.row, s.number, s.seat_type, s.x, s.y, s.row_rank, s.position)
               for s in seats],
    )


def _ensure_unused(db: Session, venue: Venue) -> None:
    used = db.exec(select(func.count()).select_from(SeatedSession).where(SeatedSession.venue_id == venue.id)).one()
    if used:
        raise ServiceError("venue_in_use", "Sessions are seated in this venue; its seats can no longer change.",
                           sessions=used)


def replace_layout(*, db: Session, user_id: uuid.UUID, venue_id: uuid.UUID, layout: layouts.Layout) -> Venue:
    """New seats for a venue no session uses yet (owner/organizer). 409 `venue_in_use`."""
    venue = get_venue(db=db, user_id=user_id, venue_id=venue_id)
    require_role(db=db, user_id=user_id, organization_id=venue.organization_id, roles=MANAGER_ROLES)
    _ensure_unused(db, venue)
    db.exec(delete(Seat).where(Seat.venue_id == venue.id))
    venue.name = layout.name
    _write_seats(db, venue, layout)
    return venue


def delete_venue(*, db: Session, user_id: uuid.UUID, venue_id: uuid.UUID) -> None:
    """Delete a venue no session uses (owner/organizer). 409 `venue_in_use`."""
    venue = get_venue(db=db, user_id=user_id, venue_id=venue_id)
    require_role(db=db, user_id=user_id, organization_id=venue.organization_id, roles=MANAGER_ROLES)
    _ensure_unused(db, venue)
    db.delete(venue)
    db.flush()
