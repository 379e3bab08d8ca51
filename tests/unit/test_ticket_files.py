"""QR codes and calendar files generated on the server."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from pypdf import PdfReader

from tests.pdf_text import pdf_pages
from ticketing.services.door.ticket_files import CalendarEntry, calendar_ics, qr_png, qr_svg_data_uri
from ticketing.services.door.ticket_pdf import PrintedTicket, tickets_pdf

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


def test_ticket_pdf_has_a_page_per_ticket_with_its_seat_times_names_codes_and_qr():
    seated = PrintedTicket(
        event_title="Night Strings — Ravel", organizer="Kesselhaus Łódź", location="Kesselhaus, Berlin",
        order_number="ORD-20300301-0001", type_name="Stalls", holder_name="Zoë Łukasiewicz",
        sessions=["Evening · Sat 5 Dec 2026, 19:00–21:30"], seats=["Stalls · Row A · Seat 8"],
        short_code="K7QMX-3PART", code="signed-code-1")
    standing = PrintedTicket(
        event_title="Night Strings — Ravel", organizer="", location="", order_number="ORD-20300301-0001",
        type_name="Standing", holder_name="Ada", sessions=["Evening · Sat 5 Dec 2026, 19:00–21:30"], seats=[],
        short_code="23456-789AB", code="signed-code-2")
    data = tickets_pdf([seated, standing], title="Night Strings — order ORD-20300301-0001")
    assert data.startswith(b"%PDF-")
    first, second = pdf_pages(data)
    for text in ("Night Strings — Ravel", "Zoë Łukasiewicz", "Stalls · Row A · Seat 8", "19:00–21:30",
                 "K7QMX-3PART", "signed-code-1", "ORD-20300301-0001", "Kesselhaus Łódź"):
        assert text in first, text
    assert "General admission" in second and "23456-789AB" in second and "Ada" in second
    assert "K7QMX-3PART" not in second
    page = PdfReader(io.BytesIO(data)).pages[0]
    images = [page["/Resources"]["/XObject"][name].get_object() for name in page["/Resources"]["/XObject"]]
    assert any(img["/Subtype"] == "/Image" and img["/Width"] > 100 for img in images)  # the QR code
