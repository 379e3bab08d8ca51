"""The customer's event page: event details and live availability."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any
from urllib.parse import quote

import reflex as rx

from ticketing.formatting import date_range, money
from ticketing.models.base import utcnow
from ticketing.realtime.views import customer_view
from ticketing.services import catalog
from ticketing.services.errors import ServiceError
from ticketing.services.sales import availability, holds
from ticketing.state.auth import AuthState
from ticketing.state.calls import in_transaction
from ticketing.state.live import LiveEventMixin, register_view


class EventPageState(LiveEventMixin, rx.State):
    event: dict[str, str] = {}
    sessions: list[dict[str, Any]] = []
    ticket_types: list[dict[str, Any]] = []
    missing: bool = False
    worker: str = ""  # the worker process serving this tab (shown as a data attribute)
    # The buyer's basket on this page: {ticket_type_id: quantity}; prices are shown, never sent.
    quantities: dict[str, int] = {}
    buy_error: str = ""
    buying: bool = False
    max_per_order: int = 10
    _prices: dict[str, int] = {}
    _currency: str = "EUR"

    @rx.var
    def sells_quantities(self) -> bool:
        """Some ticket type is bought by quantity (seated ones are bought on the seat map)."""
        return any(not t.get("seated") for t in self.ticket_types)

    @rx.var
    def basket_count(self) -> int:
        return sum(self.quantities.values())

    @rx.var
    def basket_total(self) -> str:
        total = sum(self._prices.get(t, 0) * q for t, q in self.quantities.items())
        return money(total, self._currency)

    def _limit(self, type_id: str) -> int:
        # From this tab's last load (live pushes update only the browser): a guide for the
        # pickers; the hold itself recounts under lock and says when places ran out.
        for t in self.ticket_types:
            if t["id"] == type_id:
                return int(t["available"]) if t["is_available"] else 0
        return 0

    @rx.event
    def change_quantity(self, type_id: str, delta: int):
        """The − / + buttons: keep each line within what is left and the order maximum."""
        current = self.quantities.get(type_id, 0)
        wanted = max(0, min(current + int(delta), self._limit(type_id)))
        if delta > 0 and self.basket_count - current + wanted > self.max_per_order:
            self.buy_error = f"At most {self.max_per_order} tickets per order."
            return
        quantities = dict(self.quantities)
        if wanted:
            quantities[type_id] = wanted
        else:
            quantities.pop(type_id, None)
        self.quantities, self.buy_error = quantities, ""

    @rx.event
    async def buy(self):
        """Hold the chosen tickets (prices are locked by the server), then go to the cart."""
        auth = await self.get_state(AuthState)
        user_id = await auth.current_user_id()
        event_id = self._route_event_id()
        if event_id is None:
            return
        if user_id is None:
            yield rx.redirect(f"/login?next={quote(f'/events/{event_id}')}")
            return
        try:
            items = [(uuid.UUID(t), int(q)) for t, q in self.quantities.items() if q > 0]
        except ValueError:
            items = []
        if not items:
            self.buy_error = "Choose at least one ticket."
            return
        self.buying, self.buy_error = True, ""
        yield
        try:
            # A transaction of its own (nothing else is written with the hold): on PostgreSQL
            # a hold on the claim counters is then one statement (docs/decisions.md).
            hold, _lines = await asyncio.to_thread(
                lambda: holds.place_hold(event_id=event_id, user_id=user_id, items=items, now=utcnow())
            )
        except ServiceError as exc:
            self.buying = False
            if exc.code == "active_hold_exists":
                self.buy_error = "You already have tickets on hold for this event."
                yield rx.redirect(f"/cart/{exc.extra['hold_id']}")
                return
            self.buy_error = exc.message
            if exc.code in ("insufficient_capacity", "quota_reached"):
                self.buy_error += " Someone was quicker: choose fewer tickets or another option."
            return
        self.buying, self.quantities = False, {}
        yield rx.redirect(f"/cart/{hold.id}")

    @rx.event
    async def load(self):
        """on_load: a fresh snapshot, then live pushes from the hub."""
        event_id = self._route_event_id()
        auth = await self.get_state(AuthState)
        user_id = await auth.current_user_id()
        if event_id is None:
            self.missing = True
            return

        def work(db):
            detail = catalog.get_event(db=db, event_id=event_id, user_id=user_id)
            avail = availability.event_availability(db=db, event_id=event_id, now=utcnow())
            return detail, avail

        try:
            detail, avail = await in_transaction(work, readonly=True)
        except ServiceError:
            self.missing = True
            return
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
        }
        view = customer_view(avail, e)
        self._prices = {str(t.id): t.price_minor for t in avail.ticket_types}
        self._currency = avail.ticket_types[0].currency if avail.ticket_types else "EUR"
        self.max_per_order = e.max_tickets_per_order
        self.quantities = {k: v for k, v in self.quantities.items() if k in self._prices}
        self.sessions, self.ticket_types = view["sessions"], view["ticket_types"]
        self.missing, self.worker = False, str(os.getpid())
        self._watch(e.id, "customer", avail.version)


register_view("customer", EventPageState)
