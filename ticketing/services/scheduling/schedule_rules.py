"""Recurrence rules (seed 001): which dates a rule produces, and the checks on its input.

Pure functions: no database. A rule is "on these ISO weekdays (daily = all seven), from this
date to that date, from start time to end time, this many places at this price".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from ticketing.services import money
from ticketing.services.errors import invalid
from ticketing.services.local_times import parse_date, parse_time, span_to_utc

MAX_DAYS = 366  # one rule covers at most a year; run it again (or add another) for more
MAX_CAPACITY = 1_000_000
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAILY = (1, 2, 3, 4, 5, 6, 7)


@dataclass(frozen=True)
class Rule:
    name: str
    weekdays: tuple[int, ...]  # ISO: 1 = Monday ... 7 = Sunday, ascending, no repeats
    start: time
    end: time  # not after `start`: the occurrence ends the next day
    starts_on: date
    ends_on: date
    capacity: int
    price_minor: int
    currency: str

    @property
    def weekday_text(self) -> str:
        """'Daily', 'Weekdays', 'Mon, Wed, Fri'."""
        if self.weekdays == DAILY:
            return "Daily"
        if self.weekdays == (1, 2, 3, 4, 5):
            return "Weekdays"
        if self.weekdays == (6, 7):
            return "Weekends"
        return ", ".join(WEEKDAY_NAMES[d - 1] for d in self.weekdays)


def weekdays_code(weekdays: tuple[int, ...]) -> str:
    """(1, 3, 5) -> '135', as stored."""
    return "".join(str(d) for d in weekdays)


def parse_weekdays(value: Any) -> tuple[int, ...]:
    """ISO weekdays from '135', [1, 3, 5] or ['1', '3']; 422 invalid_weekdays when empty or odd."""
    items = list(value) if isinstance(value, (str, list, tuple, set, frozenset)) else []
    try:
        days = sorted({int(d) for d in items})
    except (TypeError, ValueError):
        days = []
    if not days or any(d < 1 or d > 7 for d in days):
        raise invalid("invalid_weekdays", "Choose at least one day of the week.", field="weekdays")
    return tuple(days)


def clean_rule(
    *,
    name: Any,
    weekdays: Any,
    start_time: Any,
    end_time: Any,
    starts_on: Any,
    ends_on: Any,
    capacity: Any,
    price: Any,
    currency: Any,
) -> Rule:
    """A checked rule from form-like input (strings or typed values); 422 with the field's code."""
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 80:
        raise invalid("invalid_name", "Give the schedule a name of 1-80 characters.", field="name")
    days = parse_weekdays(weekdays)
    start = start_time if isinstance(start_time, time) else parse_time(start_time, field="start_time")
    end = end_time if isinstance(end_time, time) else parse_time(end_time, field="end_time")
    if start == end:
        raise invalid("invalid_times", "The end time must differ from the start time.", field="end_time")
    first = starts_on if isinstance(starts_on, date) else parse_date(starts_on, field="starts_on")
    last = ends_on if isinstance(ends_on, date) else parse_date(ends_on, field="ends_on")
    if last < first:
        raise invalid("invalid_date_range", "The last date cannot be before the first.", field="ends_on")
    if (last - first).days >= MAX_DAYS:
        raise invalid("invalid_date_range", "One schedule covers at most a year.", field="ends_on")
    if isinstance(capacity, str):
        capacity = int(capacity) if capacity.strip().isdigit() else -1
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        raise invalid("invalid_capacity", f"Capacity must be a whole number from 1 to {MAX_CAPACITY}.",
                      field="capacity")
    try:
        code = money.normalize_currency(currency)
        price_minor = money.to_minor(price, code) if isinstance(price, Decimal) else money.parse_amount(price, code)
    except money.MoneyError as exc:
        reason = {"negative": "negative_price", "currency": "invalid_currency"}.get(exc.reason, "invalid_price")
        raise invalid(reason, str(exc), field="currency" if reason == "invalid_currency" else "price") from exc
    return Rule(name.strip(), days, start, end, first, last, capacity, price_minor, code)


def occurrence_dates(rule: Rule) -> list[date]:
    """Every date from starts_on to ends_on (inclusive) whose ISO weekday the rule names."""
    wanted = set(rule.weekdays)
    days = (rule.ends_on - rule.starts_on).days + 1
    return [d for d in (rule.starts_on + timedelta(days=i) for i in range(days)) if d.isoweekday() in wanted]


def occurrence_name(rule_name: str, day: date) -> str:
    """The session (and drop-in ticket) name of one date: 'Morning Yoga – Mon 5 Jan 2027'."""
    return f"{rule_name} – {WEEKDAY_NAMES[day.isoweekday() - 1]} {day.day} {day:%b %Y}"


def occurrence_span(rule: Rule, day: date, tz: str) -> tuple[datetime, datetime]:
    """UTC (starts_at, ends_at) of the rule's occurrence on `day` in the event's timezone."""
    return span_to_utc(day, rule.start, rule.end, tz)


def overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    """Half-open intervals: a class ending at 08:00 and one starting at 08:00 do not clash."""
    return a[0] < b[1] and b[0] < a[1]


def describe(rule: Rule, price: str) -> str:
    """'Daily · 07:00–08:00 · 4 Mar – 2 Apr 2030 · 12 places · €12.00' (price already formatted)."""
    first, last = rule.starts_on, rule.ends_on
    span = f"{first.day} {first:%b}" + (f" {first:%Y}" if first.year != last.year else "")
    return (f"{rule.weekday_text} · {rule.start:%H:%M}–{rule.end:%H:%M} · {span} – {last.day} {last:%b %Y} · "
            f"{rule.capacity} places · {price}")
