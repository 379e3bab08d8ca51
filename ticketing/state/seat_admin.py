"""The organizer's view of a seat map: every status, who has a seat, and bulk actions (hold back,
block, release to sale, ownership, price level) on a selection of seats."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import reflex as rx
from sqlmodel import select

from ticketing.formatting import date_range
from ticketing.models import EventSeat, EventSession, HoldReason
from ticketing.models.base import utcnow
from ticketing.services.accounts.organizations import MANAGER_ROLES
from ticketing.services.catalog.catalog_common import event_for_role
from ticketing.services.errors import ServiceError
from ticketing.services.seating import seat_map, seating
from ticketing.services.seating.seat_status import CODE_NAMES, code_sql
from ticketing.state.auth import NOT_SIGNED_IN, AuthState, say_not_signed_in
from ticketing.state.calls import in_transaction
from ticketing.state.live import register_view
from ticketing.state.seat_live import seat_fanout
from ticketing.state.seat_map import ids_from_route, map_urls

MAX_SELECTION = seating.MAX_BULK
REASONS = [r.value for r in HoldReason]
NO_MAP = "No such seat map: nothing was changed."
ACTION_DONE = {"hold": "held back", "block": "blocked", "release": "released to sale", "own": "marked owned",
               "disown": "marked not owned", "return": "marked returned", "price": "re-priced"}


def clean_selection(value: Any) -> list[int]:
    if not isinstance(value, list):
        return []
    out = [v for v in value if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 1_000_000]
    return sorted(set(out))[:MAX_SELECTION]


class SeatAdminState(rx.State):
    event: dict[str, str] = {}
    layout_url: str = ""
    status_url: str = ""
    seat_delta: dict[str, Any] = {}  # pushed by the seat fan-out
    select_request: dict[str, Any] = {"n": 0, "idxs": []}
    selected_count: int = 0
    summary: list[dict[str, str]] = []  # [{status, count}] of the selection
    detail: dict[str, str] = {}
    levels: list[dict[str, str]] = []
    reason: str = "house"
    note: str = ""
    level_id: str = ""
    message: str = ""
    error: str = ""
    missing: bool = False

    _selected: list[int] = []
    _event_id: str = ""
    _session_id: str = ""

    async def _user(self) -> uuid.UUID | None:
        return await (await self.get_state(AuthState))._current_user_id()

    @rx.event
    async def load(self):
        """on_load (after the staff guard): the map of a seated session of the caller's organization."""
        ids = ids_from_route(self)
        user_id = await self._user()
        if ids is None or user_id is None:
            self.missing, self.error = True, NOT_SIGNED_IN if user_id is None else ""
            return
        event_id, session_id = ids

        def work(db):
            event = event_for_role(db, event_id=event_id, user_id=user_id, roles=MANAGER_ROLES)
            seat_map.seated_session(db, event_id=event_id, session_id=session_id)
            return event, db.get(EventSession, session_id), seat_map.price_levels(db, event_id)

        try:
            event, session, levels = await in_transaction(work, readonly=True)
        except ServiceError:
            self.missing = True
            return
        self.missing, self.error, self.message = False, "", ""
        self._event_id, self._session_id = str(event_id), str(session_id)
        self.event = {"id": str(event.id), "title": event.title, "session": session.name,
                      "when": date_range(session.starts_at, None, event.timezone), "status": event.status}
        self.layout_url, self.status_url = map_urls(self._event_id, self._session_id)
        self.levels = [{"id": lv["id"], "name": f"{lv['name']} ({lv['price']} {lv['currency']})"} for lv in levels]
        self.level_id = self.levels[0]["id"] if self.levels else ""
        self._selected, self.selected_count, self.summary, self.detail = [], 0, [], {}
        seat_fanout.watch(self.router.session.client_token, self._event_id, self._session_id, "seatmap_admin")

    @rx.event
    def leave(self):
        seat_fanout.unwatch(self.router.session.client_token)

    async def _summarize(self) -> None:
        session_id, idxs = uuid.UUID(self._session_id), list(self._selected)

        def work(db):
            if not idxs:
                return []
            return db.exec(select(code_sql(utcnow())).where(EventSeat.session_id == session_id,
                                                            EventSeat.idx.in_(idxs))).all()

        codes = Counter(await in_transaction(work, readonly=True))
        self.summary = [{"status": CODE_NAMES[c].replace("_", " "), "count": str(n)} for c, n in sorted(codes.items())]

    @rx.event
    async def choose(self, idxs: list):
        """The map's selection changed."""
        if await self._user() is None:
            self.error = NOT_SIGNED_IN
            return say_not_signed_in()
        if not self._session_id:
            return
        self._selected = clean_selection(idxs)
        self.selected_count = len(self._selected)
        self.message = ""
        await self._summarize()

    @rx.event
    async def focus(self, idx: int):
        """A seat was clicked: show who has it."""
        user_id = await self._user()
        if user_id is None:
            self.error = NOT_SIGNED_IN
            return say_not_signed_in()
        if not isinstance(idx, int) or not self._session_id:
            return
        event_id, session_id = uuid.UUID(self._event_id), uuid.UUID(self._session_id)
        try:
            found = await in_transaction(lambda db: seat_map.seat_detail(
                db=db, user_id=user_id, event_id=event_id, session_id=session_id, idx=idx, now=utcnow()),
                readonly=True)
        except ServiceError as exc:
            self.error = exc.message
            return
        self.detail = {k: str(v).replace("_", " ") if k in ("status", "ownership", "type") else str(v)
                       for k, v in found.items()}

    @rx.event
    def set_reason(self, value: str):
        self.reason = value if value in REASONS else "house"

    @rx.event
    def set_note(self, value: str):
        self.note = value[:200]

    @rx.event
    def set_level(self, value: str):
        self.level_id = value

    @rx.event
    async def apply(self, action: str):
        """One bulk action on the selected seats, all or nothing."""
        user_id = await self._user()
        if user_id is None:
            self.error, self.message = NOT_SIGNED_IN, ""
            return say_not_signed_in()
        if not self._session_id:  # the map was refused at load (another organization's, or none)
            self.error, self.message = NO_MAP, ""
            return rx.toast.error(NO_MAP)
        if not self._selected:
            self.error = "Select seats on the map first (Shift+drag or the box tool selects many)."
            return
        event_id, session_id = uuid.UUID(self._event_id), uuid.UUID(self._session_id)
        idxs, reason, note = list(self._selected), self.reason, self.note
        try:
            level = uuid.UUID(self.level_id) if action == "price" and self.level_id else None
            changed = await in_transaction(lambda db: seating.manage_seats(
                db=db, user_id=user_id, event_id=event_id, session_id=session_id, action=action, seat_idxs=idxs,
                reason=reason, note=note, price_level_id=level, now=utcnow()))
        except (ServiceError, ValueError) as exc:
            self.error, self.message = getattr(exc, "message", "Choose a price level."), ""
            return
        self.error = ""
        self.message = f"{changed} seat(s) {ACTION_DONE.get(action, 'changed')}."
        await self._summarize()
        if len(idxs) == 1:
            await self.focus(idxs[0])

    @rx.event
    def clear(self):
        self._selected, self.selected_count, self.summary = [], 0, []
        self.select_request = {"n": int(self.select_request.get("n", 0)) + 1, "idxs": []}


register_view("seatmap_admin", SeatAdminState)
