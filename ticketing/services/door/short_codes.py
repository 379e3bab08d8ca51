"""Short ticket codes: what a person reads from under a QR code and types at the door.

Ten characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 50 bits: shown as
two groups of five ("K7QMX-3PART"), unique within the event (a database index), replaced with
the signed code whenever a ticket changes hands. At the door a short code only points to the
ticket; the ticket's current signed code is what gets admitted.
"""

from __future__ import annotations

import secrets
import uuid

from sqlmodel import Session, select

from ticketing.models import Ticket

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10
_SEPARATORS = str.maketrans("", "", " -_.")


def new_short_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str | None) -> str:
    """'K7QMX-3PART' (blank for a ticket without one)."""
    if not code:
        return ""
    return f"{code[:5]}-{code[5:]}"


def normalize(text: str) -> str | None:
    """The short code in what a person typed (any case, spaces or dashes), or None when it is
    not one (a long signed code, a typo)."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    code = text.translate(_SEPARATORS).upper()
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def signed_code_for(db: Session, *, event_id: uuid.UUID, typed: str) -> str | None:
    """The current signed code of the event's ticket whose short code was typed, or None (not a
    short code, or none of this event's): the door then admits that code as if scanned. The
    scan itself checks the caller's role, so this reveals nothing on its own."""
    code = normalize(typed)
    if code is None:
        return None
    return db.exec(select(Ticket.code).where(Ticket.event_id == event_id, Ticket.short_code == code)).first()
