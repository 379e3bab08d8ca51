"""The customer's side of waiting lists: join a sold-out ticket type's list from the event page,
see the place in line or the offer (live: read again when the event's version moves), leave."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import reflex as rx
from sqlmodel import select

from ticketing.formatting import local_time
from ticketing.models import Event
from ticketing.models.base import utcnow
from ticketing.services.errors import ServiceError
from ticketing.services.sales import waitlist
from ticketing.services.sales.waitlist import EntryView
from ticketing.state.auth import AuthState
from ticketing.state.calls import in_transaction

STATE_LABELS = {"waiting": "On the waiting list", "offered": "Tickets held for you", "bought": "Bought",
                "lapsed": "Offer ran out", "left": "Left the list", "closed": "List closed"}


def entry_row(view: EntryView, timezone: str) -> dict[str, Any]:
    """An entry as the pages show it (strings only)."""
    e = view.entry
    until = local_time(e.offer_expires_at, timezone).strftime("%H:%M") if e.offer_expires_at else ""
    return {"id": str(e.id), "event_id": str(e.event_id), "type_id": str(e.ticket_type_id),
            "type": view.ticket_type_name, "quantity": str(e.quantity), "state": view.state,
            "label": STATE_LABELS.get(view.state, view.state), "position": str(view.position or ""),
            "hold_id": str(e.hold_id) if e.hold_id and view.state == "offered" else "", "until": until}


class WaitlistState(rx.State):
    """The signed-in customer's entries for the event on screen, by ticket type id."""

    entries: dict[str, dict[str, str]] = {}
    mine: list[dict[str, str]] = []  # My tickets: the live entries of every event
    quantities: dict[str, int] = {}  # what they ask for, per ticket type (default 1)
    error: str = ""
    busy_type: str = ""

    def _event_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(self.router._page.params.get("event_id", "")))
        except ValueError:
            return None

    async def _user_id(self) -> uuid.UUID | None:
        return await (await self.get_state(AuthState))._current_user_id()

    async def _read(self, user_id: uuid.UUID, event_id: uuid.UUID) -> None:
        def work(db):
            event = db.get(Event, event_id)
            views = waitlist.my_waitlist(db=db, user_id=user_id, now=utcnow(), event_id=event_id)
            return views, event.timezone if event else "UTC"

        views, tz = await in_transaction(work, readonly=True)
        shown: dict[str, dict[str, str]] = {}
        for view in views:  # newest first: the latest entry of each type is the one shown
            shown.setdefault(str(view.entry.ticket_type_id), entry_row(view, tz))
        self.entries = {k: v for k, v in shown.items() if v["state"] in ("waiting", "offered", "bought", "lapsed")}

    @rx.event
    async def load(self):
        """on_load of the event page (nothing to show when signed out)."""
        self.error, self.busy_type = "", ""
        user_id, event_id = await self._user_id(), self._event_id()
        if user_id is None or event_id is None:
            self.entries = {}
            return
        await self._read(user_id, event_id)

    @rx.event
    async def load_mine(self):
        """on_load of My tickets: the entries waiting or offered, with their events."""
        user_id = await self._user_id()
        if user_id is None:
            self.mine = []
            return

        def work(db):
            views = [v for v in waitlist.my_waitlist(db=db, user_id=user_id, now=utcnow())
                     if v.state in ("waiting", "offered")]
            events = {e.id: e for e in db.exec(select(Event).where(
                Event.id.in_({v.entry.event_id for v in views}))).all()} if views else {}
            return [{**entry_row(v, events[v.entry.event_id].timezone), "event": events[v.entry.event_id].title}
                    for v in views]

        self.mine = await in_transaction(work, readonly=True)

    @rx.event
    async def follow_live(self, _version: Any = None):
        """The event's version moved (a sale, a release, an offer): read the entries again when
        this customer is on a list, so an offer shows the moment it is made."""
        if not self.entries:
            return
        user_id, event_id = await self._user_id(), self._event_id()
        if user_id is not None and event_id is not None:
            await self._read(user_id, event_id)

    @rx.event
    def set_quantity(self, type_id: str, value: str):
        try:
            self.quantities = {**self.quantities, str(type_id): max(1, min(int(value), 50))}
        except (TypeError, ValueError):
            return

    @rx.event
    async def join(self, type_id: str):
        """Join this ticket type's waiting list (sign-in first)."""
        user_id, event_id = await self._user_id(), self._event_id()
        if event_id is None:
            return
        if user_id is None:
            yield rx.redirect(f"/login?next={quote(f'/events/{event_id}')}")
            return
        try:
            ticket_type_id = uuid.UUID(str(type_id))
        except ValueError:
            return
        quantity = int(self.quantities.get(str(type_id), 1))
        self.busy_type = str(type_id)
        yield
        try:
            await in_transaction(lambda db: waitlist.join_waitlist(
                db=db, event_id=event_id, user_id=user_id, ticket_type_id=ticket_type_id, quantity=quantity,
                now=utcnow()))
        except ServiceError as exc:
            self.busy_type, self.error = "", exc.message
            return
        self.busy_type, self.error = "", ""
        await self._read(user_id, event_id)

    @rx.event
    async def leave(self, entry_id: str):
        """Leave the list (an offer held is released and passes to the next in line)."""
        user_id, event_id = await self._user_id(), self._event_id()
        if user_id is None:
            return
        try:
            await in_transaction(lambda db: waitlist.leave_waitlist(db=db, entry_id=uuid.UUID(str(entry_id)),
                                                                     user_id=user_id, now=utcnow()))
        except (ServiceError, ValueError) as exc:
            self.error = getattr(exc, "message", "No such entry.")
            return
        self.error = ""
        if event_id is not None:
            await self._read(user_id, event_id)
        self.mine = [m for m in self.mine if m["id"] != str(entry_id)]
