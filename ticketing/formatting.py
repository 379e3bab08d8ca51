"""How money and times read for people (UI only; the API uses ISO formats)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ticketing.services.money import exponent, format_minor

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "CAD": "CA$", "AUD": "A$"}


def money(minor: int, currency: str) -> str:
    """'€23.00', 'CHF 23.00', '23.00 SEK'."""
    amount = format_minor(minor, currency)
    symbol = SYMBOLS.get(currency.upper())
    return f"{symbol}{amount}" if symbol else f"{amount} {currency.upper()}"


def money_form(currency: str) -> dict[str, str | int]:
    """How `money` writes the currency, for a page that totals prices in the browser
    (assets/basket.js): {"prefix": "€", "suffix": "", "decimals": 2}."""
    symbol = SYMBOLS.get(currency.upper())
    return {"prefix": symbol or "", "suffix": "" if symbol else f" {currency.upper()}", "decimals": exponent(currency)}


def local_time(moment: datetime, timezone: str) -> datetime:
    try:
        return moment.astimezone(ZoneInfo(timezone))
    except (KeyError, ValueError):
        return moment


def date_range(start: datetime | None, end: datetime | None, timezone: str) -> str:
    """'Sat 5 Dec 2026, 19:00' or 'Sat 5 Dec – Mon 7 Dec 2026' in the event's timezone."""
    if start is None:
        return "Dates to be announced"
    s = local_time(start, timezone)
    if end is None:
        return f"{s:%a} {s.day} {s:%b %Y, %H:%M}"
    e = local_time(end, timezone)
    if s.date() == e.date():
        return f"{s:%a} {s.day} {s:%b %Y, %H:%M}–{e:%H:%M}"
    return f"{s:%a} {s.day} {s:%b} – {e:%a} {e.day} {e:%b %Y}"


def session_dates(sessions, timezone: str) -> str:
    """One line per session: 'Evening · Sat 5 Dec 2026, 19:00–21:30' (anything with name,
    starts_at and ends_at)."""
    return "\n".join(f"{s.name} · {date_range(s.starts_at, s.ends_at, timezone)}" for s in sessions)
