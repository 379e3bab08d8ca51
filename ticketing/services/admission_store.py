"""The reads and writes of one scan, in as few round trips as the door's rush hour needs.

A scan is the hottest write of the app (gates at 1,000 scans/s), so its statements are built
once, run on the session's connection as Core statements (no ORM unit of work), and merged:
access + nonce replay + the transaction's lock timeout in one query, the ticket's row lock + its
type, order and sessions in another. Then one insert each for the check-in and the scan log.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from ticketing.db import is_lock_error
from ticketing.models import (
    CheckIn,
    Event,
    EventSession,
    Membership,
    Order,
    Scan,
    Ticket,
    TicketType,
    TicketTypeSession,
    User,
)
from ticketing.services.errors import ServiceError
from ticketing.settings import get_settings

_CHECKINS = CheckIn.__table__
_SCANS = Scan.__table__


@dataclass(frozen=True)
class ScanContext:
    """The scanning event and staff member, and the stored answer to this nonce if any."""

    event_id: uuid.UUID
    organization_id: uuid.UUID
    timezone: str
    title: str
    role: str
    staff_name: str
    prior: tuple[str, int, str, dict[str, Any]] | None  # result, status, message, data


@dataclass(frozen=True)
class SessionWindow:
    """The times and state of one session, as admission decides with them."""

    id: uuid.UUID
    name: str
    starts_at: datetime
    ends_at: datetime
    status: str


@dataclass(frozen=True)
class TicketRow:
    """A locked ticket with what a door screen shows of it."""

    id: uuid.UUID
    event_id: uuid.UUID
    status: str
    code_version: int
    holder_name: str
    ticket_type_id: uuid.UUID
    type_name: str
    order_number: str
    sessions: tuple[SessionWindow, ...]  # of its ticket type, by start time


_statements: dict[str, dict[str, Any]] = {}


def _build(dialect: str) -> dict[str, Any]:
    context_columns = [Event.organization_id, Event.timezone, Event.title, Membership.role, User.name,
                       Scan.result, Scan.status, Scan.message, Scan.data]
    if dialect == "postgresql":
        # SET LOCAL as a column of the first query: the ticket lock below waits at most this long.
        context_columns.append(func.set_config("lock_timeout", bindparam("lock_timeout"), True))
    context = (
        select(*context_columns)
        .join(Membership, (Membership.organization_id == Event.organization_id)
              & (Membership.user_id == bindparam("user_id")))
        .join(User, User.id == Membership.user_id)
        .outerjoin(Scan, (Scan.event_id == Event.id) & (Scan.nonce == bindparam("nonce")))
        .where(Event.id == bindparam("event_id"))
        .limit(1)
    )
    ticket = (
        select(Ticket.id, Ticket.event_id, Ticket.status, Ticket.code_version, Ticket.holder_name,
               Ticket.ticket_type_id, TicketType.name, Order.number, EventSession.id, EventSession.name,
               EventSession.starts_at, EventSession.ends_at, EventSession.status)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .join(Order, Order.id == Ticket.order_id)
        .outerjoin(TicketTypeSession, TicketTypeSession.ticket_type_id == Ticket.ticket_type_id)
        .outerjoin(EventSession, EventSession.id == TicketTypeSession.session_id)
        .where(Ticket.id == bindparam("ticket_id"))
        .order_by(EventSession.starts_at)
    )
    if dialect == "postgresql":
        ticket = ticket.with_for_update(of=Ticket.__table__)  # SQLite: BEGIN IMMEDIATE already serializes
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return {
        "context": context,
        "ticket": ticket,
        "checkin": insert(_CHECKINS).on_conflict_do_nothing(index_elements=["ticket_id", "session_id"])
        .returning(_CHECKINS.c.id),
        "first": select(_CHECKINS.c.id, _CHECKINS.c.checked_in_at, _CHECKINS.c.gate)
        .where(_CHECKINS.c.ticket_id == bindparam("ticket_id"), _CHECKINS.c.session_id == bindparam("session_id")),
        "sessions": select(EventSession.id, EventSession.name, EventSession.starts_at, EventSession.ends_at,
                           EventSession.status).where(EventSession.event_id == bindparam("event_id")),
        "scan": insert(_SCANS).on_conflict_do_nothing(index_elements=["event_id", "nonce"]).returning(literal(1)),
    }


def _conn(db: Session) -> tuple[Connection, dict[str, Any]]:
    conn = db.connection()
    dialect = conn.dialect.name
    if dialect not in _statements:
        _statements[dialect] = _build(dialect)
    return conn, _statements[dialect]


def load_context(db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, nonce: str | None) -> ScanContext | None:
    """None when the event does not exist or the user is not a member of its organization."""
    conn, stmts = _conn(db)
    params: dict[str, Any] = {"event_id": event_id, "user_id": user_id, "nonce": nonce}
    if conn.dialect.name == "postgresql":
        params["lock_timeout"] = f"{int(get_settings().lock_timeout_ms)}ms"
    row = conn.execute(stmts["context"], params).first()
    if row is None:
        return None
    prior = (row[5], row[6], row[7], dict(row[8])) if row[5] is not None else None
    return ScanContext(event_id, row[0], row[1], row[2], row[3], row[4], prior)


def lock_ticket(db: Session, ticket_id: uuid.UUID) -> TicketRow | None:
    """Lock the ticket's row (FOR UPDATE OF tickets) and read it with its type, order and
    sessions; None when there is no such ticket. A lock timeout is a retryable `busy`."""
    conn, stmts = _conn(db)
    try:
        rows = conn.execute(stmts["ticket"], {"ticket_id": ticket_id}).all()
    except OperationalError as exc:
        if is_lock_error(exc):
            raise ServiceError("busy", "The system is busy right now; please try again.") from exc
        raise
    return ticket_row(rows)


def ticket_row(rows: list[Any]) -> TicketRow | None:
    """The ticket of the lock query's rows (one row per session of its ticket type)."""
    if not rows:
        return None
    sessions = tuple(SessionWindow(*r[8:13]) for r in rows if r[8] is not None)
    return TicketRow(*rows[0][:8], sessions=sessions)


def event_sessions(db: Session, event_id: uuid.UUID) -> list[SessionWindow]:
    """Every session of the event (to find what runs now when a scan names none)."""
    conn, stmts = _conn(db)
    return [SessionWindow(*row) for row in conn.execute(stmts["sessions"], {"event_id": event_id}).all()]


def insert_checkin(db: Session, **values: Any) -> bool:
    """Insert the check-in; False when the ticket already has one for that session."""
    conn, stmts = _conn(db)
    return conn.execute(stmts["checkin"], values).first() is not None


def first_checkin(db: Session, *, ticket_id: uuid.UUID, session_id: uuid.UUID) -> tuple[uuid.UUID, datetime, str]:
    """(id, checked_in_at, gate) of the ticket's check-in to the session."""
    conn, stmts = _conn(db)
    return tuple(conn.execute(stmts["first"], {"ticket_id": ticket_id, "session_id": session_id}).one())


def insert_scan(db: Session, **values: Any) -> bool:
    """Log the scan; False when its nonce is already logged (a concurrent resend won)."""
    conn, stmts = _conn(db)
    return conn.execute(stmts["scan"], values).first() is not None
