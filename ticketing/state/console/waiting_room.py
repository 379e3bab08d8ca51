"""Console: the event's waiting room — on or off, the admission rate, the queue right now."""

from __future__ import annotations

import reflex as rx

from ticketing.formatting import local_time
from ticketing.models.base import utcnow
from ticketing.services.errors import ServiceError
from ticketing.services.waiting_room import rooms
from ticketing.settings import get_settings
from ticketing.state.console.base import ConsoleState
from ticketing.state.waiting_room import wait_words


class WaitingRoomConsoleState(ConsoleState):
    enabled: bool = False
    auto: bool = True
    auto_started: bool = False
    rate: int = 0
    waiting: int = 0
    admitted_total: int = 0
    drain_text: str = ""
    opens_text: str = ""
    rate_error: str = ""
    busy: bool = False

    def _show(self, view: rooms.RoomOverview) -> None:
        self.enabled, self.auto, self.auto_started = view.enabled, view.auto, view.auto_started
        self.rate, self.waiting, self.admitted_total = view.rate_per_minute, view.waiting, view.admitted_total
        self.drain_text = wait_words(view.drain_seconds).removeprefix("about ") if view.waiting else "—"
        self.opens_text = ""
        if view.enabled and view.opens_at and view.opens_at > utcnow():
            self.opens_text = local_time(view.opens_at, self.timezone).strftime("%d %b %Y, %H:%M")

    async def _read(self) -> None:
        try:
            view = await self._run(lambda db, uid, eid: rooms.room_overview(db=db, user_id=uid, event_id=eid),
                                   readonly=True)
        except ServiceError:
            self.missing = True
            return
        self._show(view)

    async def _change(self, **change) -> str:
        """Apply a change for the caller; the refusal's message, or ""."""
        self.busy = True
        try:
            view = await self._run(lambda db, uid, eid: rooms.configure_room(db=db, user_id=uid, event_id=eid,
                                                                            now=utcnow(), **change))
        except ServiceError as exc:
            return exc.message
        finally:
            self.busy = False
        self._show(view)
        return ""

    @rx.event
    async def load(self):
        if await self._load_builder() is None:
            return
        self.rate_error = ""
        await self._read()

    @rx.event
    async def refresh(self):
        """Every few seconds while the page is open: the queue's length and progress."""
        if self.loaded and not self.missing:
            await self._read()

    @rx.event
    async def switch(self, on: bool):
        refused = await self._change(enabled=bool(on))
        if refused:
            return rx.toast.error(refused)
        return rx.toast.success("Waiting room on: customers queue before they choose tickets." if on
                                else "Waiting room off: everyone can buy right away.")

    @rx.event
    async def set_auto(self, on: bool):
        refused = await self._change(auto=bool(on))
        return rx.toast.error(refused) if refused else None

    @rx.event
    async def save_rate(self, form: dict):
        try:
            rate = int(str(form.get("rate", "")).strip())
        except ValueError:
            self.rate_error = "Type a whole number of customers per minute."
            return None
        self.rate_error = await self._change(rate_per_minute=rate)
        return None if self.rate_error else rx.toast.success(f"Now letting in {rate} customers a minute.")

    @rx.var
    def surge_threshold(self) -> int:
        return get_settings().waiting_room_auto_arrivals
