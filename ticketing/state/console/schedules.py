"""Recurring schedules: a rule, its preview, creating its dates, and changing or calling off
single dates."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import reflex as rx

from ticketing.formatting import local_time, money
from ticketing.models.base import utcnow
from ticketing.notifications.console_mail import cancellation_messages, deliver, refund_summary
from ticketing.services.catalog.catalog_common import UNSET
from ticketing.services.errors import ServiceError
from ticketing.services.local_times import zone
from ticketing.services.money import format_minor
from ticketing.services.scheduling import occurrences, schedules
from ticketing.services.scheduling.schedule_rules import DAILY, describe
from ticketing.state.calls import form_text
from ticketing.state.console.base import ConsoleState, EditDialogMixin, cancel_order_as_organizer, field_errors

RULE_FIELDS = ("name", "start_time", "end_time", "starts_on", "ends_on", "capacity", "price")
PREVIEW_LIMIT = 62  # lines shown; the counts cover every date


class SchedulesState(EditDialogMixin, ConsoleState):
    schedules: list[dict[str, Any]] = []
    rooms: list[dict[str, str]] = []
    days: list[int] = list(DAILY)
    defaults: dict[str, str] = {}
    currency: str = "EUR"
    currency_locked: bool = False
    errors: dict[str, str] = {}
    preview: list[dict[str, str]] = []
    counts: dict[str, int] = {}
    previewed: bool = False
    busy: bool = False
    selected: str = ""
    dates: list[dict[str, Any]] = []
    room_error: str = ""
    form_key: int = 0
    _draft: dict[str, Any] = {}
    _org_id: str = ""

    async def _reload(self) -> None:
        builder = await self._load_builder()
        if builder is None:
            return
        event = builder.event
        self._org_id = str(event.organization_id)
        types = builder.ticket_types
        self.currency = types[0].currency if types else self.currency
        self.currency_locked = bool(types)

        def work(db, uid, eid):
            listed = schedules.list_schedules(db=db, user_id=uid, event_id=eid)
            rooms = schedules.list_rooms(db=db, user_id=uid, organization_id=event.organization_id)
            return listed, rooms

        listed, rooms = await self._run(work, readonly=True)
        self.schedules = [
            {"id": str(s.id), "name": s.name, "room": room, "count": count, "ends_on": s.ends_on.isoformat(),
             "rule": describe(schedules.schedule_rule(s), money(s.price_minor, s.currency))}
            for s, room, count in listed
        ]
        self.rooms = [{"id": str(r.id), "name": r.name} for r in rooms]
        if not self.defaults:
            first = (utcnow().astimezone(zone(event.timezone)) + timedelta(days=1)).date()
            self.defaults = {"starts_on": first.isoformat(), "ends_on": (first + timedelta(days=29)).isoformat()}
        if self.selected:
            await self._load_dates()

    @rx.event
    async def load(self):
        self.errors, self.previewed, self.preview, self.selected, self.edit_open = {}, False, [], "", False
        await self._reload()

    @rx.event
    def toggle_day(self, day: int):
        self.days = sorted(set(self.days) ^ {int(day)})
        self.previewed = False

    @rx.event
    def set_days(self, days: list[int]):
        self.days = sorted({int(d) for d in days if 1 <= int(d) <= 7})
        self.previewed = False

    def _rule(self, form: dict[str, Any]) -> dict[str, Any]:
        rule = {name: form_text(form, name) for name in RULE_FIELDS}
        currency = self.currency if self.currency_locked else (form_text(form, "currency") or self.currency)
        rule.update(weekdays=list(self.days), currency=currency)
        room = form_text(form, "room_id")
        try:
            rule["room_id"] = uuid.UUID(room) if room else None
        except ValueError:
            rule["room_id"] = None
        return rule

    @rx.event
    async def make_preview(self, form: dict):
        self.errors, self.previewed = {}, False
        rule = self._rule(form)
        tz = self.timezone
        try:
            result = await self._run(lambda db, uid, eid: schedules.preview_schedule(
                db=db, user_id=uid, event_id=eid, now=utcnow(), **rule), readonly=True)
        except ServiceError as exc:
            self.errors = field_errors(exc)
            return
        if result is None:
            return
        self._draft = rule
        self.counts = {state: result.count(state) for state in ("new", "exists", "past", "clash", "name_taken")}
        self.preview = [
            {"date": f"{local_time(line.starts_at, tz):%a %d %b %Y}",
             "time": f"{local_time(line.starts_at, tz):%H:%M}–{local_time(line.ends_at, tz):%H:%M}",
             "state": line.state, "note": line.note}
            for line in result.lines[:PREVIEW_LIMIT]
        ]
        self.previewed = True

    @rx.event
    async def create(self):
        if not self.previewed or not self._draft:
            return
        self.busy = True
        yield
        rule = dict(self._draft)
        try:
            run = await self._run(lambda db, uid, eid: schedules.create_schedule(
                db=db, user_id=uid, event_id=eid, now=utcnow(), **rule))
        except ServiceError as exc:
            self.errors, self.busy = field_errors(exc), False
            return
        self.busy, self.previewed, self.preview, self._draft = False, False, [], {}
        self.form_key += 1
        if run is not None:
            self.selected = str(run.schedule.id)
        await self._reload()
        yield rx.toast.success(f"{run.created} dates created." if run else "Schedule created.")

    @rx.event
    async def add_room(self, form: dict):
        self.room_error = ""
        name, org = form_text(form, "room_name"), self._org_id
        try:
            room = await self._run(lambda db, uid, eid: schedules.create_room(
                db=db, user_id=uid, organization_id=uuid.UUID(org), name=name, now=utcnow()))
        except ServiceError as exc:
            self.room_error = exc.message
            return
        await self._reload()
        return rx.toast.success(f"Room {room.name} added.") if room else None

    @rx.event
    async def extend(self, form: dict):
        """Run a schedule again (its id comes in the form), to a new last date if given."""
        schedule_id, ends_on = form_text(form, "schedule_id"), form_text(form, "ends_on")
        try:
            run = await self._run(lambda db, uid, eid: schedules.run_schedule(
                db=db, user_id=uid, event_id=eid, schedule_id=uuid.UUID(schedule_id), now=utcnow(),
                ends_on=ends_on or None))
        except (ServiceError, ValueError) as exc:
            return rx.toast.error(exc.message if isinstance(exc, ServiceError) else "No such schedule.")
        self.selected = schedule_id
        await self._reload()
        if run is not None:
            return rx.toast.success(f"{run.created} new dates; {run.skipped} already there or past.")

    async def _load_dates(self) -> None:
        tz, schedule_id = self.timezone, self.selected
        try:
            rows = await self._run(lambda db, uid, eid: occurrences.list_occurrences(
                db=db, user_id=uid, event_id=eid, schedule_id=uuid.UUID(schedule_id), now=utcnow()), readonly=True)
        except (ServiceError, ValueError):
            self.selected, self.dates = "", []
            return
        self.dates = []
        for r in rows or []:
            start, end = local_time(r.session.starts_at, tz), local_time(r.session.ends_at, tz)
            t = r.ticket_type
            self.dates.append({
                "id": str(r.occurrence.id), "session_id": str(r.session.id),
                "date": f"{start:%a %d %b %Y}", "time": f"{start:%H:%M}–{end:%H:%M}",
                "start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "capacity": r.session.capacity, "taken": r.taken,
                "available": r.available, "status": r.session.status, "changed": r.occurrence.overridden,
                "price": money(t.price_minor, t.currency) if t else "—",
                "price_input": format_minor(t.price_minor, t.currency) if t else "",
            })

    @rx.event
    async def show_dates(self, schedule_id: str):
        self.selected = "" if self.selected == schedule_id else schedule_id
        if self.selected:
            await self._load_dates()

    @rx.event
    def open_edit(self, occurrence_id: str):
        self._open_edit(self.dates, occurrence_id)

    @rx.event
    async def save_edit(self, form: dict):
        self.edit_errors = {}
        current, occurrence_id = dict(self.editing), self.editing.get("id", "")
        changes: dict[str, Any] = {}
        capacity = form_text(form, "capacity")
        if capacity != str(current.get("capacity")):
            changes["capacity"] = int(capacity) if capacity.isdigit() else -1
        if form_text(form, "price") != current.get("price_input"):
            changes["price"] = form_text(form, "price")
        for name, key in (("start_time", "start"), ("end_time", "end")):
            if form_text(form, name) != current.get(key):
                changes[name] = form_text(form, name)
        if not changes:
            self.edit_open = False
            return
        if not await self._save_edit(lambda db, uid, eid: occurrences.override_occurrence(
                db=db, user_id=uid, event_id=eid, occurrence_id=uuid.UUID(occurrence_id), now=utcnow(),
                capacity=changes.get("capacity", UNSET), price=changes.get("price", UNSET),
                start_time=changes.get("start_time", UNSET), end_time=changes.get("end_time", UNSET)),
                missing="No such date."):
            return
        await self._reload()
        return rx.toast.success(f"{current.get('date')} changed.")

    @rx.event
    async def call_off(self, occurrence_id: str):
        try:
            done = await self._run(lambda db, uid, eid: occurrences.cancel_occurrence(
                db=db, user_id=uid, event_id=eid, occurrence_id=uuid.UUID(occurrence_id), now=utcnow(),
                cancel_order=cancel_order_as_organizer))
        except (ServiceError, ValueError) as exc:
            return rx.toast.error(exc.message if isinstance(exc, ServiceError) else "No such date.")
        if done is not None:
            await asyncio.to_thread(deliver, cancellation_messages(done))
        await self._reload()
        return rx.toast.success(f"Date called off. {refund_summary(done)}" if done else "Date called off.")
