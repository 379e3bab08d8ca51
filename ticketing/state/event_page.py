"""The customer's event page: event details and live availability."""

from __future__ import annotations

import os
import uuid
from typing import Any

import reflex as rx

from ticketing.formatting import date_range
from ticketing.models.base import utcnow
from ticketing.realtime.views import customer_view
from ticketing.services import availability, catalog
from ticketing.services.errors import ServiceError
from ticketing.state.auth import AuthState
from ticketing.state.calls import in_transaction
from ticketing.state.live import hub, register_view


class EventPageState(rx.State):
    event: dict[str, str] = {}
    sessions: list[dict[str, Any]] = []
    ticket_types: list[dict[str, Any]] = []
    version: int = 0
    live: bool = True
    missing: bool = False
    worker: str = ""  # the worker process serving this tab (shown as a data attribute)

    def _event_id(self) -> uuid.UUID | None:
        raw = self.router._page.params.get("event_id", "")
        try:
            return uuid.UUID(str(raw))
        except ValueError:
            return None

    @rx.event
    async def load(self):
        """on_load: a fresh snapshot, then live pushes from the hub."""
        event_id = self._event_id()
        auth = await self.get_state(AuthState)
        user_id = await auth.current_user_id()
        if event_id is None:
            self.missing = True
            return

        def work(db):
            detail = catalog.get_event(db=db, event_id=event_id, user_id=user_id)
            avail = availability.event_availability(db=db, event_id=event_id, now=utcnow())
            return detail, avail

        try:
            detail, avail = await in_transaction(work, readonly=True)
        except ServiceError:
            self.missing = True
            return
        e = detail.event
        starts = [s.session.starts_at for s in detail.sessions]
        ends = [s.session.ends_at for s in detail.sessions]
        self.event = {
            "id": str(e.id),
            "title": e.title,
            "description": e.description,
            "location": e.location or "Location to be announced",
            "category": e.category or "Event",
            "when": date_range(min(starts, default=None), max(ends, default=None), e.timezone),
            "status": e.status,
            "cover": e.cover_image,
        }
        view = customer_view(avail, e)
        self.sessions, self.ticket_types = view["sessions"], view["ticket_types"]
        self.version, self.missing, self.live = avail.version, False, hub.bus_up
        self.worker = str(os.getpid())
        hub.watch(self.router.session.client_token, str(e.id), "customer")

    @rx.event
    def leave(self):
        """on_unmount: stop receiving this event's updates."""
        hub.unwatch(self.router.session.client_token)

    @rx.event
    async def refresh(self):
        """Periodic refresh while live updates are paused."""
        if not self.live:
            return EventPageState.load


register_view("customer", EventPageState)
