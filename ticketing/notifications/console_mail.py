"""Emails the organizer console sends: a ticket sent again, and "this date is called off".

Messages are composed from the services' results (no database work here) and delivered after
the transaction that caused them commits, through the app's mailer (SMTP when SMTP_HOST is set,
else .eml files in the development outbox, MAIL_OUTBOX_DIR).
"""

from __future__ import annotations

import html
import logging
import smtplib
from collections import defaultdict
from email.message import EmailMessage
from email.utils import make_msgid

from ticketing.formatting import date_range, money
from ticketing.notifications.mailer import send
from ticketing.services.door.ticket_files import qr_png
from ticketing.services.reporting.attendees import TicketMail
from ticketing.services.scheduling.session_cancellation import SessionCancellation
from ticketing.settings import get_settings

log = logging.getLogger(__name__)


def ticket_message(mail: TicketMail) -> EmailMessage:
    """The holder's ticket, sent again by the organizer: its QR code (inline and attached, as
    in the order confirmation), sessions and code."""
    url = get_settings().app_url
    msg = EmailMessage()
    msg["To"] = mail.holder_email
    msg["Subject"] = f"Your ticket for {mail.event_title} — order {mail.order_number}"
    lines = [
        f"Hello {mail.holder_name},", "",
        f"here is your ticket for {mail.event_title} again, as the organizer asked.", "",
        f"Ticket: {mail.ticket_type}",
        *[f"  {s}" for s in mail.sessions],
        *[f"Seat: {seat}" for seat in mail.seats],
        *([f"Where: {mail.location}"] if mail.location else []),
        f"Ticket code (type it at the door): {mail.short_code}",
        f"Full code: {mail.code}", "",
        f"All your tickets with their QR codes: {url}/tickets",
        f"Event page: {url}/events/{mail.event_id}",
    ]
    msg.set_content("\n".join(lines))
    cid = make_msgid(domain="ticketing")
    sessions = "<br>".join([html.escape(s) for s in mail.sessions] + [f"<b>Seat:</b> {html.escape(seat)}"
                                                                       for seat in mail.seats])
    msg.add_alternative(
        f"<p>Hello {html.escape(mail.holder_name)},</p><p>here is your ticket for <b>{html.escape(mail.event_title)}"
        f"</b> again, as the organizer asked. Show the QR code at the door.</p>"
        f"<table><tr><td style='padding:8px'><img src='cid:{cid[1:-1]}' width='160' height='160' alt='QR code'></td>"
        f"<td style='padding:8px'><b>{html.escape(mail.ticket_type)}</b><br>{html.escape(mail.holder_name)}<br>"
        f"{sessions}<br>Ticket code: <b style='font-family:monospace;font-size:16px'>{html.escape(mail.short_code)}</b>"
        f"<br><code style='font-size:10px'>{html.escape(mail.code)}</code></td></tr></table>"
        f"<p><a href='{html.escape(url)}/tickets'>All your tickets</a></p>",
        subtype="html",
    )
    png = qr_png(mail.code)
    msg.get_payload()[1].add_related(png, maintype="image", subtype="png", cid=cid)
    msg.add_attachment(png, maintype="image", subtype="png", filename=f"ticket-{mail.order_number}.png")
    return msg


def cancellation_messages(done: SessionCancellation) -> list[EmailMessage]:
    """One message per holder of the called-off session or event (and to the buyer about the
    refund when someone else holds the ticket)."""
    event, session = done.event, done.session
    what = f"{session.name} ({date_range(session.starts_at, session.ends_at, event.timezone)})" if session else ""
    by_person: dict[str, list[str]] = defaultdict(list)
    names: dict[str, str] = {}
    for a in done.affected:
        if a.cancelled:
            line = f"Your {a.ticket_type} ticket (order {a.order_number}) is cancelled and refunded in full."
        else:
            line = (f"Your {a.ticket_type} ticket (order {a.order_number}) stays valid for its other dates; "
                    "only this one is off.")
        by_person[a.holder_email].append(line)
        names.setdefault(a.holder_email, a.holder_name)
        if a.cancelled and a.buyer_email != a.holder_email:
            by_person[a.buyer_email].append(
                f"The ticket you bought for {a.holder_name} (order {a.order_number}) is cancelled; "
                "the refund goes back to your card.")
            names.setdefault(a.buyer_email, a.buyer_name)
    messages = []
    for email, lines in by_person.items():
        msg = EmailMessage()
        msg["To"] = email
        msg["Subject"] = f"Called off: {event.title}" + (f" — {session.name}" if session else "")
        headline = f"{event.title}: {what} has been called off" if session else f"{event.title} has been cancelled"
        body = [f"Hello {names[email]},", "", f"{headline} by the organizer. We are sorry for the change of plans.",
                "", *lines, "",
                "Refunds reach your card within a few days.", f"{get_settings().app_url}/events/{event.id}"]
        msg.set_content("\n".join(body))
        messages.append(msg)
    return messages


def refund_summary(done: SessionCancellation) -> str:
    """'3 tickets cancelled, €36.00 refunded' for the organizer's toast."""
    if not done.tickets_cancelled:
        return "No tickets had to be cancelled."
    amount = money(done.refund_minor, done.currency) if done.currency else "nothing"
    return f"{done.tickets_cancelled} ticket(s) cancelled, {amount} refunded, holders emailed."


def deliver(messages: list[EmailMessage]) -> list[str]:
    """Send the messages through the app's mailer; where each went ('smtp' or the outbox file).
    Failures are logged, never raised: the change that caused them is already committed."""
    sent = []
    for message in messages:
        try:
            sent.append(send(message))
        except (OSError, smtplib.SMTPException):
            log.exception("could not send mail to %s", message["To"])
    return sent
