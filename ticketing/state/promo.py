"""What a customer is told when a promo code is refused (the pages' wording of the codes)."""

from __future__ import annotations

import reflex as rx

from ticketing.services.errors import ServiceError

_MESSAGES = {
    "code_invalid": "This code isn't valid for this event. Check the spelling and try again.",
    "code_expired": "This code can't be used right now: it is outside the dates it is valid for.",
    "code_not_applicable": "This code doesn't apply to the tickets you chose.",
    "code_used_up": "This code has been used up.",
}
CODES = frozenset(_MESSAGES)


def promo_message(exc: ServiceError) -> str:
    """A clear sentence per refusal code; the service's own message says more where it can
    (a minimum number of tickets, a code already used by this customer)."""
    if exc.code == "code_not_applicable" and "min_tickets" in exc.extra:
        return f"This code needs at least {exc.extra['min_tickets']} eligible tickets in your order."
    if exc.code == "code_used_up" and exc.extra.get("reason") == "per_customer":
        return "You have already used this code as often as it allows."
    return _MESSAGES.get(exc.code, exc.message)


class PromoFieldMixin(rx.State, mixin=True):
    """"Have a promo code?" on a page that holds tickets (event page, seat map): the code typed or
    from `?code=`, checked by the page's `_check_code`, and given to the hold."""

    promo_open: bool = False
    promo_code: str = ""
    promo_error: str = ""
    promo_note: str = ""  # what the checked code does, e.g. "SPRING20: 20 % off"

    @rx.event
    def toggle_promo(self):
        self.promo_open = not self.promo_open

    @rx.event
    def set_promo_code(self, value: str):
        self.promo_code = str(value)[:64]

    @rx.event
    async def apply_code(self):
        """Check the typed code (the hold takes it for real)."""
        self.promo_code = self.promo_code.strip()
        if not self.promo_code:
            self.promo_error = "Type your code first."
            return
        await self._check_code()

    @rx.event
    def remove_code(self):
        self.promo_code, self.promo_error, self.promo_note = "", "", ""
        self._forget_discount()

    async def _check_code(self) -> None:
        raise NotImplementedError

    def _prefill_code(self) -> bool:
        """A link with `?code=` fills in "Have a promo code?"; True when it brought a new code."""
        prefill = str(self.router.url.query_parameters.get("code", "") or "").strip()[:64]
        if not prefill or prefill == self.promo_code:
            return False
        self.promo_code, self.promo_open = prefill, True
        return True

    def _forget_discount(self) -> None:
        """What the page computed from the code (a basket's discount): none without a code."""

    def _code_refused(self, exc: ServiceError) -> bool:
        """Show a hold's refusal of the code by the field; False for any other refusal."""
        if exc.code not in CODES:
            return False
        self.promo_note, self.promo_error, self.promo_open = "", promo_message(exc), True
        self._forget_discount()
        return True
