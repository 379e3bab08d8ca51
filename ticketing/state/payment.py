"""The payment page: the order's total, the time left to pay (server's clock), the card form.

The browser turns the card into a Stripe token; the server charges it and confirms the order
from Stripe's answer. Stripe calls are slow: they run in background handlers.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime
from urllib.parse import quote

import reflex as rx

from ticketing.formatting import money
from ticketing.models.base import utcnow
from ticketing.payments import intents
from ticketing.services.errors import ServiceError
from ticketing.services.sales.order_views import order_view
from ticketing.settings import get_settings
from ticketing.state.auth import AuthState, not_signed_in, say_not_signed_in
from ticketing.state.calls import in_transaction
from ticketing.state.cart import line_fields, seconds_left


class PaymentState(rx.State):
    status: str = ""  # ready | paying | expired | cancelled | refunded | missing
    number: str = ""
    event_title: str = ""
    event_id: str = ""
    total: str = ""
    lines: list[dict[str, str]] = []
    promo_code: str = ""
    discount: str = ""  # the promo code's, included in total
    remaining: int = 0  # seconds left to pay by the server's clock at the load (the page counts down)
    deadline: str = ""  # when the time to pay ends, as the server knows it
    error: str = ""
    card_error: str = ""
    test_mode: bool = False
    pay_minutes: int = 15
    _due_at: datetime | None = None
    _order_id: str = ""

    def _param_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(self.router._page.params.get("order_id", "")))
        except ValueError:
            return None

    async def _user(self) -> uuid.UUID | None:
        return await (await self.get_state(AuthState))._current_user_id()

    @rx.event
    async def load(self):
        user_id, order_id = await self._user(), self._param_id()
        if user_id is None:
            return rx.redirect(f"/login?next={quote(self.router.url.path)}")
        self.error = self.card_error = ""
        if order_id is None:
            self.status = "missing"
            return
        try:
            view = await in_transaction(lambda db: order_view(db=db, order_id=order_id, user_id=user_id, now=utcnow()),
                                        readonly=True)
        except ServiceError:
            self.status = "missing"
            return
        o = view.order
        if view.state == "confirmed":
            return rx.redirect(f"/orders/{o.id}")
        self._order_id, self.number, self.event_title, self.event_id = str(o.id), o.number, view.event.title, \
            str(view.event.id)
        self.total = money(o.total_minor, o.currency)
        self.lines = [line_fields(line, o.currency, view.event.timezone) for line in view.items]
        self.promo_code = view.promo_code
        self.discount = money(o.discount_minor, o.currency) if o.discount_minor else ""
        self._due_at = o.payment_due_at
        self.pay_minutes = view.event.payment_minutes
        self.remaining = seconds_left(o.payment_due_at, utcnow())
        self.deadline = o.payment_due_at.isoformat() if o.payment_due_at else ""
        self.test_mode = bool(get_settings().stripe_api_base)
        self.card_error = view.payment_error
        if view.state != "pending":
            self.status = view.state
            return
        self.status = "ready"
        settings = get_settings()
        return rx.call_script(
            "(async () => { if (!window.tkCard) { await new Promise((ok, ko) => { const s = "
            "document.createElement('script'); s.src = '/stripe_card.js'; s.onload = ok; s.onerror = ko; "
            "document.head.appendChild(s); }); } return window.tkCard.mount("
            f"{json.dumps(settings.stripe_js_url)}, {json.dumps(settings.stripe_publishable_key)}, "
            "'#card-element'); })()",
            callback=PaymentState.card_mounted,
        )

    @rx.event
    def card_mounted(self, result: dict):
        if isinstance(result, dict) and result.get("error"):
            self.error = "The card form could not be loaded. Check your connection and reload the page."

    @rx.event
    def expire(self):
        """The page's countdown reached zero: the time left by the server's clock decides."""
        if self.status != "ready":
            return
        self.remaining = seconds_left(self._due_at, utcnow())
        if self.remaining == 0:
            self.status = "expired"

    @rx.event
    def pay(self):
        """Pay button: ask Stripe.js (in the browser) for a token of the card."""
        if self.status != "ready":
            return
        self.status, self.card_error, self.error = "paying", "", ""
        return rx.call_script("window.tkCard.tokenize()", callback=PaymentState.card_tokenized)

    @rx.event
    def card_tokenized(self, result: dict):
        token = result.get("token") if isinstance(result, dict) else None
        if not isinstance(token, str) or not token:
            self.status = "ready"
            self.card_error = (result.get("error") if isinstance(result, dict) else "") or "Please check the card."
            return
        return PaymentState.charge(token)

    @rx.event(background=True)
    async def charge(self, token: str):
        """Charge the tokenized card (Stripe round trips: outside the state lock)."""
        async with self:
            user_id, order_id = await self._user(), self._param_id()
            if user_id is None:
                self._refused(not_signed_in())
                return say_not_signed_in()
        if order_id is None:
            return
        try:
            result = await asyncio.to_thread(intents.pay_with_card, order_id=order_id, user_id=user_id,
                                             token_id=token)
        except ServiceError as exc:
            async with self:
                self._refused(exc)
            return
        async with self:
            if result.status == "succeeded":
                self.status = "confirmed"
                return rx.redirect(f"/orders/{order_id}")
            if result.status == "requires_action":
                return rx.call_script(f"window.tkCard.authenticate({json.dumps(result.client_secret)})",
                                      callback=PaymentState.authenticated)
            if result.status == "refunded":
                self.status, self.error = "refunded", result.message
                return
            self.status, self.card_error = "ready", result.message

    @rx.event(background=True)
    async def authenticated(self, result: dict):
        """After 3-D Secure in the browser: ask Stripe how it went."""
        async with self:
            user_id, order_id = await self._user(), self._param_id()
            if user_id is None:
                self._refused(not_signed_in())
                return say_not_signed_in()
        if order_id is None:
            return
        try:
            applied = await asyncio.to_thread(intents.sync_payment, order_id=order_id, user_id=user_id)
        except ServiceError as exc:
            async with self:
                self._refused(exc)
            return
        async with self:
            if applied.outcome in ("confirmed", "already_confirmed"):
                return rx.redirect(f"/orders/{order_id}")
            self.status = "ready"
            self.card_error = (result or {}).get("error") or "The payment was not completed; please try again."

    def _refused(self, exc: ServiceError) -> None:
        if exc.code == "order_confirmed":
            self.status = "confirmed"
        elif exc.code == "order_expired":
            self.status = "expired"
        elif exc.code == "order_cancelled":
            self.status = "cancelled"
        else:
            self.status, self.card_error = "ready", exc.message
