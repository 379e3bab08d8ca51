"""The public list of published events (landing page)."""

from __future__ import annotations

import reflex as rx

from ticketing.formatting import date_range, money
from ticketing.models.base import utcnow
from ticketing.services import catalog
from ticketing.services.catalog import discovery
from ticketing.state.calls import in_transaction


def event_card_fields(summary: catalog.EventSummary, sold_out: bool = False, few_left: bool = False) -> dict[str, str]:
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
        "sold_out": "yes" if sold_out else "",
        "few_left": "yes" if few_left and not sold_out else "",
        "cover": e.cover_image,
    }


class EventsState(rx.State):
    events: list[dict[str, str]] = []
    search: str = ""
    category: str = ""  # "" = every category
    within: str = "any"  # any | week | month | quarter
    categories: list[str] = []
    loaded: bool = False

    @rx.var
    def filtered(self) -> bool:
        return bool(self.search.strip() or self.category or self.within != "any")

    @rx.event
    async def load_events(self):
        query, category, within = self.search.strip(), self.category, self.within

        def work(db):
            found = discovery.discover_events(db=db, now=utcnow(), search=query or None, category=category or None,
                                              within=within)
            return found, discovery.categories(db=db)

        found, self.categories = await in_transaction(work, readonly=True)
        self.events = [event_card_fields(d.summary, d.sold_out, d.few_left) for d in found]
        self.loaded = True

    @rx.event
    async def set_category(self, value: str):
        self.category = "" if value == "all" else value[:60]
        return EventsState.load_events

    @rx.event
    async def set_within(self, value: str):
        self.within = value if value in discovery.WITHIN_DAYS else "any"
        return EventsState.load_events

    @rx.event
    async def clear_filters(self):
        self.search, self.category, self.within = "", "", "any"
        return EventsState.load_events

    @rx.event
    async def set_search(self, value: str):
        self.search = value[:100]
        return EventsState.load_events
