"""What a customer is told when a presale access code is refused (the pages' wording)."""

from __future__ import annotations

from ticketing.services.errors import ServiceError

_MESSAGES = {
    "access_code_required": "These tickets are in a presale: enter its access code to buy them.",
    "access_code_invalid": "This access code isn't valid for this event. Check the spelling and try again.",
    "access_code_used_up": "This access code has been used up.",
}
CODES = frozenset(_MESSAGES)


def access_message(exc: ServiceError) -> str:
    """A clear sentence per refusal code; a presale not started or over says so."""
    if exc.code == "access_code_invalid" and exc.extra.get("reason") in ("not_started", "ended"):
        return exc.message
    if exc.code == "quota_reached" and exc.extra.get("reason") == "presale_quota":
        return exc.message
    return _MESSAGES.get(exc.code, exc.message)
