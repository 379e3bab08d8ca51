"""Wall-clock dates and times in an event's timezone <-> aware UTC datetimes.

Organizers think in local time ("Tuesday 19:00 in Berlin"); the database stores UTC. A local
time that does not exist (skipped by a clock change) is refused rather than silently shifted;
an ambiguous one (repeated by a clock change) takes its first occurrence.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ticketing.services.errors import invalid

_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def zone(name: str) -> ZoneInfo:
    """The event's zone (UTC for a name the system does not know)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_date(value: str, *, field: str, code: str = "invalid_date") -> date:
    """'2026-12-05' -> date; 422 `code` otherwise."""
    try:
        return date.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        raise invalid(code, "Enter a date as YYYY-MM-DD.", field=field) from None


def parse_time(value: str, *, field: str, code: str = "invalid_time") -> time:
    """'19:00' or '7:30' -> time; 422 `code` otherwise."""
    match = _TIME_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise invalid(code, "Enter a time as HH:MM (24-hour clock).", field=field)
    return time(int(match.group(1)), int(match.group(2)))


def to_utc(day: date, at: time, tz: str, *, field: str) -> datetime:
    """The UTC instant of a wall-clock date and time in `tz`; 422 invalid_times for a local
    time that a clock change skips."""
    zone_info = zone(tz)
    local = datetime.combine(day, at).replace(tzinfo=zone_info, fold=0)
    moment = local.astimezone(timezone.utc)
    if moment.astimezone(zone_info).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise invalid(
            "invalid_times", f"{at:%H:%M} does not exist on {day:%d %b %Y} in {tz} (the clocks change).",
            field=field,
        )
    return moment


def span_to_utc(day: date, start: time, end: time, tz: str) -> tuple[datetime, datetime]:
    """(starts_at, ends_at) of a session on `day` from `start` to `end`; an end not after the
    start means the session ends the next day (a late-night show until 02:00)."""
    starts_at = to_utc(day, start, tz, field="start_time")
    end_day = day if end > start else day + timedelta(days=1)
    return starts_at, to_utc(end_day, end, tz, field="end_time")


def local_parts(moment: datetime, tz: str) -> tuple[str, str]:
    """('2026-12-05', '19:00') of a UTC instant in `tz`: what a date and a time input show."""
    local = moment.astimezone(zone(tz))
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M")


def local_input(moment: datetime | None, tz: str) -> str:
    """'2026-12-05T19:00' for a datetime-local input ('' for None)."""
    if moment is None:
        return ""
    return moment.astimezone(zone(tz)).strftime("%Y-%m-%dT%H:%M")


def parse_local_input(value: str, tz: str, *, field: str) -> datetime | None:
    """A datetime-local input value ('2026-12-05T19:00', '' = none) as a UTC instant."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        raise invalid("invalid_sale_window", "Enter a date and time.", field=field) from None
    if local.tzinfo is not None:
        return local.astimezone(timezone.utc)
    return to_utc(local.date(), local.time().replace(second=0, microsecond=0), tz, field=field)
