"""What a customer is told when a promo code is refused (the pages' wording of the codes)."""

from __future__ import annotations

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
