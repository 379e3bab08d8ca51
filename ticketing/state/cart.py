"""The cart: what the buyer holds, at locked prices, with a countdown from the server's clock."""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import quote

import reflex as rx
from reflex.event import EventSpec

from ticketing.formatting import money, session_dates
from ticketing.jobs.queue import enqueue
from ticketing.models.base import utcnow
from ticketing.services.errors import ServiceError
from ticketing.services.promotions.hold_codes import apply_to_hold
from ticketing.services.sales import holds, orders, ticket_holders
from ticketing.services.sales.order_views import HoldView, ItemLine, hold_view
from ticketing.state.auth import (NOT_SIGNED_IN, AuthState, caller_of, caller_user_id, locked_as,
                                  say_not_signed_in)
from ticketing.state.calls import form_text, in_transaction
from ticketing.state.promo import CODES, promo_message


def seconds_left(until: datetime | None, now: datetime) -> int:
    """Whole seconds from `now` (the server's clock) to `until`, never negative."""
    if until is None:
        return 0
    return max(0, int((until - now).total_seconds()))


def line_fields(line: ItemLine, currency: str, timezone: str, discount_minor: int = 0) -> dict[str, str]:
    """A cart or order line as display text: seats one per line, sessions with date and time, the
    line's promo discount ("" when none)."""
    return {"name": line.name, "quantity": str(line.quantity), "unit": money(line.unit_price_minor, currency),
            "amount": money(line.unit_price_minor * line.quantity, currency), "seats": "\n".join(line.seats),
            "when": session_dates(line.sessions, timezone),
            "discount": money(discount_minor, currency) if discount_minor else ""}


def attendee_labels(lines: list[ItemLine]) -> list[str]:
    """'Ticket 1 — Stalls · Row A · Seat 8' per ticket, in the order checkout names them (seats
    in map order within each line, as checkout assigns them)."""
    labels = []
    for line in lines:
        for k in range(line.quantity):
            seat = line.seats[k] if k < len(line.seats) else ""
            # A seat label starts with its section, often the category's name too: say it once.
            what = seat if seat.startswith(line.name) else ", ".join(p for p in (line.name, seat) if p)
            labels.append(f"Ticket {len(labels) + 1} — {what}")
    return labels


def checkout_and_mail(db, hold_id: uuid.UUID, user_id: uuid.UUID, attendees) -> orders.Order:
    """Checkout; a free order is confirmed at once: its tickets are mailed by a job after commit."""
    order = orders.checkout(db=db, hold_id=hold_id, user_id=user_id, attendees=attendees, now=utcnow())
    if order.status == "confirmed":
        enqueue(db, "order_confirmation", order_id=str(order.id))
    return order


