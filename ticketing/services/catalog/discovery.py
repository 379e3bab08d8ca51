"""Finding events: published events by words, category and date, each with whether it is sold out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import Event, EventStatus
from ticketing.services.catalog.catalog_events import EventSummary, list_published_events
from ticketing.services.sales.availability import event_availability

# Date filters offered to customers: label -> days ahead of now (None: any date).
WITHIN_DAYS = {"any": None, "week": 7, "month": 31, "quarter": 92}
CAPACITY_REASONS = {"quota_reached", "session_full"}
FEW_LEFT = 10  # at most this many of the best-stocked ticket type: "Few left"


@dataclass(frozen=True)
class Discovered:
    summary: EventSummary
    sold_out: bool  # nothing left to buy because places ran out (not merely off sale)
    few_left: bool = False  # on sale, but even the best-stocked ticket type has only a few left


def discover_events(
    *, db: Session, now: datetime, search: str | None = None, category: str | None = None, within: str = "any",
) -> list[Discovered]:
    """Published, upcoming events matching the filters, soonest first."""
    days = WITHIN_DAYS.get(within)
    found = list_published_events(db=db, now=now, search=search, category=category, limit=100)
    if days is not None:
        horizon = now + timedelta(days=days)
        found = [s for s in found if s.next_starts_at is not None and s.next_starts_at <= horizon]
    out = []
    for summary in found:
        types = event_availability(db=db, event_id=summary.event.id, now=now).ticket_types
        sold_out = bool(types) and not any(t.is_available for t in types) and any(
            t.reason in CAPACITY_REASONS for t in types)
        best = max((t.available for t in types if t.is_available), default=None)
        out.append(Discovered(summary, sold_out, few_left=best is not None and best <= FEW_LEFT))
    return out


def categories(*, db: Session) -> list[str]:
    """Categories of published events, for the filter."""
    rows = db.exec(
        select(func.min(Event.category)).where(Event.status == EventStatus.published.value, Event.category != "")
        .group_by(func.lower(Event.category)).order_by(func.lower(Event.category))
    ).all()
    return [r for r in rows if r]
