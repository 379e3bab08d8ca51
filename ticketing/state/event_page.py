"""The customer's event page: event details and live availability."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any, ClassVar
from urllib.parse import quote

import reflex as rx

from ticketing.formatting import date_range, money, money_form
from ticketing.models import Organization
from ticketing.models.base import utcnow
from ticketing.realtime.views import customer_view
from ticketing.services import catalog
from ticketing.services.errors import ServiceError
from ticketing.services.promotions import codes as promo_codes
from ticketing.services.promotions import redemptions
from ticketing.services.sales import availability
from ticketing.state.basket import BasketError, basket_items
from ticketing.state.auth import AuthState
from ticketing.state.calls import in_transaction
from ticketing.state.live import LiveEventMixin, register_view
from ticketing.state.presale_access import CODES as ACCESS_CODES
from ticketing.state.presale_access import access_message
from ticketing.state.promo import CODES as PROMO_CODES
from ticketing.state.promo import PromoFieldMixin, promo_message
from ticketing.state.seat_links import SeatLinksState
from ticketing.state.shared_snapshot import SharedSnapshot
from ticketing.state.waiting_room import needs_queue, queue_url
from ticketing.state.waitlist import WaitlistState

# Refusals of the browser's hold that the server words, by the code's box (hold_refused); the
# browser words every other one itself (assets/hold_button.jsx). `presale_quota`: a 409
# quota_reached whose reason is the presale's quota.
HOLD_REFUSALS_WORDED_HERE = sorted(PROMO_CODES | ACCESS_CODES | {"presale_quota"})


def type_rules(detail: catalog.EventDetail) -> tuple[dict[str, str], dict[str, int]]:
    """What each ticket type's buyer must know before a hold refuses them: sessions that need
    another session the type does not include, and per-order limits."""
    names = {s.session.id: s.session.name for s in detail.sessions}
    needs = {s.session.id: s.prerequisite_session_ids for s in detail.sessions}
    rules, limits = {}, {}
    for view in detail.ticket_types:
        t, own = view.ticket_type, set(view.session_ids)
        notes = []
        for sid in view.session_ids:
            missing = [names[p] for p in needs.get(sid, []) if p not in own and p in names]
            if missing:
                notes.append(f"{names[sid]} requires {' and '.join(missing)}: add that ticket too, "
                             "unless you already have one.")
        if t.min_per_order > 1:
            notes.append(f"At least {t.min_per_order} per order.")
        if t.max_per_order:
            notes.append(f"At most {t.max_per_order} per order.")
        rules[str(t.id)] = " ".join(notes)
        limits[str(t.id)] = t.max_per_order or 0
    return rules, limits


class EventPageState(LiveEventMixin, PromoFieldMixin, SharedSnapshot, rx.State):
    # The same for every tab of the event: pickled once (state/shared_snapshot.py), not per tab.
    _shared_fields: ClassVar[tuple[str, ...]] = ("event", "sessions", "ticket_types", "figures", "rules", "type_max",
                                                 "money_form", "_prices")

    event: dict[str, str] = {}
    sessions: list[dict[str, Any]] = []
    ticket_types: list[dict[str, Any]] = []
    figures: dict[str, dict[str, Any]] = {}  # by session / ticket type id: places left, bands (pushed live)
    missing: bool = False
    worker: str = ""  # the worker process serving this tab (shown as a data attribute)
    # The buyer's basket lives in the browser (state/basket.py); "Reserve tickets" holds it
    # through the JSON API from the browser (components/hold_button.py). The server's words for
    # a refused promo or access code (hold_refused); the browser words the other refusals.
    buy_error: str = ""
    max_per_order: int = 10
    # "Have a promo code?" (PromoFieldMixin): checked against the basket as it changes.
    promo_discount: str = ""  # the basket's discount, formatted ("" when none)
    promo_discount_minor: int = 0  # the same, taken off the total the browser shows
    # "Have an access code?": a presale's code (or ?access_code=); the types it opens, with the
    # most it allows of each ({type id: units}): live pushes carry the view without a code, the
    # page lays this over it.
    access_open: bool = False
    access_code: str = ""
    access_error: str = ""
    access_note: str = ""
    presale_open: dict[str, int] = {}
    _access_from_link: str = ""
    rules: dict[str, str] = {}  # per ticket type: prerequisites and per-order limits, in words
    type_max: dict[str, int] = {}  # per ticket type: the most one order may have (0 = the event's)
    money_form: dict[str, Any] = {}  # how the browser writes the basket's total (formatting.money_form)
    _prices: dict[str, int] = {}
    _currency: str = "EUR"

    @rx.var
    def sells_quantities(self) -> bool:
        """Some ticket type is bought by quantity (seated ones are bought on the seat map)."""
        return any(not t.get("seated") for t in self.ticket_types)

    @rx.var
    def asks_access_code(self) -> bool:
        """"Have an access code?" only where one matters: a ticket type reserved to a presale,
        or a code already given (typed, or from a link)."""
        return bool(self.access_code or self.access_error or self.access_note) or any(
            f.get("reason") == "presale_only" for f in self.figures.values())  # live figures carry the reason

    @rx.event
    def toggle_access(self):
        self.access_open = not self.access_open

    @rx.event
    def set_access_code(self, value: str):
        self.access_code = str(value)[:64]

    @rx.event
    async def apply_access_code(self):
        """Check the typed access code and show what it opens (the hold checks it for real)."""
        self.access_code = self.access_code.strip()
        if not self.access_code:
            self.access_error = "Type your access code first."
            return
        return type(self).load

    @rx.event
    def remove_access_code(self):
        self.access_code, self.access_error, self.access_note, self.presale_open = "", "", "", {}
        return type(self).load

    def _open_presale(self, avail: availability.EventAvailability) -> None:
        """Remember what the checked access code opens, and say so."""
        opened = {str(t.id): t.available for t in avail.ticket_types if t.presale_id is not None and t.is_available}
        self.presale_open, self.access_error = opened, ""
        names = [t.name for t in avail.ticket_types if str(t.id) in opened]
        self.access_note = (f"{self.access_code.upper()}: opens {', '.join(names)}" if names
                            else f"{self.access_code.upper()}: accepted")

    def _forget_discount(self) -> None:
        self.promo_discount_minor, self.promo_discount = 0, ""

    def _basket_or_none(self, sent: Any) -> list[tuple[uuid.UUID, int]]:
        """The basket sent to quote a code: its items, none when it is empty (BasketError when
        it cannot be read)."""
        if not sent:
            return []
        return basket_items(sent, known=self._prices, max_per_order=self.max_per_order)

    @rx.event
    async def apply_code(self, basket: dict[str, Any] | None = None):
        """Check the typed code against the browser's basket (the hold takes it for real)."""
        await self._apply(basket)

    @rx.event
    async def quote_basket(self, basket: dict[str, Any] | None = None):
        """The basket changed in the browser while a code is applied: the discount follows it.
        (The page sends this only then; without a checked code it changes nothing.)"""
        if self.promo_code and (self.promo_note or self.promo_error):
            await self._apply(basket)

    async def _apply(self, basket: Any) -> None:
        self.promo_code = self.promo_code.strip()
        if not self.promo_code:
            self.promo_error = "Type your code first."
            return
        try:
            items = self._basket_or_none(basket)
        except BasketError as exc:
            self.promo_note, self.promo_error = "", str(exc)
            self._forget_discount()
            return
        await self._check_code(items)

    async def _check_code(self, items: list[tuple[uuid.UUID, int]] | None = None) -> None:
        """The code's effect on `items` (the basket as sent), or why it is refused."""
        event_id = self._route_event_id()
        if event_id is None or not self.promo_code:
            return
        user_id = await (await self.get_state(AuthState))._current_user_id()
        items = list(items or [])
        code, currency = self.promo_code, self._currency

        def work(db):
            if not items:
                return redemptions.find_code(db, event_id=event_id, code=code), None, currency
            quote, _lines, quoted_in = redemptions.validate_code(db=db, event_id=event_id, user_id=user_id,
                                                                 code=code, items=items, now=utcnow())
            return quote.code, quote, quoted_in

        self.promo_discount_minor, self.promo_discount = 0, ""
        try:
            found, quote, currency = await in_transaction(work, readonly=True)
        except ServiceError as exc:
            self.promo_note, self.promo_error = "", promo_message(exc)
            return
        self.promo_error = ""
        self.promo_note = f"{found.code}: {promo_codes.describe(found, currency)}"
        if quote is None:
            self.promo_note += " — choose your tickets; it is applied when you reserve them."
        elif quote.discount_minor:
            self.promo_discount_minor = quote.discount_minor
            self.promo_discount = money(quote.discount_minor, currency)

    @rx.event
    def held(self):
        """The browser held the basket through the API (components/hold_button.py) and opens its
        cart: the applied promo code (taken by the hold) and an earlier refusal start again
        empty. Sent only when the page has either; it changes nothing else."""
        self.promo_code, self.promo_note, self.promo_error = "", "", ""
        self._forget_discount()
        self.buy_error = ""

    @rx.event
    async def hold_refused(self, code: str, basket: dict[str, Any] | None = None):
        """The browser's hold was refused for its promo or access code (HOLD_REFUSALS_WORDED_HERE):
        the code's box says why, in the server's words, the code checked again as "Apply" and
        "Unlock" check it. Whatever a client sends, only these messages change."""
        code = str(code)
        if code in PROMO_CODES:
            await self._apply(basket)  # the box says what is wrong with the code for this basket
            if not self.promo_error:  # it passes now (e.g. a use came free meanwhile): the hold's reason
                self._code_refused(ServiceError(code, ""))
            self.promo_open = True
            self.buy_error = "Your code could not be used: fix or remove it to reserve."
        elif code in ACCESS_CODES or code == "presale_quota":
            self.access_open, self.access_note = True, ""
            self.access_error = access_message(await self._access_refusal(code))
            self.buy_error = "These tickets need a valid presale access code."

    async def _access_refusal(self, code: str) -> ServiceError:
        """Why the typed access code was refused, read again as the page's load reads it; the
        hold's reason (`code`) when the code itself still opens its presale."""
        event_id, access = self._route_event_id(), self.access_code.strip() or None
        if event_id is not None and access is not None:
            try:
                await in_transaction(lambda db: availability.event_availability(
                    db=db, event_id=event_id, now=utcnow(), access_code=access), readonly=True)
            except ServiceError as exc:
                return exc
        if code == "presale_quota":
            return ServiceError("quota_reached", "Not that many tickets are left in this presale: choose fewer.",
                                reason="presale_quota")
        return ServiceError(code, "")

    @rx.event
    async def load(self):
        """on_load: a fresh snapshot, then live pushes from the hub."""
        event_id = self._route_event_id()
        auth = await self.get_state(AuthState)
        user_id = await auth._current_user_id()
        if event_id is None:
            self.missing = True
            return
        if await needs_queue(self, event_id, user_id):  # the waiting room is on: take a place first
            return rx.redirect(queue_url(event_id))

        prefill = str(self.router.url.query_parameters.get("access_code", "") or "").strip()[:64]
        if prefill and prefill != self._access_from_link:  # a link with ?access_code= fills it in (once)
            self.access_code, self.access_open, self._access_from_link = prefill, True, prefill
        access = self.access_code.strip() or None

        def work(db):
            detail = catalog.get_event(db=db, event_id=event_id, user_id=user_id)
            try:
                avail, refused = availability.event_availability(db=db, event_id=event_id, now=utcnow(),
                                                                 access_code=access), None
            except ServiceError as exc:  # the code opens nothing: the page as without one, and why
                avail, refused = availability.event_availability(db=db, event_id=event_id, now=utcnow()), exc
            org = db.get(Organization, detail.event.organization_id)
            return detail, avail, org.name if org else "", refused

        try:
            detail, avail, organizer, refused = await in_transaction(work, readonly=True)
        except ServiceError:
            self.missing = True
            return
        if refused is not None:
            self.presale_open, self.access_note, self.access_error = {}, "", access_message(refused)
        elif access is not None:
            self._open_presale(avail)
        e = detail.event
        starts = [s.session.starts_at for s in detail.sessions]
        ends = [s.session.ends_at for s in detail.sessions]
        self.event = {
            "id": str(e.id),
            "title": e.title,
            "description": e.description,
            "location": e.location or "Location to be announced",
            "category": e.category or "Event",
            "when": date_range(min(starts, default=None), max(ends, default=None), e.timezone),
            "status": e.status,
            "cover": e.cover_image,
            "organizer": organizer,
            # A map search for the place (no key, no tracking script: a plain link out).
            "map_url": f"https://www.openstreetmap.org/search?query={quote(e.location)}" if e.location else "",
        }
        view = customer_view(avail, e)
        self._prices = {str(t.id): t.price_minor for t in avail.ticket_types}
        self._currency = avail.ticket_types[0].currency if avail.ticket_types else "EUR"
        self.max_per_order = e.max_tickets_per_order
        self.money_form = money_form(self._currency)
        self.sessions, self.ticket_types, self.figures = view["sessions"], view["ticket_types"], view["figures"]
        self.rules, self.type_max = type_rules(detail)
        await self._share()
        self.missing, self.worker = False, str(os.getpid())
        if self._prefill_code():
            await self._check_code()
        self._watch(e.id, "customer", avail.version)
        # The tab's title names the event (the HTML served for links carries it too: api/share.py).
        # Set again shortly after: the router applies the route's static title once it renders.
        title = json.dumps(e.title + " — Ticketing")
        # The page's other parts (seat map links, waiting lists) load after this one, and only when
        # the page is shown: a customer sent to the queue costs two page events instead of four.
        return [rx.call_script(f"[0, 300, 1200].forEach((ms) => setTimeout(() => {{ document.title = {title}; }}, ms))"),
                SeatLinksState.load, WaitlistState.load]


register_view("customer", EventPageState)
