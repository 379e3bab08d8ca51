"""Venues of the current organization: generate or import a layout, preview it, export it, and
seat a session of one of the organization's events in it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import reflex as rx
from sqlmodel import select

from ticketing.demo_seating import THEATRE
from ticketing.models import SeatedSession
from ticketing.models.base import utcnow
from ticketing.services import catalog
from ticketing.services.catalog import console_catalog
from ticketing.services.errors import ServiceError
from ticketing.services.seating import layouts, seating, venues
from ticketing.state.auth import NOT_SIGNED_IN, AuthState, say_not_signed_in
from ticketing.state.calls import in_transaction

EXAMPLE = json.dumps(THEATRE, indent=2)
MAX_DOCUMENT = 20_000_000  # characters of pasted JSON


class VenueState(rx.State):
    venues: list[dict[str, str]] = []
    sessions: list[dict[str, str]] = []  # unseated sessions of the organization's events
    types: list[dict[str, str]] = []  # ticket types of the chosen session
    document: str = EXAMPLE
    kind: str = "generate"  # generate | layout
    preview_url: str = ""
    preview_name: str = ""
    session_key: str = ""  # "<event_id>/<session_id>"
    venue_id: str = ""
    ticket_type_id: str = ""
    error: str = ""
    message: str = ""
    busy: bool = False

    async def _caller(self) -> tuple[uuid.UUID | None, str]:
        auth = await self.get_state(AuthState)
        return await auth._current_user_id(), auth.current_org["id"]

    @rx.event
    async def load(self):
        """on_load (after the staff guard)."""
        user_id, org = await self._caller()
        if user_id is None or not org:
            self.error = NOT_SIGNED_IN if user_id is None else "Choose an organization first."
            return
        org_id = uuid.UUID(org)

        def work(db):
            found = venues.list_venues(db=db, user_id=user_id, organization_id=org_id)
            events = catalog.list_events_for_org(db=db, user_id=user_id, organization_id=org_id, now=utcnow())
            seated = set(db.exec(select(SeatedSession.session_id).where(
                SeatedSession.event_id.in_([s.event.id for s in events]))).all())
            sessions = []
            for summary in events:
                detail = catalog.get_event(db=db, event_id=summary.event.id, user_id=user_id)
                for view in detail.sessions:
                    if view.session.id not in seated and summary.event.status != "cancelled":
                        sessions.append({"key": f"{summary.event.id}/{view.session.id}",
                                         "name": f"{summary.event.title} — {view.session.name}"})
            return found, sessions

        try:
            found, sessions = await in_transaction(work, readonly=True)
        except ServiceError as exc:
            self.error = exc.message
            return
        self.venues = [{"id": str(v.id), "name": v.name, "seats": f"{v.seat_count:,}"} for v in found]
        self.sessions = sessions
        self.venue_id = self.venue_id or (self.venues[0]["id"] if self.venues else "")

    @rx.event
    def set_document(self, value: str):
        self.document = value[:MAX_DOCUMENT]

    @rx.event
    def set_kind(self, value: str):
        self.kind = value if value in ("generate", "layout") else "generate"
        if self.kind == "generate" and not self.document.strip():
            self.document = EXAMPLE

    @rx.event
    async def create(self):
        """A new venue from the generator spec or the pasted layout document."""
        user_id, org = await self._caller()
        if user_id is None:
            self.error, self.message = NOT_SIGNED_IN, ""
            yield say_not_signed_in()
            return
        if not org:
            self.error, self.message = "Choose an organization first.", ""
            return
        try:
            doc: Any = json.loads(self.document)
        except ValueError as exc:
            self.error, self.message = f"That is not valid JSON: {exc}", ""
            return
        self.busy = True
        yield
        org_id, kind = uuid.UUID(org), self.kind
        try:
            plan = layouts.generate(doc) if kind == "generate" else layouts.import_layout(doc)
            venue = await in_transaction(lambda db: venues.create_venue(db=db, user_id=user_id,
                                                                        organization_id=org_id, layout=plan,
                                                                        now=utcnow()))
        except ServiceError as exc:
            self.busy, self.error, self.message = False, exc.message, ""
            return
        self.busy, self.error = False, ""
        self.message = f"Venue '{venue.name}' created with {venue.seat_count:,} seats."
        self.preview_url, self.preview_name = f"/api/v1/venues/{venue.id}/seatmap", venue.name
        self.venue_id = str(venue.id)
        yield VenueState.load

    @rx.event
    def preview(self, venue_id: str, name: str):
        self.preview_url, self.preview_name = f"/api/v1/venues/{venue_id}/seatmap", name

    @rx.event
    async def export(self, venue_id: str):
        """Download the venue's layout document."""
        user_id, _org = await self._caller()
        if user_id is None:
            return say_not_signed_in()
        try:
            vid = uuid.UUID(venue_id)
            venue, doc = await in_transaction(lambda db: _export(db, user_id, vid), readonly=True)
        except (ServiceError, ValueError):
            self.error = "No such venue."
            return
        filename = "".join(c if c.isalnum() else "-" for c in venue).strip("-") or "venue"
        return rx.download(data=json.dumps(doc, indent=1), filename=f"{filename}.layout.json")

    @rx.event
    async def choose_session(self, key: str):
        """Which session to seat: offer its ticket types as the default price."""
        user_id, _org = await self._caller()
        self.session_key, self.types, self.ticket_type_id = key, [], ""
        try:
            event_id, session_id = (uuid.UUID(part) for part in key.split("/", 1))
        except ValueError:
            return rx.toast.error("No such session.")
        if user_id is None:
            return say_not_signed_in()
        try:  # through the role check: another organization's session (or its drafts) stays unseen
            rows = await in_transaction(lambda db: console_catalog.session_ticket_types(
                db=db, user_id=user_id, event_id=event_id, session_id=session_id), readonly=True)
        except ServiceError as exc:
            self.session_key = ""
            return rx.toast.error(exc.message)
        self.types = [{"id": str(i), "name": n} for i, n in rows]
        self.ticket_type_id = self.types[0]["id"] if self.types else ""

    @rx.event
    def set_venue(self, value: str):
        self.venue_id = value

    @rx.event
    def set_ticket_type(self, value: str):
        self.ticket_type_id = value

    @rx.event
    async def seat(self):
        """Seat the chosen session in the chosen venue, then open its seat map."""
        user_id, _org = await self._caller()
        if user_id is None:
            self.error = NOT_SIGNED_IN
            return say_not_signed_in()
        try:
            event_id, session_id = (uuid.UUID(p) for p in self.session_key.split("/"))
            venue_id, type_id = uuid.UUID(self.venue_id), uuid.UUID(self.ticket_type_id)
        except ValueError:
            self.error = "Choose a session, a venue and a ticket type."
            return
        try:
            await in_transaction(lambda db: seating.seat_with_ticket_types(
                db=db, user_id=user_id, event_id=event_id, session_id=session_id, venue_id=venue_id,
                default_ticket_type_id=type_id, now=utcnow()))
        except ServiceError as exc:
            self.error = exc.message
            return
        return rx.redirect(f"/manage/events/{event_id}/seats/{session_id}")


def _export(db, user_id: uuid.UUID, venue_id: uuid.UUID) -> tuple[str, dict[str, Any]]:
    venue = venues.get_venue(db=db, user_id=user_id, venue_id=venue_id)
    return venue.name, layouts.export_layout(venues.venue_layout(db, venue))
