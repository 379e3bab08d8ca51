"""The public list of published events (landing page)."""

from __future__ import annotations

import reflex as rx

from ticketing.models.base import utcnow
from ticketing.state.calls import in_transaction


class EventsState(rx.State):
    events: list[dict[str, str]] = []
    search: str = ""
    loaded: bool = False

    @rx.event
    async def load_events(self):
        from ticketing.services import catalog  # TEMP until catalog lands

        query = self.search.strip()
        rows = await in_transaction(
            lambda db: catalog.list_published_events(db=db, now=utcnow(), search=query or None), readonly=True
        )
        self.events = [catalog.event_card_fields(row) for row in rows]
        self.loaded = True

    @rx.event
    async def set_search(self, value: str):
        self.search = value[:100]
        return EventsState.load_events
