"""Emails about orders: the confirmation with the tickets (a QR code each, a calendar file),
and the notice that a payment was refunded because its order could not be kept."""

from __future__ import annotations

import html
import logging
import uuid
from email.message import EmailMessage
from email.utils import make_msgid

from ticketing.db import session_scope
from ticketing.formatting import date_range, money
from ticketing.models import TicketStatus, User
from ticketing.models.base import utcnow
from ticketing.notifications.mailer import send
from ticketing.services.door.short_codes import display
from ticketing.services.door.ticket_files import qr_png
from ticketing.services.sales.order_views import order_calendar, order_view
from ticketing.services.sales.payments import refund_message
from ticketing.settings import get_settings

log = logging.getLogger(__name__)


def send_confirmation(order_id: uuid.UUID) -> str:
    """Send the buyer's confirmation now (jobs send it once per order: jobs/tasks.py)."""
    return send(confirmation_message(order_id))


def confirmation_message(order_id: uuid.UUID) -> EmailMessage:
    """The buyer's confirmation: order summary, each ticket with its QR code, an .ics file."""
    with session_scope(readonly=True) as db:
        now = utcnow()
        order = order_view(db=db, order_id=order_id, user_id=_buyer(db, order_id), now=now)
        buyer = db.get(User, order.order.user_id)
        ics = order_calendar(db=db, order_id=order_id, user_id=buyer.id, now=now)
    o, e = order.order, order.event
    url = f"{get_settings().app_url}/tickets"
    msg = EmailMessage()
    msg["To"] = buyer.email
    msg["Subject"] = f"Your tickets for {e.title} — order {o.number}"
    live = [t for t in order.tickets if t.ticket.status != TicketStatus.cancelled.value]
    text = [f"Hello {buyer.name},", "", f"your order {o.number} for {e.title} is confirmed.",
            *discount_lines(order), f"Total paid: {money(o.total_minor, o.currency)}", ""]
    for t in live:
        sessions = "; ".join(f"{s.name} ({date_range(s.starts_at, s.ends_at, e.timezone)})" for s in t.sessions)
        text += [f"- {t.type_name} for {t.ticket.holder_name}: {sessions}"]
        text += [f"  Seat: {seat}" for seat in t.seats]
        text += [f"  Ticket code (type it at the door): {display(t.ticket.short_code)}",
                 f"  Full code: {t.ticket.code}"]
    text += ["", f"Your tickets with their QR codes are always at {url}", "The calendar file is attached."]
    msg.set_content("\n".join(text))

    cids = [make_msgid(domain="ticketing") for _ in live]
    rows = "".join(
        f"<tr><td style='padding:8px'><img src='cid:{cid[1:-1]}' width='160' height='160' alt='QR code'></td>"
        f"<td style='padding:8px'><b>{html.escape(t.type_name)}</b><br>{html.escape(t.ticket.holder_name)}<br>"
        + "<br>".join(html.escape(f"{s.name} — {date_range(s.starts_at, s.ends_at, e.timezone)}") for s in t.sessions)
        + "".join(f"<br><b>Seat:</b> {html.escape(seat)}" for seat in t.seats)
        + f"<br>Ticket code: <b style='font-family:monospace;font-size:16px'>{display(t.ticket.short_code)}</b>"
        + f"<br><code style='font-size:10px'>{html.escape(t.ticket.code)}</code></td></tr>"
        for cid, t in zip(cids, live)
    )
    msg.add_alternative(
        f"<p>Hello {html.escape(buyer.name)},</p><p>your order <b>{html.escape(o.number)}</b> for "
        f"<b>{html.escape(e.title)}</b> is confirmed. {html.escape(' '.join(discount_lines(order)))} "
        f"Total paid: {money(o.total_minor, o.currency)}.</p>"
        f"<table>{rows}</table><p><a href='{html.escape(url)}'>My tickets</a></p>",
        subtype="html",
    )
    html_part = msg.get_payload()[1]
    for cid, t in zip(cids, live):
        html_part.add_related(qr_png(t.ticket.code), maintype="image", subtype="png", cid=cid,
                              filename=f"ticket-{t.ticket.id}.png")
    msg.add_attachment(ics.encode("utf-8"), maintype="text", subtype="calendar", filename=f"{o.number}.ics")
    return msg


def discount_lines(order) -> list[str]:
    """The promo code's discount, as the mail says it (nothing without one)."""
    o = order.order
    if not o.discount_minor:
        return []
    return [f"Promo code {order.promo_code}: {money(o.discount_minor, o.currency)} off."]


def send_payment_refunded(order_id: uuid.UUID, outcome: str) -> str:
    """Send the refund notice now (jobs send it once: jobs/tasks.py)."""
    return send(payment_refunded_message(order_id, outcome))


def payment_refunded_message(order_id: uuid.UUID, outcome: str) -> EmailMessage:
    """Tell the buyer a payment that could not be kept was refunded in full."""
    with session_scope(readonly=True) as db:
        order = order_view(db=db, order_id=order_id, user_id=_buyer(db, order_id), now=utcnow())
        buyer = db.get(User, order.order.user_id)
    msg = EmailMessage()
    msg["To"] = buyer.email
    msg["Subject"] = f"Your payment for {order.event.title} was refunded — order {order.order.number}"
    msg.set_content(f"Hello {buyer.name},\n\n{refund_message(outcome)}\n\nThe refund of "
                    f"{money(order.order.total_minor, order.order.currency)} reaches your card within a few days.\n"
                    f"You can choose tickets again at {get_settings().app_url}/events/{order.event.id}\n")
    return msg


def _buyer(db, order_id: uuid.UUID) -> uuid.UUID:
    from ticketing.models import Order

    return db.get(Order, order_id).user_id


def send_transferred_ticket(ticket_id: uuid.UUID) -> str:
    """Send the new holder their ticket now (jobs send it once per code: jobs/tasks.py)."""
    return send(transferred_ticket_message(ticket_id))


def transferred_ticket_message(ticket_id: uuid.UUID) -> EmailMessage:
    """Give the new holder their ticket: its new code as a QR code and the sessions it admits to."""
    from ticketing.models import Ticket

    with session_scope(readonly=True) as db:
        ticket = db.get(Ticket, ticket_id)
        order = order_view(db=db, order_id=ticket.order_id, user_id=_buyer(db, ticket.order_id), now=utcnow())
        buyer = db.get(User, order.order.user_id)
    line = next(t for t in order.tickets if t.ticket.id == ticket_id)
    e = order.event
    msg = EmailMessage()
    msg["To"] = line.ticket.holder_email
    msg["Subject"] = f"{buyer.name} sent you a ticket for {e.title}"
    sessions = "; ".join(f"{s.name} ({date_range(s.starts_at, s.ends_at, e.timezone)})" for s in line.sessions)
    msg.set_content(f"Hello {line.ticket.holder_name},\n\n{buyer.name} transferred a ticket to you.\n\n"
                    f"{line.type_name}: {sessions}\n" + "".join(f"Seat: {seat}\n" for seat in line.seats)
                    + f"Location: {e.location}\nTicket code (type it at the door): {display(line.ticket.short_code)}\n"
                    f"Full code: {line.ticket.code}\n\n"
                    "Show the attached QR code at the door.\n")
    msg.add_attachment(qr_png(line.ticket.code), maintype="image", subtype="png", filename="ticket.png")
    return msg
