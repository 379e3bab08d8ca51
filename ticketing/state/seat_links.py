"""Links from an event page to the seat maps of its seated sessions."""

from __future__ import annotations

import uuid

import reflex as rx

from ticketing.formatting import date_range
from ticketing.services.errors import ServiceError
from ticketing.services.sales.availability import visible_event
from ticketing.services.seating import seat_map
from ticketing.state.auth import AuthState
from ticketing.state.calls import in_transaction


class SeatLinksState(rx.State):
    seated: list[dict[str, str]] = []
    seated_types: list[str] = []  # ticket types sold by choosing seats (no quantity picker)

    @rx.event
    async def load(self):
        """on_load of the event page: which sessions are sold seat by seat."""
        self.seated, self.seated_types = [], []
        try:
            event_id = uuid.UUID(str(self.router._page.params.get("event_id", "")))
        except ValueError:
            return
        user_id = await (await self.get_state(AuthState))._current_user_id()

        def work(db):
            event = visible_event(db=db, event_id=event_id, user_id=user_id)
            return event, seat_map.seated_sessions_of_event(db, event_id), seat_map.seated_ticket_type_ids(db, event_id)

        try:
            event, sessions, types = await in_transaction(work, readonly=True)
        except ServiceError:
            return
        self.seated_types = [str(t) for t in types]
        self.seated = [{"name": s.name, "when": date_range(s.starts_at, None, event.timezone),
                        "href": f"/events/{event.id}/seats/{s.id}",
                        "manage_href": f"/manage/events/{event.id}/seats/{s.id}"} for s in sessions]
