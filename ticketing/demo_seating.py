"""A seated demo event: a theatre with stalls, a curved circle and boxes, three price levels,
a few seats held back for press and blocked for a camera. Used by demo.py and the benchmark."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from ticketing.models import Organization, User
from ticketing.models.base import utcnow
from ticketing.services import catalog
from ticketing.services.seating import layouts, seating, venues

THEATRE: dict[str, Any] = {
    "name": "Riverside Theatre",
    "stage": {"x": 0, "y": 0, "label": "Stage"},
    "sections": [
        {"name": "Stalls", "rows": 16, "seats": [16, 18, 18, 20, 20, 22, 22, 24, 24, 24, 26, 26, 26, 26, 24, 22],
         "y": 450, "aisles": [], "numbering": "left_to_right",
         "special": [{"type": "wheelchair", "rows": ["R"], "seats": ["1", "2", "21", "22"]},
                     {"type": "companion", "rows": ["R"], "seats": ["3", "20"]},
                     {"type": "vip", "rows": ["A", "B"]}]},
        {"name": "Circle", "rows": 8, "seats": [34, 36, 38, 40, 42, 44, 46, 48], "shape": "curved", "radius": 2300,
         "aisles": [8, 26], "row_labels": "letters", "first_row": 1, "numbering": "odd_even"},
        {"name": "Box L", "rows": 2, "seats": 4, "x": -1450, "y": 900, "angle": 90, "row_labels": "numbers"},
        {"name": "Box R", "rows": 2, "seats": 4, "x": 1450, "y": 900, "angle": -90, "row_labels": "numbers"},
    ],
}


def _ring(prefix: str, angles: list[float], *, radius: int, span: float, rows: int, pitch: int = 52,
          row_pitch: int = 85) -> list[dict[str, Any]]:
    """Curved sections around the stage, each `span` degrees wide, rows growing with the radius."""
    return [
        {"name": f"{prefix} {i + 1}", "rows": rows, "shape": "curved", "radius": radius, "angle": angle,
         "seat_pitch": pitch, "row_pitch": row_pitch, "row_labels": "numbers",
         "seats": [max(4, int(math.radians(span) * (radius + row_pitch * r) / pitch)) for r in range(rows)]}
        for i, angle in enumerate(angles)
    ]


def arena(seats: int = 20_000) -> dict[str, Any]:
    """A generated arena of exactly `seats` seats: a lower bowl and an upper ring of curved
    sections around the stage, trimmed from the back rows of the last sections."""
    lower = _ring("Lower", [-75 + 30 * i for i in range(6)], radius=1500, span=28, rows=30)
    upper = _ring("Upper", [-126 + 28 * i for i in range(10)], radius=4400, span=26, rows=40)
    sections = lower + upper
    extra = sum(sum(s["seats"]) for s in sections) - seats
    if extra < 0:
        raise ValueError(f"an arena holds at most {seats - extra:,} seats")
    while extra > 0:  # back rows of the upper ring, a row per section in turn: it stays symmetric
        for section in upper:
            if extra <= 0:
                break
            cut = min(extra, section["seats"][-1])
            section["seats"][-1] -= cut
            extra -= cut
            if section["seats"][-1] == 0:
                section["seats"].pop()
            section["rows"] = len(section["seats"])
    return {"name": f"Arena {seats:,}", "stage": {"x": 0, "y": 0, "label": "Stage"}, "sections": sections}


def seated_event(db: Session, *, owner: User, org: Organization, title: str, layout: dict[str, Any],
                 bands: list[tuple[str, str, str, list[str] | None]], starts_at: datetime, tz: str = "UTC",
                 hold_minutes: int = 15, max_tickets: int = 10) -> tuple[Any, Any]:
    """A published event with one seated session; `bands`: (name, price, colour, sections or None)."""
    now = utcnow()
    event = catalog.create_event(db=db, user_id=owner.id, organization_id=org.id, now=now, title=title,
                                 description="An evening at the theatre. Choose your seats on the map.",
                                 location=layout["name"], category="Theatre", timezone=tz, hold_minutes=hold_minutes,
                                 max_tickets_per_order=max_tickets)
    show = catalog.create_session(db=db, user_id=owner.id, event_id=event.id, name="Evening performance",
                                  starts_at=starts_at, ends_at=starts_at + timedelta(hours=3), capacity=1, now=now)
    venue = venues.create_venue(db=db, user_id=owner.id, organization_id=org.id, layout=layouts.generate(layout),
                                now=now)
    default, by_section = None, {}
    for i, (name, price, color, sections) in enumerate(bands):
        t = catalog.create_ticket_type(db=db, user_id=owner.id, event_id=event.id, name=name, price=price,
                                       currency="EUR", session_ids=[show.session.id], now=now)
        level = seating.create_price_level(db=db, user_id=owner.id, event_id=event.id, name=name, color=color,
                                           ticket_type_id=t.ticket_type.id, sort_order=i)
        if sections is None:
            default = level.id
        for section in sections or []:
            by_section[section] = level.id
    seating.seat_session(db=db, user_id=owner.id, event_id=event.id, session_id=show.session.id, venue_id=venue.id,
                         default_level_id=default, section_levels=by_section, now=now)
    catalog.publish_event(db=db, user_id=owner.id, event_id=event.id, now=now)
    return event, show.session


def demo_theatre(db: Session, owner: User, org: Organization, start: datetime) -> None:
    """The theatre demo: press holds in the circle, a camera platform blocked in the stalls."""
    event, show = seated_event(
        db, owner=owner, org=org, title="Hamlet — Riverside Theatre", layout=THEATRE, starts_at=start, tz="Europe/Berlin",
        bands=[("Premium", "65.00", "#7c3aed", ["Box L", "Box R"]), ("Stalls", "45.00", "#2563eb", None),
               ("Circle", "29.00", "#0d9488", ["Circle"])],
    )
    seating.manage_seats(db=db, user_id=owner.id, event_id=event.id, session_id=show.id, action="hold",
                         seat_idxs=list(range(0, 4)), reason="press", note="Reviewers", now=utcnow())
    seating.manage_seats(db=db, user_id=owner.id, event_id=event.id, session_id=show.id, action="block",
                         seat_idxs=[230, 231], reason="house", note="Camera platform", now=utcnow())
