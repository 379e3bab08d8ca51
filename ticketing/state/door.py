"""Door pages: the events a steward can scan for, and one event's scanner page around the
scanner component (live counters per session, the scan history of every gate)."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx
from reflex.config import get_config

from ticketing.formatting import date_range
from ticketing.models.base import utcnow
from ticketing.realtime.views import door_view
from ticketing.services import catalog
from ticketing.services.door import admission, door
from ticketing.services.errors import ServiceError
from ticketing.state.auth import NOT_SIGNED_IN, AuthState
from ticketing.state.calls import in_transaction
from ticketing.state.live import LiveEventMixin, register_view


def api_base() -> str:
    """Where the browser reaches the JSON API (the backend's public URL)."""
    return f"{get_config().api_url.rstrip('/')}/api/v1"


class DoorEventsState(rx.State):
    """/door: the organization's events, those happening today first."""

    events: list[dict[str, str]] = []
    loaded: bool = False

    @rx.event
    async def load(self):
        auth = await self.get_state(AuthState)
        user_id = await auth._current_user_id()
        org_id = auth.current_org["id"]
        if user_id is None or not org_id:
            return
        now = utcnow()

        def work(db):
            return catalog.list_events_for_org(db=db, user_id=user_id, organization_id=uuid.UUID(org_id), now=now,
                                               status="published")

        try:
            rows = await in_transaction(work, readonly=True)
        except ServiceError:
            rows = []
        upcoming = [r for r in rows if r.ends_at is None or r.ends_at > now]
        self.events = [
            {
                "id": str(r.event.id), "title": r.event.title, "location": r.event.location or "",
                "when": date_range(r.next_starts_at or r.starts_at, r.ends_at, r.event.timezone),
                "url": f"/door/{r.event.id}",
            }
            for r in upcoming
        ]
        self.loaded = True


class DoorState(LiveEventMixin, rx.State):
    """/door/[event_id]: counters and history arrive as live pushes (view "door")."""

    event_id: str = ""
    title: str = ""
    api_url: str = ""
    default_session_id: str = ""
    selected_session_id: str = ""
    counters: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    conflicts: int = 0
    error: str = ""

    @rx.event
    async def load(self):
        """on_load (after the staff guard): the event, figures now, then live pushes."""
        auth = await self.get_state(AuthState)
        user_id = await auth._current_user_id()
        if user_id is None:
            self.error = NOT_SIGNED_IN
            return
        event_id = self._route_event_id()
        if event_id is None:
            self.error = "No such event."
            return

        def work(db):
            event, _name = admission.door_event(db=db, event_id=event_id, user_id=user_id)
            sessions = door.event_sessions(db, event.id)
            default = door.default_session_id(sessions, now=utcnow(), timezone=event.timezone)
            return event, default, door_view(db, event)

        try:
            event, default, view = await in_transaction(work, readonly=True)
        except ServiceError as exc:
            self.error = "No such event." if exc.status == 404 else exc.message
            return
        self.error, self.event_id, self.title, self.api_url = "", str(event.id), event.title, api_base()
        self.default_session_id = str(default or "")
        if not self.selected_session_id or self.selected_session_id not in {c["id"] for c in view["counters"]}:
            self.selected_session_id = self.default_session_id
        self.counters, self.history, self.conflicts = view["counters"], view["history"], view["conflicts"]
        self._watch(event.id, "door", event.version)

    @rx.event
    def choose_session(self, session_id: str):
        """The scanner switched sessions: highlight its counter (only this event's sessions)."""
        if session_id in {c["id"] for c in self.counters}:
            self.selected_session_id = session_id

    @rx.event
    async def reload(self):
        """The scanner synced offline scans or came back online: figures now."""
        return DoorState.load


register_view("door", DoorState)
