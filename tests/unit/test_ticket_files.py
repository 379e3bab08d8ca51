"""QR codes and calendar files generated on the server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ticketing.services.door.ticket_files import CalendarEntry, calendar_ics, qr_png, qr_svg_data_uri

T0 = datetime(2030, 3, 1, 18, 30, tzinfo=timezone.utc)


def test_qr_codes_are_real_images_of_the_code():
    svg = qr_svg_data_uri("abc-123")
    assert svg.startswith("data:image/svg+xml") and svg != qr_svg_data_uri("abc-124")
    png = qr_png("abc-123")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 200


def test_calendar_file_has_one_event_per_entry_in_utc_escaped_and_folded():
    entry = CalendarEntry(uid="s1-o1@ticketing", title="Night Strings — Concert; Ravel, Debussy",
                          starts_at=T0, ends_at=T0 + timedelta(hours=2), location="Kesselhaus, Berlin",
                          description="Order ORD-20300301-0001\n" + "x" * 120)
    ics = calendar_ics([entry], now=T0)
    assert ics.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and ics.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20300301T183000Z\r\n" in ics and "DTEND:20300301T203000Z\r\n" in ics
    assert "SUMMARY:Night Strings — Concert\\; Ravel\\, Debussy" in ics
    assert "LOCATION:Kesselhaus\\, Berlin" in ics
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    unfolded = ics.replace("\r\n ", "")
    assert "DESCRIPTION:Order ORD-20300301-0001\\n" + "x" * 120 in unfolded
    assert ics.count("BEGIN:VEVENT") == 1
