"""Short ticket codes: what a person reads from under a QR code and types at the door.

Ten characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 50 bits: shown as
two groups of five ("K7QMX-3PART"), unique within the event (a database index), replaced with
the signed code whenever a ticket changes hands. At the door a short code only points to the
ticket; the ticket's current signed code is what gets admitted.

A drawn code may already be one of the event's (rare, but certain over enough tickets): the
writes below skip or undo the colliding row and draw again rather than fail the checkout.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from ticketing.db import busy_error
from ticketing.models import Ticket

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10
_SEPARATORS = str.maketrans("", "", " -_.")
# Draws after a collision before giving up with a retryable `busy` (each is a fresh 50-bit draw).
ATTEMPTS = 5

# The source of randomness; a test swaps in a seeded random.Random to force a collision.
_random: random.Random = secrets.SystemRandom()


def new_short_code() -> str:
    return "".join(_random.choice(ALPHABET) for _ in range(LENGTH))


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


def insert_tickets(db: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ticket rows (every column); a row whose short code is already one of its event's
    is skipped by the statement and inserted again with a new code."""
    pending = list(rows)
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    for _ in range(ATTEMPTS):
        if not pending:
            return
        statement = (dialect.insert(Ticket.__table__).values(pending)
                     .on_conflict_do_nothing(index_elements=["event_id", "short_code"]).returning(Ticket.__table__.c.id))
        inserted = set(db.execute(statement).scalars())
        pending = [{**row, "short_code": new_short_code()} for row in pending if row["id"] not in inserted]
    if pending:
        raise busy_error()


def reissue_short_code(db: Session, ticket: Ticket) -> None:
    """Give the (row-locked) ticket a new short code, written at once and drawn again when it
    is taken. Only that update runs in a savepoint, so a collision undoes nothing else."""
    db.flush()
    for _ in range(ATTEMPTS):
        code = new_short_code()
        try:
            with db.begin_nested():
                db.execute(update(Ticket.__table__).where(Ticket.__table__.c.id == ticket.id).values(short_code=code))
        except IntegrityError as exc:
            if "short_code" not in str(exc.orig):  # PostgreSQL names the index, SQLite the columns
                raise
            continue
        set_committed_value(ticket, "short_code", code)
        return
    raise busy_error()
