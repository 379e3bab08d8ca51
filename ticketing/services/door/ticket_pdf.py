"""The ticket file: a PDF with one printable A4 page per ticket (event, who it is for, the
sessions with their dates and times, the seat, the QR code and the short code under it).

Rendered with fpdf2 in DejaVu Sans (Debian's fonts-dejavu-core, installed by scripts/install):
names and titles may be in any script, which PDF's built-in fonts (Latin-1) cannot show.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from ticketing.services.door.ticket_files import qr_png

FONT_DIR = Path(os.environ.get("TICKET_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))
_FONTS = (("Sans", "", "DejaVuSans.ttf"), ("Sans", "B", "DejaVuSans-Bold.ttf"), ("Mono", "", "DejaVuSansMono.ttf"))
# The card on the page, in mm (A4 is 210 x 297): text on the left, the QR code on the right.
_LEFT, _TOP, _WIDTH, _HEIGHT = 15.0, 15.0, 180.0, 132.0
_QR_SIZE = 52.0
_TEXT_WIDTH = _WIDTH - _QR_SIZE - 22.0


@dataclass(frozen=True)
class PrintedTicket:
    """What one page shows, as display-ready text."""

    event_title: str
    organizer: str
    location: str
    order_number: str
    type_name: str
    holder_name: str
    sessions: list[str]  # "Evening · Sat 5 Dec 2026, 19:00–21:30"
    seats: list[str]  # "Stalls · Row A · Seat 8"; empty for general admission
    short_code: str  # "K7QMX-3PART"
    code: str  # the signed code in the QR


def tickets_pdf(tickets: Sequence[PrintedTicket], *, title: str) -> bytes:
    """The PDF bytes, one page per ticket."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_title(title)
    pdf.set_creator("Ticketing")
    for family, style, name in _FONTS:
        pdf.add_font(family, style, str(FONT_DIR / name))
    for ticket in tickets:
        pdf.add_page()
        _card(pdf, ticket)
    return bytes(pdf.output())


def _card(pdf: FPDF, t: PrintedTicket) -> None:
    pdf.set_draw_color(120, 120, 130)
    pdf.set_line_width(0.4)
    pdf.rect(_LEFT, _TOP, _WIDTH, _HEIGHT, style="D", round_corners=True, corner_radius=4)
    x = _LEFT + 8
    pdf.set_xy(x, _TOP + 8)
    _text(pdf, t.event_title, size=17, bold=True)
    _text(pdf, " · ".join(p for p in (t.organizer, t.location) if p), size=9, gap=3, grey=True)
    _text(pdf, t.type_name, size=13, bold=True)
    _text(pdf, f"For {t.holder_name}", size=11, gap=3)
    _label(pdf, "When")
    for line in t.sessions:
        _text(pdf, line, size=10)
    pdf.ln(2)
    _label(pdf, "Seat")
    for line in t.seats or ["General admission"]:
        _text(pdf, line, size=11, bold=bool(t.seats))
    pdf.ln(2)
    _text(pdf, f"Order {t.order_number}", size=9, grey=True)

    qr_x, qr_y = _LEFT + _WIDTH - _QR_SIZE - 8, _TOP + 10
    pdf.image(io.BytesIO(qr_png(t.code, scale=8)), x=qr_x, y=qr_y, w=_QR_SIZE, h=_QR_SIZE)
    pdf.set_xy(qr_x - 4, qr_y + _QR_SIZE + 2)
    pdf.set_font("Mono", size=15)
    pdf.set_text_color(20, 20, 30)
    pdf.cell(_QR_SIZE + 8, 8, t.short_code, align="C")
    pdf.set_xy(qr_x - 4, qr_y + _QR_SIZE + 11)
    pdf.set_font("Sans", size=7.5)
    pdf.set_text_color(90, 90, 100)
    pdf.multi_cell(_QR_SIZE + 8, 3.6, "Show the QR code at the door, or tell the staff this code.", align="C")

    # The full signed code, small, along the bottom of the card: it is what the QR holds.
    pdf.set_xy(x, _TOP + _HEIGHT - 14)
    pdf.set_font("Mono", size=6)
    pdf.multi_cell(_WIDTH - 16, 2.8, t.code, align="L")
    pdf.set_text_color(0, 0, 0)


def _text(pdf: FPDF, text: str, *, size: float, bold: bool = False, grey: bool = False, gap: float = 1) -> None:
    if not text:
        return
    pdf.set_font("Sans", "B" if bold else "", size)
    pdf.set_text_color(*((90, 90, 100) if grey else (20, 20, 30)))
    pdf.set_x(_LEFT + 8)
    pdf.multi_cell(_TEXT_WIDTH, size * 0.5, text, align="L")
    pdf.ln(gap)


def _label(pdf: FPDF, text: str) -> None:
    _text(pdf, text.upper(), size=7.5, bold=True, grey=True, gap=0.5)
