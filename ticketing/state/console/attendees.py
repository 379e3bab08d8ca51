"""Attendees: who is coming, per event or per session; export, resend, cancel and refund."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import reflex as rx

from ticketing.formatting import local_time, money
from ticketing.models.base import utcnow
from ticketing.notifications.console_mail import deliver, ticket_message
from ticketing.services.errors import ServiceError
from ticketing.services.reporting import attendees
from ticketing.state.console.base import ConsoleState, cancel_order_as_organizer

STATUS_LABELS = {"valid": "Valid", "pending": "Unpaid", "cancelled": "Cancelled"}


def _row(r: attendees.AttendeeRow, tz: str, per_session: bool) -> dict[str, Any]:
    if per_session:  # the list of one session says whether the holder came to it
        came = f"Checked in {local_time(r.checked_in_here, tz):%H:%M}" if r.checked_in_here else ""
    else:
        came = ", ".join(f"{name} {local_time(at, tz):%d %b %H:%M}" for name, at in r.checked_in)
    return {
        "ticket_id": str(r.ticket_id), "name": r.holder_name, "email": r.holder_email, "type": r.ticket_type,
        "sessions": ", ".join(r.sessions), "order_id": str(r.order_id), "order": r.order_number,
        "buyer": r.buyer_name, "buyer_email": r.buyer_email, "status": r.ticket_status,
        "status_label": STATUS_LABELS.get(r.ticket_status, r.ticket_status), "payment": r.payment,
        "price": money(r.price_minor, r.currency), "checked_in": came or "Not yet",
    }


class AttendeesState(ConsoleState):
    sessions: list[dict[str, str]] = []
    session_filter: str = ""
    search: str = ""
    show: str = "current"
    rows: list[dict[str, Any]] = []
    total: int = 0
    error: str = ""
    confirming: dict[str, str] = {}  # {kind: ticket|order, id, title, body} awaiting a yes

    def _params(self) -> dict[str, Any]:
        session_id = None
        if self.session_filter:
            try:
                session_id = uuid.UUID(self.session_filter)
            except ValueError:
                self.session_filter = ""
        return {"session_id": session_id, "search": self.search, "show": self.show}

    async def _list(self, limit: int) -> attendees.AttendeeList | None:
        params = self._params()
        try:
            return await self._run(lambda db, uid, eid: attendees.list_attendees(
                db=db, user_id=uid, event_id=eid, now=utcnow(), limit=limit, **params), readonly=True)
        except ServiceError:
            self.missing = True
            return None

    async def _refresh(self) -> None:
        self.error = ""
        try:
            listing = await self._list(500)
        except ServiceError as exc:
            self.rows, self.total, self.error = [], 0, exc.message
            return
        if listing is not None:
            self.rows = [_row(r, self.timezone, bool(self.session_filter)) for r in listing.rows]
            self.total = listing.total

    @rx.event
    async def load(self):
        builder = await self._load_builder()
        if builder is None:
            return
        tz = builder.event.timezone
        self.sessions = [{"id": str(r.session.id),
                          "name": f"{r.session.name} ({local_time(r.session.starts_at, tz):%d %b %H:%M})"}
                         for r in builder.sessions]
        wanted = self.router.url.query_parameters.get("session", "")
        self.session_filter = wanted if wanted in {s["id"] for s in self.sessions} else ""
        await self._refresh()

    @rx.event
    async def set_session(self, value: str):
        self.session_filter = "" if value == "all" else value
        await self._refresh()

    @rx.event
    async def set_search(self, value: str):
        self.search = value[:200]
        await self._refresh()

    @rx.event
    async def set_show(self, value: str | list[str]):
        value = value[0] if isinstance(value, list) and value else value
        self.show = value if value in attendees.SHOW else "current"
        await self._refresh()

    @rx.event
    async def export_csv(self):
        try:
            listing = await self._list(attendees.MAX_ROWS)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        if listing is None:
            return
        slug = re.sub(r"[^a-z0-9]+", "-", listing.event.title.lower()).strip("-")[:40] or "event"
        return rx.download(data=attendees.attendees_csv(listing), filename=f"attendees-{slug}.csv",
                           mime_type="text/csv")

    async def _resend(self, **which: uuid.UUID):
        try:
            mails = await self._run(lambda db, uid, eid: attendees.tickets_to_resend(
                db=db, user_id=uid, event_id=eid, **which), readonly=True)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        await asyncio.to_thread(deliver, [ticket_message(m) for m in mails or []])
        return rx.toast.success(f"Sent {len(mails or [])} ticket(s) again.")

    @rx.event
    async def resend_ticket(self, ticket_id: str):
        return await self._resend(ticket_id=uuid.UUID(ticket_id))

    @rx.event
    async def resend_order(self, order_id: str):
        return await self._resend(order_id=uuid.UUID(order_id))

    async def _cancel(self, action, **which: uuid.UUID):
        try:
            done = await self._run(lambda db, uid, eid: action(
                db=db, user_id=uid, event_id=eid, now=utcnow(), cancel_order=cancel_order_as_organizer, **which))
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        await self._refresh()
        if done is None:
            return None
        refund = money(done.refund_minor, done.order.currency)
        what = f"{len(done.ticket_ids)} ticket(s) of {done.order.number} cancelled"
        return rx.toast.success(f"{what}; {refund} refunded." if done.refund_minor else f"{what}.")

    @rx.event
    def ask_cancel(self, kind: str, row_id: str):
        """Open the confirmation for cancelling one ticket or its whole order."""
        key = "ticket_id" if kind == "ticket" else "order_id"
        row = next((r for r in self.rows if r[key] == row_id), None)
        if row is None:
            return
        if kind == "ticket":
            title, body = (f"Cancel {row['name']}'s ticket?",
                           f"{row['type']} ({row['price']}) is cancelled and refunded in full to {row['buyer']}.")
        else:
            title, body = (f"Cancel order {row['order']}?",
                           f"Every ticket of this order is cancelled and refunded in full to {row['buyer']}.")
        self.confirming = {"kind": kind, "id": row_id, "title": title, "body": body}

    @rx.event
    def set_confirm_open(self, value: bool):
        if not value:
            self.confirming = {}

    @rx.event
    async def confirm_cancel(self):
        kind, row_id = self.confirming.get("kind", ""), self.confirming.get("id", "")
        self.confirming = {}
        try:
            target = uuid.UUID(row_id)
        except ValueError:
            return
        if kind == "ticket":
            return await self._cancel(attendees.cancel_ticket, ticket_id=target)
        return await self._cancel(attendees.cancel_whole_order, order_id=target)
