"""The organizer's live sales dashboard of one event."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing.models.base import utcnow
from ticketing.realtime.views import conflict_lines, dashboard_view
from ticketing.services.door import door
from ticketing.services.errors import ServiceError
from ticketing.services.reporting import reports
from ticketing.services.sales import availability
from ticketing.state.auth import NOT_SIGNED_IN, AuthState
from ticketing.state.calls import in_transaction
from ticketing.state.live import LiveEventMixin, register_view


class DashboardState(LiveEventMixin, rx.State):
    title: str = ""
    public_url: str = ""
    manage_url: str = ""
    stats: dict[str, str] = {}
    sessions: list[dict[str, Any]] = []
    chart: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    conflicts: list[dict[str, Any]] = []  # offline admissions the door could not have made online
    error: str = ""

    @rx.event
    async def load(self):
        """on_load (after the staff guard): figures now, then live pushes."""
        auth = await self.get_state(AuthState)
        user_id = await auth._current_user_id()
        event_id = self._route_event_id()
        if event_id is None:
            self.error = "No such event."
            return
        if user_id is None:
            self.error = NOT_SIGNED_IN
            return

        def work(db):
            event = reports.managed_event(db=db, user_id=user_id, event_id=event_id)
            now = utcnow()
            avail = availability.event_availability(db=db, event_id=event_id, now=now)
            sales = reports.event_sales(db=db, event=event, now=now)
            stats = door.checkin_stats(db=db, event_id=event.id)
            return event, avail, dashboard_view(avail, event, sales, stats, conflict_lines(db, event))

        try:
            event, avail, view = await in_transaction(work, readonly=True)
        except ServiceError as exc:
            self.error = "No such event." if exc.status == 404 else exc.message
            return
        self.error, self.title, self.public_url = "", event.title, f"/events/{event.id}"
        self.manage_url = f"/manage/events/{event.id}"
        self.stats, self.sessions, self.chart, self.orders = view["stats"], view["sessions"], view["chart"], view["orders"]
        self.conflicts = view["conflicts"]
        self._watch(event.id, "dashboard", avail.version)


register_view("dashboard", DashboardState)
