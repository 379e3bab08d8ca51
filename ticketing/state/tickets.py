"""The buyer's orders and tickets: the confirmation page and "My tickets" (QR codes, calendar
file, cancellation under the event's policy with refunds, transfer to someone else)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import quote

import reflex as rx

from ticketing.formatting import date_range, local_time, money
from ticketing.jobs.queue import enqueue
from ticketing.models.base import utcnow
from ticketing.payments import intents, refunds
from ticketing.services.door import short_codes
from ticketing.services.door.ticket_files import qr_svg_data_uri
from ticketing.services.errors import ServiceError
from ticketing.services.sales import ticket_holders
from ticketing.services.sales.order_views import OrderView, my_orders, order_calendar, order_view
from ticketing.services.sales.ticket_file import order_tickets_pdf
from ticketing.state.auth import NOT_SIGNED_IN, AuthState, say_not_signed_in
from ticketing.state.calls import form_text, in_transaction

REFUND_REASONS = {"cancellation": "Cancelled tickets", "late_payment": "Payment arrived too late",
                  "order_cancelled": "Order was cancelled", "duplicate": "Second payment", "external": "Refund"}


def order_fields(view: OrderView) -> dict[str, Any]:
    """One order as plain, display-ready values (QR codes generated here, on the server)."""
    o, e = view.order, view.event
    tickets = []
    for line in view.tickets:
        t = line.ticket
        live = t.status != "cancelled" and view.state in ("confirmed", "pending")
        tickets.append({
            "id": str(t.id), "order_id": str(o.id), "type": line.type_name, "holder": t.holder_name,
            "email": t.holder_email, "status": t.status, "code": t.code,
            "qr": qr_svg_data_uri(t.code) if t.status == "valid" else "",
            "short_code": short_codes.display(t.short_code) if t.status == "valid" else "",
            "sessions": "\n".join(f"{s.name} · {date_range(s.starts_at, s.ends_at, e.timezone)}"
                                  for s in line.sessions),
            "seat": "\n".join(line.seats) or "General admission",
            "cancellable": line.cancellable and live, "transferable": live,
            "refund": money(line.refund_minor, o.currency), "refund_minor": line.refund_minor,
            "price": money(line.price_minor, o.currency),
            "deadline": f"{local_time(line.cancel_deadline, e.timezone):%a %d %b %Y, %H:%M}"
            if line.cancel_deadline else "",
        })
    live_cancellable = [t for t in tickets if t["cancellable"]]
    return {
        "id": str(o.id), "number": o.number, "status": view.state, "event_title": e.title, "event_id": str(e.id),
        "location": e.location, "total": money(o.total_minor, o.currency),
        "when": date_range(min((s.starts_at for ln in view.tickets for s in ln.sessions), default=None),
                           max((s.ends_at for ln in view.tickets for s in ln.sessions), default=None), e.timezone),
        "tickets": tickets,
        "can_cancel_all": bool(live_cancellable) and len(live_cancellable) == len(
            [t for t in tickets if t["status"] != "cancelled"]),
        "policy": (f"Cancellable until {e.cancellation_deadline_hours} h before the first session"
                   + (f"; a {e.cancellation_fee_percent}% fee is kept." if e.cancellation_fee_percent else
                      ", refunded in full.")) if e.allow_cancellation else "This event does not allow cancellations.",
        "refunds": [f"{REFUND_REASONS.get(r.reason, 'Refund')}: {money(r.amount_minor, r.currency)} — "
                    + ("refunded to your card" if r.status == "succeeded" else
                       "on its way" if r.status == "pending" else "we are looking into it")
                    for r in view.refunds],
        "payment_error": view.payment_error,
        "printable": any(t["status"] == "valid" for t in tickets),
    }


def _ticket_words(t: dict[str, Any]) -> str:
    """'Stalls, Stalls · Row A · Seat 8, Evening · Sat 5 Dec 2026, 19:00–21:30' for dialogs."""
    seat = t["seat"].replace("\n", "; ") if t["seat"] != "General admission" else ""
    # A seat label starts with its section, often the category's name too: say it once.
    what = seat if seat.startswith(t["type"]) else " — ".join(p for p in (t["type"], seat) if p)
    return ", ".join(p for p in (what, t["sessions"].replace("\n", "; ")) if p)


async def _user_id(state: rx.State) -> uuid.UUID | None:
    return await (await state.get_state(AuthState))._current_user_id()


async def _ticket_file(state: rx.State, order_id: str):
    """The order's ticket PDF as a download for the signed-in caller (made now, in a worker
    thread; the service checks that the caller may have it); a refusal says why."""
    user_id = await _user_id(state)
    if user_id is None:
        return say_not_signed_in()
    try:
        order_id = uuid.UUID(str(order_id))
    except ValueError:
        return rx.toast.error("No such order.")
    try:
        file = await in_transaction(lambda db: order_tickets_pdf(db=db, order_id=order_id, user_id=user_id,
                                                                 now=utcnow()), readonly=True)
    except ServiceError as exc:
        return rx.toast.error(exc.message)
    return rx.download(data=file.data, filename=file.filename, mime_type="application/pdf")


class TicketsState(rx.State):
    """ "My tickets": every order of the signed-in buyer."""

    orders: list[dict[str, Any]] = []
    loaded: bool = False
    message: str = ""
    error: str = ""
    # The open confirmation / transfer dialog.
    cancel_open: bool = False
    cancel_text: str = ""
    transfer_open: bool = False
    transfer_holder: str = ""
    transfer_ticket: str = ""  # what is being given away: type, seat, session and date
    busy: bool = False
    _cancel: tuple[str, str] = ("", "")  # (order id, ticket id or "" for the whole order)
    _transfer: str = ""

    @rx.event
    async def load(self):
        user_id = await _user_id(self)
        if user_id is None:  # signed out, expired or signed out everywhere: nothing stays on screen
            self.orders, self.loaded = [], False
            return rx.redirect(f"/login?next={quote(self.router.url.path)}")
        views = await in_transaction(lambda db: my_orders(db=db, user_id=user_id, now=utcnow()), readonly=True)
        self.orders = [order_fields(v) for v in views if v.state != "expired" or v.refunds]
        self.loaded = True

    def _find(self, order_id: str) -> dict[str, Any] | None:
        return next((o for o in self.orders if o["id"] == order_id), None)

    @rx.event
    def ask_cancel(self, order_id: str, ticket_id: str):
        """Open the confirmation with what the buyer gets back (the server recomputes it)."""
        order = self._find(order_id)
        if order is None:
            return
        chosen = [t for t in order["tickets"] if t["cancellable"] and (not ticket_id or t["id"] == ticket_id)]
        if not chosen:
            return
        back = sum(t["refund_minor"] for t in chosen)
        what = (f"this ticket ({_ticket_words(chosen[0])})" if ticket_id
                else f"all {len(chosen)} tickets of order {order['number']}" if len(chosen) > 1
                else f"the ticket of order {order['number']}")
        money_back = (f"You get {chosen[0]['refund'] if len(chosen) == 1 else money(back, 'EUR')} back on your card."
                      if order["status"] == "confirmed" else "Nothing was paid yet, so nothing is charged.")
        if order["status"] == "confirmed" and len(chosen) > 1:
            money_back = "You get the amount shown on each ticket back on your card."
        self.cancel_text = f"Cancel {what}? Its place goes back on sale at once. {money_back}"
        self._cancel, self.cancel_open, self.error, self.message = (order_id, ticket_id), True, "", ""

    @rx.event
    def close_dialogs(self):
        self.cancel_open = self.transfer_open = False

    @rx.event
    async def confirm_cancel(self):
        user_id = await _user_id(self)
        order_id, ticket_id = self._cancel
        if user_id is None:
            self.cancel_open, self.error = False, NOT_SIGNED_IN
            yield say_not_signed_in()
            return
        if not order_id:
            return
        self.busy = True
        yield
        ids = [uuid.UUID(ticket_id)] if ticket_id else None

        def work(db):
            done, refund = refunds.cancel_order_with_refund(db=db, order_id=uuid.UUID(order_id), user_id=user_id,
                                                            ticket_ids=ids, now=utcnow())
            return done.refund_minor, done.order.currency

        try:
            refund_minor, currency = await in_transaction(work)
        except ServiceError as exc:
            self.busy, self.cancel_open, self.error = False, False, exc.message
            return
        self.busy, self.cancel_open = False, False
        self.message = (f"Cancelled. {money(refund_minor, currency)} is being refunded to your card."
                        if refund_minor else "Cancelled.")
        yield TicketsState.load

    @rx.event
    def ask_transfer(self, ticket_id: str):
        for order in self.orders:
            for t in order["tickets"]:
                if t["id"] == ticket_id and t["transferable"]:
                    self._transfer, self.transfer_holder = ticket_id, t["holder"]
                    self.transfer_ticket = _ticket_words(t)
                    self.transfer_open, self.error, self.message = True, "", ""

    @rx.event
    async def transfer(self, form: dict):
        user_id = await _user_id(self)
        if user_id is None:
            self.transfer_open, self.error = False, NOT_SIGNED_IN
            return say_not_signed_in()
        if not self._transfer:
            return
        ticket_id, name, email = uuid.UUID(self._transfer), form_text(form, "name"), form_text(form, "email")

        def work(db):
            ticket = ticket_holders.transfer_ticket(db=db, ticket_id=ticket_id, user_id=user_id, name=name,
                                                    email=email, now=utcnow())
            enqueue(db, "transferred_ticket", ticket_id=str(ticket_id), code_version=ticket.code_version)

        try:
            await in_transaction(work)
        except ServiceError as exc:
            self.error = exc.message
            return
        self.transfer_open = False
        self.message = f"The ticket now belongs to {name}. It has a new code; the old one no longer works."
        return TicketsState.load

    @rx.event
    async def download_calendar(self, order_id: str):
        user_id = await _user_id(self)
        if user_id is None:
            return say_not_signed_in()
        try:
            ics = await in_transaction(lambda db: order_calendar(db=db, order_id=uuid.UUID(order_id), user_id=user_id,
                                                                 now=utcnow()), readonly=True)
        except (ServiceError, ValueError):
            return
        order = self._find(order_id)
        return rx.download(data=ics, filename=f"{order['number'] if order else 'tickets'}.ics",
                           mime_type="text/calendar")

    @rx.event
    async def download_tickets(self, order_id: str):
        return await _ticket_file(self, order_id)


class OrderState(rx.State):
    """The confirmation page of one order; waits for Stripe's word while a payment settles."""

    order: dict[str, Any] = {}
    missing: bool = False
    polls: int = 0

    def _order_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(self.router._page.params.get("order_id", "")))
        except ValueError:
            return None

    @rx.event
    async def load(self):
        user_id, order_id = await _user_id(self), self._order_id()
        if user_id is None:
            return rx.redirect(f"/login?next={quote(self.router.url.path)}")
        if order_id is None:
            self.missing = True
            return
        try:
            view = await in_transaction(lambda db: order_view(db=db, order_id=order_id, user_id=user_id, now=utcnow()),
                                        readonly=True)
        except ServiceError:
            self.missing = True
            return
        self.order, self.missing = order_fields(view), False

    @rx.event(background=True)
    async def poll(self):
        """While pending: re-read; every few polls ask Stripe too (a webhook may be late)."""
        async with self:
            if self.order.get("status") != "pending":
                return
            self.polls += 1
            ask_stripe = self.polls % 3 == 0
            user_id, order_id = await _user_id(self), self._order_id()
        if ask_stripe and user_id is not None and order_id is not None:
            try:
                await asyncio.to_thread(intents.sync_payment, order_id=order_id, user_id=user_id)
            except ServiceError:
                pass  # Stripe unreachable: the page keeps waiting and says so
        async with self:
            return OrderState.load

    @rx.event
    async def download_calendar(self):
        user_id, order_id = await _user_id(self), self._order_id()
        if user_id is None:
            return say_not_signed_in()
        if order_id is None:
            return
        ics = await in_transaction(lambda db: order_calendar(db=db, order_id=order_id, user_id=user_id, now=utcnow()),
                                   readonly=True)
        return rx.download(data=ics, filename=f"{self.order.get('number', 'tickets')}.ics", mime_type="text/calendar")

    @rx.event
    async def download_tickets(self):
        return await _ticket_file(self, str(self._order_id()))
