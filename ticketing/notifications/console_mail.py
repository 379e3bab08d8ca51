"""Emails the organizer console sends: a ticket sent again, and "this date is called off".

Messages are composed from the services' results (no database work here) and delivered after
the transaction that caused them commits. `deliver` sends over SMTP when SMTP_HOST is set and
otherwise writes .eml files into the development outbox (MAIL_OUTBOX_DIR, default data/outbox).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import uuid
from collections import defaultdict
from email.message import EmailMessage
from pathlib import Path

from ticketing.formatting import date_range, money
from ticketing.models.base import utcnow
from ticketing.services.attendees import TicketMail
from ticketing.services.session_cancellation import SessionCancellation
from ticketing.settings import PROJECT_ROOT, get_settings

log = logging.getLogger(__name__)


def ticket_message(mail: TicketMail) -> EmailMessage:
    """The holder's ticket, sent again by the organizer."""
    url = get_settings().app_url
    msg = EmailMessage()
    msg["To"] = mail.holder_email
    msg["Subject"] = f"Your ticket for {mail.event_title} — order {mail.order_number}"
    lines = [
        f"Hello {mail.holder_name},", "",
        f"here is your ticket for {mail.event_title} again, as the organizer asked.", "",
        f"Ticket: {mail.ticket_type}",
        *[f"  {s}" for s in mail.sessions],
        *([f"Where: {mail.location}"] if mail.location else []),
        f"Ticket code (show it at the door): {mail.code}", "",
        f"All your tickets with their QR codes: {url}/tickets",
        f"Event page: {url}/events/{mail.event_id}",
    ]
    msg.set_content("\n".join(lines))
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
    """Send the messages; where each went ('smtp' or the outbox file). Failures are logged,
    never raised: the change that caused them is already committed."""
    sent = []
    for message in messages:
        try:
            sent.append(_send(message))
        except (OSError, smtplib.SMTPException):
            log.exception("could not send mail to %s", message["To"])
    return sent


def _send(message: EmailMessage) -> str:
    if "From" not in message:
        message["From"] = os.environ.get("MAIL_FROM") or "Ticketing <tickets@localhost>"
    host = os.environ.get("SMTP_HOST")
    if host:
        with smtplib.SMTP(host, int(os.environ.get("SMTP_PORT") or 587), timeout=20) as smtp:
            if (os.environ.get("SMTP_STARTTLS") or "true").lower() not in {"0", "false", "no"}:
                smtp.starttls(context=ssl.create_default_context())
            if os.environ.get("SMTP_USER"):
                smtp.login(os.environ["SMTP_USER"], os.environ.get("SMTP_PASSWORD", ""))
            smtp.send_message(message)
        return "smtp"
    outbox = Path(os.environ.get("MAIL_OUTBOX_DIR") or PROJECT_ROOT / "data" / "outbox")
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(bytes(message))
    log.info("mail to %s written to %s", message["To"], path)
    return str(path)
