"""The organizer's live sales dashboard of one event."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from ticketing.models.base import utcnow
from ticketing.realtime.views import dashboard_view
from ticketing.services import availability, reports
from ticketing.services.errors import ServiceError
from ticketing.state.auth import AuthState
from ticketing.state.calls import in_transaction
from ticketing.state.live import hub, register_view


class DashboardState(rx.State):
    title: str = ""
    public_url: str = ""
    manage_url: str = ""
    stats: dict[str, str] = {}
    sessions: list[dict[str, Any]] = []
    chart: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    version: int = 0
    live: bool = True
    error: str = ""

    @rx.event
    async def load(self):
        """on_load (after the staff guard): figures now, then live pushes."""
        auth = await self.get_state(AuthState)
        user_id = await auth.current_user_id()
        try:
            event_id = uuid.UUID(str(self.router._page.params.get("event_id", "")))
        except ValueError:
            self.error = "No such event."
            return
        if user_id is None:
            return

        def work(db):
            event = reports.managed_event(db=db, user_id=user_id, event_id=event_id)
            now = utcnow()
            avail = availability.event_availability(db=db, event_id=event_id, now=now)
            return event, avail, dashboard_view(avail, event, reports.event_sales(db=db, event=event, now=now))

        try:
            event, avail, view = await in_transaction(work, readonly=True)
        except ServiceError as exc:
            self.error = "No such event." if exc.status == 404 else exc.message
            return
        self.error, self.title, self.public_url = "", event.title, f"/events/{event.id}"
        self.manage_url = f"/manage/events/{event.id}"
        self.stats, self.sessions, self.chart, self.orders = view["stats"], view["sessions"], view["chart"], view["orders"]
        self.version, self.live = avail.version, hub.bus_up
        hub.watch(self.router.session.client_token, str(event.id), "dashboard")

    @rx.event
    def leave(self):
        hub.unwatch(self.router.session.client_token)

    @rx.event
    async def refresh(self):
        if not self.live:
            return DashboardState.load


register_view("dashboard", DashboardState)
