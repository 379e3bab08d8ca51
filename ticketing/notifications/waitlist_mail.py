"""The mail that tells a customer on a waiting list that places are held for them."""

from __future__ import annotations

import html
import uuid
from email.message import EmailMessage

from ticketing.db import session_scope
from ticketing.formatting import local_time
from ticketing.models import EntryStatus, Event, TicketType, User, WaitlistEntry
from ticketing.settings import get_settings


def offer_message(entry_id: uuid.UUID) -> EmailMessage | None:
    """The offer: what is held, until when, and the link to check out; None when the entry is
    no longer offered (bought, left, lapsed) by the time the mail goes out."""
    with session_scope(readonly=True) as db:
        entry = db.get(WaitlistEntry, entry_id)
        if entry is None or entry.status != EntryStatus.offered.value or entry.offer_expires_at is None:
            return None
        user = db.get(User, entry.user_id)
        event = db.get(Event, entry.event_id)
        type_name = db.get(TicketType, entry.ticket_type_id).name
    until = local_time(entry.offer_expires_at, event.timezone).strftime("%a %-d %b %Y, %H:%M")
    url = f"{get_settings().app_url}/cart"
    msg = EmailMessage()
    msg["To"] = user.email
    msg["Subject"] = f"Tickets held for you: {event.title}"
    what = f"{entry.quantity} × {type_name}"
    msg.set_content("\n".join([
        f"Hello {user.name},", "",
        f"places freed up for {event.title} and you were next on the waiting list.",
        f"We are holding {what} for you until {until}.", "",
        f"Check out here before then: {url}",
        "If you do not, the places go to the next person waiting.",
    ]))
    msg.add_alternative(
        f"<p>Hello {html.escape(user.name)},</p><p>places freed up for <b>{html.escape(event.title)}</b> and you "
        f"were next on the waiting list. We are holding <b>{html.escape(what)}</b> for you until "
        f"<b>{html.escape(until)}</b>.</p><p><a href='{html.escape(url)}'>Check out now</a></p>"
        "<p>If you do not, the places go to the next person waiting.</p>",
        subtype="html",
    )
    return msg
