"""What a ticket holder takes away: a QR code per ticket and a calendar file per order.

Both are generated on the server from the database; the QR encodes the ticket's current code
(a transfer issues a new code, so an old QR stops working at the door).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import segno


def qr_svg_data_uri(code: str) -> str:
    """The code as a QR image (SVG data URI) for pages; medium error correction survives a
    scratched phone screen."""
    return segno.make(code, error="m", micro=False).svg_data_uri(scale=4, border=2)


def qr_png(code: str, *, scale: int = 6) -> bytes:
    """The code as a PNG QR image (for emails, where SVG is often blocked)."""
    out = io.BytesIO()
    segno.make(code, error="m", micro=False).save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    description: str


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets continue on the next line after a space."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, start = [], 0
    while start < len(data):
        end = min(start + (75 if start == 0 else 74), len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never split a UTF-8 character
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start = end
    return "\r\n ".join(parts)


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def calendar_ics(entries: Sequence[CalendarEntry], *, now: datetime) -> str:
    """An iCalendar file (RFC 5545) with one event per entry, times in UTC."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Ticketing//Tickets//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH"]
    for e in entries:
        lines += [
            "BEGIN:VEVENT", f"UID:{e.uid}", f"DTSTAMP:{_utc(now)}", f"DTSTART:{_utc(e.starts_at)}",
            f"DTEND:{_utc(e.ends_at)}", f"SUMMARY:{_escape(e.title)}", f"LOCATION:{_escape(e.location)}",
            f"DESCRIPTION:{_escape(e.description)}", "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
