"""Console: the event's waiting lists — per ticket type the entries in line with their status,
an offer made by hand, closing or reopening a list; figures read again on every live version."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from ticketing.formatting import local_time
from ticketing.jobs.queue import enqueue
from ticketing.models.base import utcnow
from ticketing.services.errors import ServiceError
from ticketing.services.sales import waitlist, waitlist_offers
from ticketing.state.console.base import ConsoleState, FollowVersionMixin

# The organizer's words for an entry's status (the customer reads "Tickets held for you").
STATE_LABELS = {"waiting": "Waiting", "offered": "Offered", "bought": "Bought", "lapsed": "Offer lapsed",
                "left": "Left", "closed": "Closed"}


class WaitlistConsoleState(FollowVersionMixin, ConsoleState):
    lists: list[dict[str, Any]] = []  # per ticket type: name, counts, closed
    entries: list[dict[str, str]] = []  # every entry, per type in line order
    error: str = ""
    notice: str = ""

    def _read(self, db, user_id, event_id) -> tuple[list[waitlist.EntryView], set[uuid.UUID]]:
        return (waitlist.event_waitlist(db=db, event_id=event_id, user_id=user_id, now=utcnow()),
                waitlist.closed_types(db, event_id=event_id))

    def _show(self, figures: tuple[list[waitlist.EntryView], set[uuid.UUID]]) -> None:
        views, closed = figures
        tz = self.timezone
        self.entries = [
            {"id": str(v.entry.id), "type_id": str(v.entry.ticket_type_id), "type": v.ticket_type_name,
             "position": str(v.position or "—"), "customer": v.customer, "quantity": str(v.entry.quantity),
             "state": v.state, "label": STATE_LABELS.get(v.state, v.state),
             "joined": local_time(v.entry.created_at, tz).strftime("%d %b %H:%M"),
             "until": local_time(v.entry.offer_expires_at, tz).strftime("%H:%M")
             if v.state == "offered" and v.entry.offer_expires_at else ""}
            for v in views
        ]
        lists: dict[str, dict[str, Any]] = {}
        for v in views:
            row = lists.setdefault(str(v.entry.ticket_type_id), {
                "id": str(v.entry.ticket_type_id), "name": v.ticket_type_name, "waiting": 0, "offered": 0,
                "bought": 0, "closed": v.entry.ticket_type_id in closed})
            if v.state in ("waiting", "offered", "bought"):
                row[v.state] += 1
        self.lists = list(lists.values())

    @rx.event
    async def offer(self, entry_id: str):
        """Offer free places to this entry now, whatever its place in line; it is mailed."""
        try:
            eid = uuid.UUID(str(entry_id))
        except ValueError:
            return

        def work(db, user_id, event_id):
            entry = waitlist_offers.offer_entry(db=db, event_id=event_id, user_id=user_id, entry_id=eid,
                                                now=utcnow())
            enqueue(db, "waitlist_offer_mail", entry_id=str(entry.id), offers=entry.offers)

        try:
            await self._run(work)
        except ServiceError as exc:
            self.error, self.notice = exc.message, ""
            return
        self.error, self.notice = "", "Offer made: the places are held for the customer, who is mailed."
        await self.refresh()

    async def _set_closed(self, type_id: str, closed: bool) -> None:
        try:
            tid = uuid.UUID(str(type_id))
        except ValueError:
            return

        def work(db, user_id, event_id):
            if closed:
                return waitlist.close_waitlist(db=db, event_id=event_id, user_id=user_id, ticket_type_id=tid,
                                               now=utcnow())
            waitlist.reopen_waitlist(db=db, event_id=event_id, user_id=user_id, ticket_type_id=tid)
            return 0

        try:
            n = await self._run(work)
        except ServiceError as exc:
            self.error, self.notice = exc.message, ""
            return
        self.error = ""
        self.notice = (f"List closed: {n} waiting customer(s) taken off; freed places go back on sale." if closed
                       else "List open again: customers can join when the tickets are sold out.")
        await self.refresh()

    @rx.event
    async def close_list(self, type_id: str):
        await self._set_closed(type_id, True)

    @rx.event
    async def reopen_list(self, type_id: str):
        await self._set_closed(type_id, False)
