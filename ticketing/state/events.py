"""The public list of published events (landing page)."""

from __future__ import annotations

import reflex as rx

from ticketing.formatting import date_range, money
from ticketing.models.base import utcnow
from ticketing.services import catalog
from ticketing.state.calls import in_transaction


def event_card_fields(summary: catalog.EventSummary) -> dict[str, str]:
    e = summary.event
    price = (
        f"From {money(summary.price_from_minor, summary.currency)}"
        if summary.price_from_minor is not None and summary.currency
        else ""
    )
    return {
        "id": str(e.id),
        "title": e.title,
        "category": e.category or "Event",
        "location": e.location or "Location to be announced",
        "when": date_range(summary.next_starts_at or summary.starts_at, summary.ends_at, e.timezone),
        "price_from": price,
        "url": f"/events/{e.id}",
    }


class EventsState(rx.State):
    events: list[dict[str, str]] = []
    search: str = ""
    loaded: bool = False

    @rx.event
    async def load_events(self):
        query = self.search.strip()
        rows = await in_transaction(
            lambda db: catalog.list_published_events(db=db, now=utcnow(), search=query or None), readonly=True
        )
        self.events = [event_card_fields(row) for row in rows]
        self.loaded = True

    @rx.event
    async def set_search(self, value: str):
        self.search = value[:100]
        return EventsState.load_events
