"""Session manager: add, edit, delete and call off sessions, with the guard rules up front."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import reflex as rx

from ticketing.formatting import local_time
from ticketing.models.base import utcnow
from ticketing.notifications.console_mail import cancellation_messages, deliver, refund_summary
from ticketing.services import catalog
from ticketing.services.catalog import console_catalog
from ticketing.services.errors import ServiceError, invalid
from ticketing.services.local_times import local_parts, parse_date, parse_time, span_to_utc
from ticketing.services.scheduling.session_cancellation import cancel_session
from ticketing.state.calls import form_text
from ticketing.state.console.base import ConsoleState, EditDialogMixin, cancel_order_as_organizer, field_errors


def checked_ids(form: dict[str, Any], prefix: str) -> list[uuid.UUID]:
    """Ids of the ticked checkboxes named `<prefix><uuid>` (malformed names are ignored)."""
    out = []
    for name, value in form.items():
        if name.startswith(prefix) and value in ("on", "true", True):
            try:
                out.append(uuid.UUID(name[len(prefix):]))
            except ValueError:
                continue
    return out


def parse_capacity(text: str) -> int:
    if not text.isdigit():
        raise invalid("invalid_capacity", "Capacity must be a whole number of at least 1.", field="capacity")
    return int(text)


def session_times(form: dict[str, Any], tz: str):
    """(starts_at, ends_at) from the form's date, start and end fields in the event's zone."""
    day = parse_date(form_text(form, "date"), field="date")
    start = parse_time(form_text(form, "start"), field="start")
    end = parse_time(form_text(form, "end"), field="end")
    return span_to_utc(day, start, end, tz)


def session_row(r: console_catalog.SessionRow, tz: str, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    s = r.session
    start, end = local_time(s.starts_at, tz), local_time(s.ends_at, tz)
    day, start_text = local_parts(s.starts_at, tz)
    taken = r.used.taken
    return {
        "id": str(s.id), "name": s.name, "status": s.status,
        "date": f"{start:%a} {start.day} {start:%b %Y}",
        "time": f"{start:%H:%M}–{end:%H:%M}" + (" (+1 day)" if end.date() != start.date() else ""),
        "date_input": day, "start_input": start_text, "end_input": f"{end:%H:%M}",
        "capacity": s.capacity, "taken": taken, "sold": r.used.sold, "waiting": r.used.pending + r.used.held,
        "available": r.available, "percent": round(100 * taken / s.capacity) if s.capacity else 0,
        "delete_blocker": r.delete_blocker,
        "prerequisites": ", ".join(names[p] for p in r.prerequisite_ids if p in names),
        "prerequisite_ids": [str(p) for p in r.prerequisite_ids],
        "scheduled": "yes" if r.scheduled else "",
    }


class SessionsState(EditDialogMixin, ConsoleState):
    rows: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    form_key: int = 0
    busy: bool = False

    def _show(self, builder: console_catalog.Builder) -> None:
        names = {r.session.id: r.session.name for r in builder.sessions}
        self.rows = [session_row(r, builder.event.timezone, names) for r in builder.sessions]

    async def _reload(self) -> None:
        builder = await self._load_builder()
        if builder is not None:
            self._show(builder)

    @rx.event
    async def load(self):
        self.errors, self.edit_open = {}, False
        await self._reload()

    @rx.event
    async def add_session(self, form: dict):
        self.errors, self.busy = {}, True
        yield
        tz = self.timezone

        def work(db, uid, eid):
            starts_at, ends_at = session_times(form, tz)
            return catalog.create_session(
                db=db, user_id=uid, event_id=eid, name=form_text(form, "name"), starts_at=starts_at,
                ends_at=ends_at, capacity=parse_capacity(form_text(form, "capacity")), now=utcnow(),
                prerequisite_session_ids=checked_ids(form, "pre_"))

        try:
            created = await self._run(work)
        except ServiceError as exc:
            self.errors, self.busy = field_errors(exc), False
            return
        self.busy = False
        self.form_key += 1
        await self._reload()
        if created is not None:
            yield rx.toast.success(f"{created.session.name} added.")

    @rx.event
    def open_edit(self, session_id: str):
        self._open_edit(self.rows, session_id)

    @rx.event
    async def save_edit(self, form: dict):
        tz, session_id = self.timezone, self.editing.get("id", "")

        def work(db, uid, eid):
            starts_at, ends_at = session_times(form, tz)
            return catalog.update_session(
                db=db, user_id=uid, event_id=eid, session_id=uuid.UUID(session_id), now=utcnow(),
                name=form_text(form, "name"), starts_at=starts_at, ends_at=ends_at,
                capacity=parse_capacity(form_text(form, "capacity")),
                prerequisite_session_ids=checked_ids(form, "pre_"))

        if not await self._save_edit(work, missing="No such session."):
            return
        await self._reload()
        return rx.toast.success("Session saved.")

    @rx.event
    async def delete(self, session_id: str):
        try:
            await self._run(lambda db, uid, eid: catalog.delete_session(
                db=db, user_id=uid, event_id=eid, session_id=uuid.UUID(session_id), now=utcnow()))
        except (ServiceError, ValueError) as exc:
            return rx.toast.error(exc.message if isinstance(exc, ServiceError) else "No such session.")
        await self._reload()
        return rx.toast.success("Session deleted.")

    @rx.event
    async def call_off(self, session_id: str):
        try:
            done = await self._run(lambda db, uid, eid: cancel_session(
                db=db, user_id=uid, event_id=eid, session_id=uuid.UUID(session_id), now=utcnow(),
                cancel_order=cancel_order_as_organizer))
        except (ServiceError, ValueError) as exc:
            return rx.toast.error(exc.message if isinstance(exc, ServiceError) else "No such session.")
        if done is not None:
            await asyncio.to_thread(deliver, cancellation_messages(done))
        await self._reload()
        return rx.toast.success(f"Session called off. {refund_summary(done)}" if done else "Session called off.")
