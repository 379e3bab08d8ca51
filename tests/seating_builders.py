"""A seated event built through the seating services: an organization, a published event, one
session seated in a generated venue, one ticket type and price level per price band."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from tests.builders import T0, make_buyers, make_event, make_session, make_ticket_type
from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.models import EventSeat, EventSession, Seat
from ticketing.services.sales import usage
from ticketing.services.seating import layouts, seating, venues
from ticketing.services.seating.seat_status import HELD, RESERVED, SOLD, in_inventory, seat_code

SMALL_HALL = {
    "name": "Small Hall",
    "stage": {"x": 0, "y": 0},
    "sections": [{"name": "Stalls", "rows": 4, "seats": 10, "y": 300, "aisles": [5]}],
}


@dataclass
class SeatedEvent:
    org_id: uuid.UUID
    owner_id: uuid.UUID
    event_id: uuid.UUID
    session_id: uuid.UUID
    venue_id: uuid.UUID
    levels: dict[str, uuid.UUID]  # name -> price level id
    types: dict[str, uuid.UUID]  # level name -> ticket type id
    seat_ids: dict[int, uuid.UUID]  # map index -> event seat id
    labels: dict[str, int] = field(default_factory=dict)  # "Stalls A 3" -> map index
    extra: dict[str, Any] = field(default_factory=dict)

    def idx(self, section: str, row: str, number: str | int) -> int:
        return self.labels[f"{section} {row} {number}"]

    def ids(self, *idxs: int) -> list[uuid.UUID]:
        return [self.seat_ids[i] for i in idxs]


def make_seated_event(
    db: Session, *, layout: dict[str, Any] | layouts.Layout = SMALL_HALL,
    bands: list[tuple[str, int, list[str] | None]] = (("Standard", 3000, None),), **settings: Any,
) -> SeatedEvent:
    """`bands`: (level name, price minor, sections priced at it or None for the default)."""
    owner = make_buyers(db, 1, name="Organizer")[0]
    org = make_org(db, owner=owner, now=T0)
    settings.setdefault("max_tickets_per_order", 20)
    event = make_event(db, org=org, title="Seated show", **settings)
    show = make_session(db, event=event, name="Show", capacity=1)
    plan = layout if isinstance(layout, layouts.Layout) else layouts.generate(layout)
    venue = venues.create_venue(db=db, user_id=owner.id, organization_id=org.id, layout=plan, now=T0)
    levels, types, by_section, default = {}, {}, {}, None
    for i, (name, price, sections) in enumerate(bands):
        t = make_ticket_type(db, event=event, name=name, sessions=[show], price_minor=price, sort_order=i)
        lv = seating.create_price_level(db=db, user_id=owner.id, event_id=event.id, name=name,
                                        color=f"#{(i * 53 + 90) % 256:02x}66cc", ticket_type_id=t.id, sort_order=i)
        levels[name], types[name] = lv.id, t.id
        if sections is None:
            default = lv.id
        for sec in sections or []:
            by_section[sec] = lv.id
    seating.seat_session(db=db, user_id=owner.id, event_id=event.id, session_id=show.id, venue_id=venue.id,
                         default_level_id=default or next(iter(levels.values())), section_levels=by_section, now=T0)
    rows = db.exec(select(EventSeat.idx, EventSeat.id, Seat.section, Seat.row, Seat.number)
                   .join(Seat, Seat.id == EventSeat.seat_id).where(EventSeat.session_id == show.id)).all()
    return SeatedEvent(
        org_id=org.id, owner_id=owner.id, event_id=event.id, session_id=show.id, venue_id=venue.id, levels=levels,
        types=types, seat_ids={i: sid for i, sid, *_ in rows},
        labels={f"{sec} {row} {num}": i for i, _, sec, row, num in rows},
    )


def seat_states(session_id: uuid.UUID, now: datetime) -> dict[int, int]:
    """{map index: status code at `now`}, read in its own transaction."""
    with session_scope(readonly=True) as db:
        return {s.idx: seat_code(s, now) for s in db.exec(select(EventSeat).where(EventSeat.session_id == session_id))}


def check_consistency(session_id: uuid.UUID, now: datetime) -> None:
    """The session's capacity and places agree with its seats, seat by seat."""
    with session_scope(readonly=True) as db:
        session = db.get(EventSession, session_id)
        seats = list(db.exec(select(EventSeat).where(EventSeat.session_id == session_id)))
        used = usage.session_usage(db=db, sessions=[session], now=now)[session_id]
        codes = [seat_code(s, now) for s in seats]
        inventory = sum(1 for s in seats if in_inventory(s))
    assert session.capacity == inventory, (session.capacity, inventory)
    assert used.sold == codes.count(SOLD), (used, codes.count(SOLD))
    assert used.pending == codes.count(RESERVED), (used, codes.count(RESERVED))
    assert used.held == codes.count(HELD), (used, codes.count(HELD))
