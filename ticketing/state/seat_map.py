"""The customer's seat map page: choose seats (or ask for the best available), hold them.

The map component downloads the layout and statuses itself and gets live deltas pushed into
`seat_delta`; this state only knows the few seats chosen, priced on the server.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

import reflex as rx

from ticketing.formatting import date_range, local_time, money
from ticketing.models import EventSession, Venue
from ticketing.models.base import utcnow
from ticketing.services.errors import ServiceError
from ticketing.services.promotions import codes as promo_codes
from ticketing.services.promotions import redemptions
from ticketing.services.sales import holds
from ticketing.services.sales.availability import visible_event
from ticketing.services.seating import seat_map, seat_sales
from ticketing.services.waiting_room import rooms
from ticketing.state.auth import NOT_SIGNED_IN, AuthState, say_not_signed_in
from ticketing.state.calls import in_transaction, off_loop
from ticketing.state.live import register_view
from ticketing.state.promo import PromoFieldMixin
from ticketing.state.seat_live import seat_fanout
from ticketing.state.waiting_room import ADMISSION_CODES, admission_of, queue_url

MAX_CHOICE = 50
STEP_NOTES = {
    "together": "",
    "nearby_rows": "No seats side by side for everyone: these are in rows next to each other.",
    "same_section": "No seats together for everyone: these are in the same section.",
    "anywhere": "No seats together for everyone: these are the best spread over sections.",
    "accessible": "Wheelchair space with a companion seat beside it.",
}


def map_urls(event_id: str, session_id: str, access_code: str = "") -> tuple[str, str]:
    """The layout's and the statuses' URLs (with a presale access code, its seat block shows free)."""
    base = f"/api/v1/events/{event_id}/sessions/{session_id}"
    return base + "/seatmap", base + "/seats/status" + (f"?access_code={quote(access_code)}" if access_code else "")


def ids_from_route(state: rx.State) -> tuple[uuid.UUID, uuid.UUID] | None:
    params = state.router._page.params
    try:
        return uuid.UUID(str(params.get("event_id", ""))), uuid.UUID(str(params.get("session_id", "")))
    except ValueError:
        return None


def clean_idxs(value: Any) -> list[int]:
    """Seat indexes from the browser: ints only, deduplicated, at most MAX_CHOICE."""
    if not isinstance(value, list):
        return []
    out = [v for v in value if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 1_000_000]
    return list(dict.fromkeys(out))[:MAX_CHOICE]


class SeatMapState(PromoFieldMixin, rx.State):
    event: dict[str, str] = {}
    layout_url: str = ""
    status_url: str = ""
    seat_delta: dict[str, Any] = {}  # pushed by the seat fan-out, never set by handlers
    mine: list[int] = []
    select_request: dict[str, Any] = {"n": 0, "idxs": []}
    selected: list[dict[str, Any]] = []
    total: str = ""
    max_select: int = 10
    hold: dict[str, str] = {}
    note: str = ""
    error: str = ""
    missing: bool = False
    busy: bool = False
    best_count: str = "2"
    best_mode: str = "best"
    wheelchair: bool = False
    best_level: str = "any"
    best_section: str = "any"
    level_options: list[dict[str, str]] = []
    section_options: list[str] = []

    _event_id: str = ""
    _session_id: str = ""
    _access_code: str = ""  # a presale's, from the URL
    _currency: str = ""

    @rx.var
    def has_selection(self) -> bool:
        return len(self.selected) > 0

    @rx.event
    async def load(self):
        """on_load: event and session details; the map fetches the rest; live deltas from now."""
        ids = ids_from_route(self)
        if ids is None:
            self.missing = True
            return
        event_id, session_id = ids
        user_id = await (await self.get_state(AuthState))._current_user_id()

        def work(db):
            event = visible_event(db=db, event_id=event_id, user_id=user_id)
            seated = seat_map.seated_session(db, event_id=event_id, session_id=session_id)
            session = db.get(EventSession, session_id)
            current = seat_sales.current_hold(db=db, event_id=event_id, session_id=session_id, user_id=user_id,
                                              now=utcnow()) if user_id else None
            venue = db.get(Venue, seated.venue_id)
            return (event, session, venue, current, seat_map.price_levels(db, event_id),
                    seat_map.section_names(db, seated))

        try:
            event, session, venue, current, levels, sections = await in_transaction(work, readonly=True)
        except ServiceError:
            self.missing = True
            return
        self.missing, self.error, self.note = False, "", ""
        self._event_id, self._session_id = str(event_id), str(session_id)
        if self._prefill_code():
            await self._check_code()
        self.event = {"id": str(event.id), "title": event.title, "session": session.name,
                      "when": date_range(session.starts_at, None, event.timezone),
                      "location": event.location or venue.name, "tz": event.timezone}
        # A presale's access code (?access_code= from the event page) opens its seat block.
        self._access_code = str(self.router.url.query_parameters.get("access_code", "") or "").strip()[:64]
        self.layout_url, self.status_url = map_urls(self._event_id, self._session_id, self._access_code)
        self.max_select = event.max_tickets_per_order
        self.level_options = [{"id": lv["id"], "name": f"{lv['name']} · {money(lv['price_minor'], lv['currency'])}"}
                              for lv in levels]
        self.section_options = sections
        self.selected, self.total = [], ""
        self._set_hold(current, event.timezone)
        seat_fanout.watch(self.router.session.client_token, self._event_id, self._session_id, "seatmap")

    def _set_hold(self, current: seat_sales.SeatHold | None, tz: str) -> None:
        if current is None:
            self.hold, self.mine = {}, []
            return
        h = current.hold
        self.mine = current.idxs
        self.hold = {"id": str(h.id), "total": money(h.total_minor, h.currency),
                     "until": f"{local_time(h.expires_at, tz):%H:%M}", "expires_at": h.expires_at.isoformat(),
                     "seats": str(len(current.idxs))}

    @rx.event
    def leave(self):
        """on_unmount: no more deltas for this tab."""
        seat_fanout.unwatch(self.router.session.client_token)

    async def _describe(self, idxs: list[int]) -> None:
        event_id, session_id = uuid.UUID(self._event_id), uuid.UUID(self._session_id)
        seats = await in_transaction(lambda db: seat_map.describe_seats(
            db=db, event_id=event_id, session_id=session_id, idxs=idxs, now=utcnow()), readonly=True)
        self.selected = [
            {"idx": s["idx"], "label": s["label"], "level": s["level"], "color": s["color"],
             "price": money(s["price_minor"], s["currency"]) if s["currency"] else "", "sellable": s["sellable"]}
            for s in seats
        ]
        currency = next((s["currency"] for s in seats if s["currency"]), "")
        self.total = money(sum(s["price_minor"] for s in seats), currency) if seats and currency else ""

    @rx.event
    async def choose(self, idxs: list):
        """The map's selection changed (indexes only; labels and prices come from the server)."""
        if not self._session_id:
            return
        chosen = clean_idxs(idxs)
        self.error = ""
        if len(chosen) > self.max_select:
            chosen = chosen[: self.max_select]
            self.error = f"At most {self.max_select} seats per order."
        await self._describe(chosen)

    @rx.event
    def set_best_count(self, value: str):
        self.best_count = value if value.isdigit() and 1 <= int(value) <= MAX_CHOICE else "2"

    @rx.event
    def set_best_mode(self, value: str):
        self.best_mode = value if value in ("best", "adjacent", "same_section") else "best"

    @rx.event
    def set_wheelchair(self, value: bool):
        self.wheelchair = bool(value)

    @rx.event
    def set_best_level(self, value: str):
        self.best_level = value if value in {lv["id"] for lv in self.level_options} else "any"

    @rx.event
    def set_best_section(self, value: str):
        self.best_section = value if value in self.section_options else "any"

    @rx.event
    async def find_best(self):
        """Ask the server for the best available seats and show them selected on the map."""
        if not self._session_id:
            return
        user_id = await (await self.get_state(AuthState))._current_user_id()
        event_id, session_id = uuid.UUID(self._event_id), uuid.UUID(self._session_id)
        count, mode, wheelchair = int(self.best_count), self.best_mode, 1 if self.wheelchair else 0
        levels = [uuid.UUID(self.best_level)] if self.best_level != "any" else []
        section = self.best_section if self.best_section != "any" else None
        try:
            pick = await in_transaction(lambda db: seat_sales.find_best(
                db=db, event_id=event_id, session_id=session_id, user_id=user_id, count=count, now=utcnow(),
                mode=mode, wheelchair=wheelchair, level_ids=levels, section=section,
                access_code=self._access_code or None), readonly=True)
        except ServiceError as exc:
            self.error, self.note = exc.message, ""
            return
        self.error, self.note = "", STEP_NOTES.get(pick.step, "")
        self.select_request = {"n": int(self.select_request.get("n", 0)) + 1, "idxs": pick.idxs}
        await self._describe(pick.idxs)

    @rx.event
    async def hold_selected(self):
        """Hold the chosen seats (sign-in first); all or nothing."""
        user_id = await (await self.get_state(AuthState))._current_user_id()
        if user_id is None:
            yield rx.redirect(f"/login?next={quote(self.router.url.path)}")
            return
        idxs = [s["idx"] for s in self.selected]
        if not idxs:
            self.error = "Choose your seats on the map first."
            return
        self.busy = True
        yield
        event_id, session_id = uuid.UUID(self._event_id), uuid.UUID(self._session_id)
        admission = await admission_of(self, event_id)
        code = self.promo_code.strip() or None
        try:
            await off_loop(lambda: rooms.require_admission(event_id=event_id, user_id=user_id, token=admission,
                                                           now=utcnow()))
            held = await in_transaction(lambda db: seat_sales.hold_seats(
                db=db, event_id=event_id, session_id=session_id, user_id=user_id, idxs=idxs, now=utcnow(),
                access_code=self._access_code or None, promo_code=code))
        except ServiceError as exc:
            self.busy, self.error = False, exc.message
            if exc.code in ADMISSION_CODES:  # the room is on: through the queue first
                yield rx.redirect(queue_url(event_id))
                return
            if self._code_refused(exc):
                self.error = "Your code could not be used: fix or remove it to hold these seats."
            elif exc.code == "seat_unavailable":
                await self._describe(idxs)  # show which ones went
            return
        self.busy, self.error, self.note = False, "", ""
        self.promo_code, self.promo_note, self.promo_open = "", "", False
        self._set_hold(held, self.event.get("tz", "UTC"))
        self.selected, self.total = [], ""
        self.select_request = {"n": int(self.select_request.get("n", 0)) + 1, "idxs": []}

    async def _check_code(self) -> None:
        """The code's terms (checked for the seats when they are held), or why it is refused."""
        if not self._event_id:
            return
        event_id, code = uuid.UUID(self._event_id), self.promo_code

        def work(db):
            return redemptions.find_code(db, event_id=event_id, code=code), promo_codes.event_currency(db, event_id)

        try:
            found, currency = await in_transaction(work, readonly=True)
        except ServiceError as exc:
            self._code_refused(exc)
            return
        self.promo_error = ""
        self.promo_note = f"{found.code}: {promo_codes.describe(found, currency)} — applied when you hold your seats."

    @rx.event
    async def release(self):
        """Give the held seats back."""
        user_id = await (await self.get_state(AuthState))._current_user_id()
        if user_id is None:
            self.error = NOT_SIGNED_IN
            return say_not_signed_in()
        if not self.hold:
            return
        hold_id = uuid.UUID(self.hold["id"])
        try:
            await in_transaction(lambda db: holds.release_hold(db=db, hold_id=hold_id, user_id=user_id,
                                                               now=utcnow()))
        except ServiceError as exc:
            self.error = exc.message
            return
        self.hold, self.mine = {}, []

    @rx.event
    async def refresh_hold(self):
        """The map saw our held seats change: read the hold back from the server."""
        user_id = await (await self.get_state(AuthState))._current_user_id()
        if user_id is None or not self._session_id:
            return
        event_id, session_id = uuid.UUID(self._event_id), uuid.UUID(self._session_id)
        current = await in_transaction(lambda db: seat_sales.current_hold(
            db=db, event_id=event_id, session_id=session_id, user_id=user_id, now=utcnow()), readonly=True)
        had = bool(self.hold)
        self._set_hold(current, self.event.get("tz", "UTC"))
        if had and not self.hold:
            self.note = "Your hold has expired and the seats were released."

    @rx.event
    def check_hold(self, _tick: Any = None):
        """Every few seconds while holding: once the hold has run out, say so (its seats are
        already free on the server, and the map shows them so)."""
        if self.hold and datetime.fromisoformat(self.hold["expires_at"]) <= utcnow():
            self.hold, self.mine = {}, []
            self.note = "Your hold has expired and the seats were released."


register_view("seatmap", SeatMapState)