class CartState(rx.State):
    status: str = ""  # active | expired | released | converted | missing
    event_title: str = ""
    event_id: str = ""
    total: str = ""
    free: bool = False  # a zero total: checkout confirms at once, no payment step
    lines: list[dict[str, str]] = []
    attendee_slots: list[str] = []  # one label per ticket when the event names attendees
    pay_minutes: int = 15  # the time to pay that checkout starts (the event's setting)
    first_is_me: bool = True  # "same as me": the first ticket in the buyer's name
    buyer_label: str = ""
    remaining: int = 0  # seconds left by the server's clock at the load (the page counts down)
    deadline: str = ""  # when the hold expires, as the server knows it
    error: str = ""
    busy: bool = False
    # The promo code on the hold (one per order) and its discount; "Have a promo code?" to add one.
    promo_code: str = ""
    discount: str = ""
    promo_open: bool = False
    promo_input: str = ""
    promo_error: str = ""
    _expires_at: datetime | None = None
    _buyer: tuple[str, str] = ("", "")

    def _hold_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(self.router._page.params.get("hold_id", "")))
        except ValueError:
            return None

    async def _user(self) -> uuid.UUID | None:
        return await (await self.get_state(AuthState))._current_user_id()

    @rx.event
    async def load(self):
        """on_load (and the page's guard: a visitor who is not signed in goes to sign in). An
        ordinary event, not a background task: the task's first `async with self` waited for the
        lock of the page load that started it, and under load that wait sometimes lasted until
        the lock's expiry (10 s), twice per load (bench/onsale.py --waiting-room 600: 180 of 500
        winners' carts took over 30 s; as one event, cart p95 3.6 s and none). The read is a
        few plain selects and takes no lock in the database."""
        hold_id, path = self._hold_id(), self.router.url.path
        self.error, self.busy = "", False
        user_id = await self._user()
        if user_id is None:
            return rx.redirect(f"/login?next={quote(path)}")
        if hold_id is None:
            self.status = "missing"
            return None
        try:
            view = await in_transaction(lambda db: hold_view(db=db, hold_id=hold_id, user_id=user_id, now=utcnow()),
                                        readonly=True)
        except ServiceError:
            self.status = "missing"
            return None
        if view.state == "converted" and view.order_id is not None:
            return rx.redirect(f"/pay/{view.order_id}")
        self._show(view)
        return None

    def _show(self, view: HoldView) -> None:
        h = view.hold
        self.status, self.event_title, self.event_id = view.state, view.event.title, str(view.event.id)
        self.total = money(h.total_minor, h.currency)
        self.free = h.total_minor == 0
        self.lines = [line_fields(line, h.currency, view.event.timezone, discount)
                      for line, discount in zip(view.lines, view.discounts)]
        self.promo_code = view.promo_code
        self.discount = money(h.discount_minor, h.currency) if h.discount_minor else ""
        self.attendee_slots = attendee_labels(view.lines) if view.asks_names else []
        self.buyer_label = f"{view.buyer[0]} ({view.buyer[1]})"
        self._buyer = view.buyer
        self.pay_minutes = view.event.payment_minutes
        self._expires_at = h.expires_at
        self.remaining = seconds_left(h.expires_at, utcnow())
        self.deadline = h.expires_at.isoformat() if h.expires_at else ""

    @rx.event
    def set_first_is_me(self, value: bool):
        self.first_is_me = bool(value)

    @rx.event
    def toggle_promo(self):
        self.promo_open, self.promo_error = not self.promo_open, ""

    @rx.event
    def set_promo_input(self, value: str):
        self.promo_input = str(value)[:64]

    @rx.event
    async def apply_code(self):
        """Put the typed code on the hold (it replaces any code: one per order)."""
        code = self.promo_input.strip()
        if not code:
            self.promo_error = "Type your code first."
            return None
        return await self._change_code(code)

    @rx.event
    async def remove_code(self):
        return await self._change_code(None)

    async def _change_code(self, code: str | None) -> EventSpec | None:
        user_id, hold_id = await self._user(), self._hold_id()
        if user_id is None:
            self.promo_error = NOT_SIGNED_IN
            return say_not_signed_in()
        if hold_id is None:
            return None

        def work(db):
            apply_to_hold(db=db, hold_id=hold_id, user_id=user_id, code=code, now=utcnow())
            return hold_view(db=db, hold_id=hold_id, user_id=user_id, now=utcnow())

        try:
            view = await in_transaction(work)
        except ServiceError as exc:
            self.promo_error = promo_message(exc) if exc.code in CODES else exc.message
            return None
        self.promo_error, self.promo_input, self.promo_open = "", "", False
        self._show(view)
        return None

    @rx.event
    def expire(self):
        """The page's countdown reached zero: the time left by the server's clock decides."""
        if self.status != "active":
            return
        self.remaining = seconds_left(self._expires_at, utcnow())
        if self.remaining == 0:
            self.status = "expired"

    @rx.event
    async def release(self):
        user_id, hold_id = await self._user(), self._hold_id()
        if user_id is None:
            self.error = NOT_SIGNED_IN
            return say_not_signed_in()
        if hold_id is None:
            return
        try:
            await in_transaction(lambda db: holds.release_hold(db=db, hold_id=hold_id, user_id=user_id, now=utcnow()))
        except ServiceError as exc:
            self.error = exc.message
            return
        self.status = "released"
        return rx.redirect(f"/events/{self.event_id}")

    @rx.event(background=True)
    async def checkout(self, form: dict):
        """Turn the hold into an order (an expired one is re-taken if its places are still free).
        The database work (and the check of who is buying) runs outside the tab's state lock,
        as the event page's hold does."""
        async with self:
            caller, hold_id = await caller_of(self), self._hold_id()
            attendees = None
            if self.attendee_slots:
                attendees = [ticket_holders.Attendee(name=form_text(form, f"name_{i}"),
                                                     email=form_text(form, f"email_{i}"))
                             for i in range(len(self.attendee_slots))]
                if self.first_is_me:  # the buyer's own name and email, as the server knows them
                    attendees[0] = ticket_holders.Attendee(name=self._buyer[0], email=self._buyer[1])
            self.busy, self.error = True, ""
        user_id = await caller_user_id(caller)
        if user_id is None:
            async with locked_as(self, caller):
                self.busy, self.error = False, NOT_SIGNED_IN
                return say_not_signed_in()
        if hold_id is None:  # not on a cart page: nothing to buy (a stranger is told so above)
            async with locked_as(self, caller):
                self.busy = False
                return
        try:
            order = await in_transaction(lambda db: checkout_and_mail(db, hold_id, user_id, attendees))
        except ServiceError as exc:
            async with locked_as(self, caller):
                self.busy = False
                if exc.code == "hold_converted" and exc.extra.get("order_id"):
                    return rx.redirect(f"/pay/{exc.extra['order_id']}")
                if exc.code == "hold_expired":
                    self.status = "gone"
                self.error = exc.message
                return
        async with locked_as(self, caller):
            self.busy = False
            return rx.redirect(f"/orders/{order.id}" if order.status == "confirmed" else f"/pay/{order.id}")
