"""The reads and writes of one scan, in as few round trips as the door's rush hour needs.

A scan is the hottest write of the app (gates at 1,000 scans/s), so it is two statements:

* `load_scan`: access + nonce replay + the ticket's row lock (FOR UPDATE) with its type, order,
  the event's sessions the scan may concern and the ticket's check-ins to them;
* `admit` (check-in + scan log) or `insert_scan` (a red answer's log line).

On PostgreSQL both are plain SQL run on the session's own psycopg connection (same transaction,
prepared by the driver after a few runs): SQLAlchemy's per-statement machinery would cost more
CPU than the database spends on them (bench/checkin.py). SQLite, the embedded default, runs the
same reads and writes as Core statements.

The check-ins read with the lock can be older than the lock itself (a gate that held it may
have just committed one): the insert's ON CONFLICT DO NOTHING is the last word, and `admit`
says when it lost.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg
from psycopg.types.json import Json
from sqlalchemy import bindparam, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlmodel import Session

from ticketing.models import (
    CheckIn,
    Event,
    EventSeat,
    EventSession,
    Membership,
    Order,
    Scan,
    Seat,
    Ticket,
    TicketSeat,
    TicketType,
    TicketTypeSession,
    User,
)
from ticketing.services.errors import ServiceError
from ticketing.services.seat_map import seat_label

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
    sessions: tuple[SessionWindow, ...]  # of its ticket type in the scanning event, by start time


@dataclass(frozen=True)
class ScanFacts:
    """What one scan is decided on, read under the ticket's row lock."""

    ctx: ScanContext
    ticket: TicketRow | None  # None: no such ticket
    # The scanning event's sessions this scan may concern: running or starting within a day of
    # the scan, the ticket's own, and the one the gate named.
    sessions: dict[uuid.UUID, SessionWindow]
    checkins: dict[uuid.UUID, tuple[uuid.UUID, datetime, str]]  # session -> (id, at, gate) of the ticket
    seats: dict[uuid.UUID, str]  # session -> the ticket's seat there ("Stalls · Row A · Seat 12")


_statements: dict[str, dict[str, Any]] = {}
AROUND = timedelta(days=1)  # sessions this close to the scan time are candidates for "now"


def _build(dialect: str) -> dict[str, Any]:
    """The Core statements (SQLite, and the rarely used reads on PostgreSQL)."""
    context = (
        select(Event.organization_id, Event.timezone, Event.title, Membership.role, User.name,
               Scan.result, Scan.status, Scan.message, Scan.data)
        .join(Membership, (Membership.organization_id == Event.organization_id)
              & (Membership.user_id == bindparam("user_id")))
        .join(User, User.id == Membership.user_id)
        .outerjoin(Scan, (Scan.event_id == Event.id) & (Scan.nonce == bindparam("nonce")))
        .where(Event.id == bindparam("event_id"))
        .limit(1)
    )
    ticket = (
        select(Ticket.id, Ticket.event_id, Ticket.status, Ticket.code_version, Ticket.holder_name,
               Ticket.ticket_type_id, TicketType.name, Order.number)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .join(Order, Order.id == Ticket.order_id)
        .where(Ticket.id == bindparam("ticket_id"))
    )
    included = select(TicketTypeSession.session_id).where(TicketTypeSession.ticket_type_id == bindparam("type_id"))
    sessions = (
        select(EventSession.id, EventSession.name, EventSession.starts_at, EventSession.ends_at, EventSession.status,
               EventSession.id.in_(included))
        .where(EventSession.event_id == bindparam("event_id"), or_(
            EventSession.id == bindparam("session_id"),
            (EventSession.ends_at > bindparam("at")) & (EventSession.starts_at < bindparam("until")),
            EventSession.id.in_(included),
        ))
    )
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return {
        "context": context,
        "ticket": ticket,
        "sessions": sessions,
        "checkins": select(_CHECKINS.c.session_id, _CHECKINS.c.id, _CHECKINS.c.checked_in_at, _CHECKINS.c.gate)
        .where(_CHECKINS.c.ticket_id == bindparam("ticket_id")),
        "checkin": insert(_CHECKINS).on_conflict_do_nothing(index_elements=["ticket_id", "session_id"])
        .returning(_CHECKINS.c.id),
        "seats": select(TicketSeat.session_id, Seat.section, Seat.row, Seat.number)
        .join(EventSeat, EventSeat.id == TicketSeat.event_seat_id).join(Seat, Seat.id == EventSeat.seat_id)
        .where(TicketSeat.ticket_id == bindparam("ticket_id")),
        "first": select(_CHECKINS.c.id, _CHECKINS.c.checked_in_at, _CHECKINS.c.gate)
        .where(_CHECKINS.c.ticket_id == bindparam("ticket_id"), _CHECKINS.c.session_id == bindparam("session_id")),
        "scan": insert(_SCANS).on_conflict_do_nothing(index_elements=["nonce", "event_id"]).returning(literal(1)),
    }


def _conn(db: Session) -> tuple[Connection, dict[str, Any]]:
    conn = db.connection()
    dialect = conn.dialect.name
    if dialect not in _statements:
        _statements[dialect] = _build(dialect)
    return conn, _statements[dialect]


# --- PostgreSQL: the two statements of a scan as plain SQL ----------------------------------

# The ticket is locked in a CTE (FOR UPDATE is not allowed on the nullable side of an outer join)
# whose columns are the locked row's latest version. One row per candidate session.
# The statement is prepared, and its generic plan may be made while scans and checkins are
# still nearly empty (statistics may then stay stale: autovacuum can be off). Each lookup is
# written so that only its unique index can serve it: the nonce through (nonce, event_id),
# its event test kept out of the index conditions, so that no plan filters every scan of the
# event through the history index (bench/checkin.py: 7 ms -> 0.3 ms at 20,000 scans); the
# check-ins through (ticket_id, session_id), the only index leading with the ticket.
LOCK_TICKET = "FOR UPDATE"  # the concurrency controls in the tests take it away
_PG_LOAD = """
WITH locked AS MATERIALIZED (
    SELECT id, event_id, status, code_version, holder_name, ticket_type_id, order_id
    FROM tickets WHERE id = %(ticket_id)s {lock}
)
SELECT e.organization_id, e.timezone, e.title, m.role, u.name,
       s.result, s.status, s.message, s.data,
       lk.id, lk.event_id, lk.status, lk.code_version, lk.holder_name, lk.ticket_type_id, tt.name, o.number,
       es.id, es.name, es.starts_at, es.ends_at, es.status, tts.session_id IS NOT NULL,
       c.id, c.checked_in_at, c.gate, st.section, st.row, st.number
FROM events e
JOIN memberships m ON m.organization_id = e.organization_id AND m.user_id = %(user_id)s
JOIN users u ON u.id = m.user_id
LEFT JOIN scans s ON s.nonce = %(nonce)s AND (s.event_id = e.id) IS TRUE
LEFT JOIN locked lk ON TRUE
LEFT JOIN ticket_types tt ON tt.id = lk.ticket_type_id
LEFT JOIN orders o ON o.id = lk.order_id
LEFT JOIN sessions es ON es.event_id = e.id AND (
       es.id = %(session_id)s
    OR (es.ends_at > %(at)s AND es.starts_at < %(until)s)
    OR es.id IN (SELECT session_id FROM ticket_type_sessions WHERE ticket_type_id = lk.ticket_type_id))
LEFT JOIN ticket_type_sessions tts ON tts.ticket_type_id = lk.ticket_type_id AND tts.session_id = es.id
LEFT JOIN checkins c ON c.ticket_id = lk.id AND c.session_id = es.id
LEFT JOIN ticket_seats ts ON ts.ticket_id = lk.id AND ts.session_id = es.id
LEFT JOIN event_seats ev ON ev.id = ts.event_seat_id
LEFT JOIN seats st ON st.id = ev.seat_id
WHERE e.id = %(event_id)s
"""
_CHECKIN_COLUMNS = ("id", "event_id", "session_id", "ticket_id", "scan_id", "user_id", "gate", "offline",
                    "checked_in_at")
_SCAN_COLUMNS = ("id", "event_id", "nonce", "user_id", "gate", "method", "ticket_id", "session_id", "result",
                 "status", "message", "data", "offline", "scanned_at", "created_at")


def _values(prefix: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"%({prefix}{c})s" for c in columns)


_PG_SCAN = (f"INSERT INTO scans ({', '.join(_SCAN_COLUMNS)}) VALUES ({_values('s_', _SCAN_COLUMNS)})"
            " ON CONFLICT (nonce, event_id) DO NOTHING RETURNING 1")
# The check-in and its log line in one statement; the log line only if the check-in went in.
_PG_ADMIT = f"""
WITH c AS (
    INSERT INTO checkins ({', '.join(_CHECKIN_COLUMNS)}) VALUES ({_values('c_', _CHECKIN_COLUMNS)})
    ON CONFLICT (ticket_id, session_id) DO NOTHING RETURNING 1
), s AS (
    INSERT INTO scans ({', '.join(_SCAN_COLUMNS)}) SELECT {_values('s_', _SCAN_COLUMNS)}
    WHERE EXISTS (SELECT 1 FROM c)
    ON CONFLICT (nonce, event_id) DO NOTHING RETURNING 1
)
SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM s)
"""


def _pg(db: Session) -> psycopg.Connection | None:
    """The session's psycopg connection (in its transaction) on PostgreSQL, else None."""
    conn = db.connection()
    return conn.connection.driver_connection if conn.dialect.name == "postgresql" else None


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(timezone.utc) if moment is not None else None


def _pg_execute(raw: psycopg.Connection, sql: str, params: dict[str, Any]) -> list[tuple]:
    try:
        return raw.execute(sql, params, prepare=True).fetchall()
    except psycopg.errors.LockNotAvailable as exc:
        raise ServiceError("busy", "The system is busy right now; please try again.") from exc


def _scan_params(values: dict[str, Any]) -> dict[str, Any]:
    return {f"s_{c}": Json(values[c]) if c == "data" else values.get(c) for c in _SCAN_COLUMNS}


# --- the use case's reads and writes --------------------------------------------------------


def load_scan(db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, nonce: str | None,
              ticket_id: uuid.UUID | None, session_id: uuid.UUID | None, at: datetime) -> ScanFacts | None:
    """Lock the ticket (when there is one) and read what the scan is decided on; None when the
    event does not exist or the user is not a member of its organization."""
    params = {"event_id": event_id, "user_id": user_id, "nonce": nonce, "ticket_id": ticket_id,
              "session_id": session_id, "at": at, "until": at + AROUND}
    raw = _pg(db)
    if raw is not None:
        rows = _pg_execute(raw, _PG_LOAD.format(lock=LOCK_TICKET), params)
    else:
        rows = _sqlite_rows(db, params)
    if not rows:
        return None
    first = rows[0]
    ctx = _context(event_id, first)
    sessions: dict[uuid.UUID, SessionWindow] = {}
    own: list[SessionWindow] = []
    checkins: dict[uuid.UUID, tuple[uuid.UUID, datetime, str]] = {}
    seats: dict[uuid.UUID, str] = {}
    for row in rows:
        if row[17] is None:
            continue
        window = SessionWindow(row[17], row[18], _utc(row[19]), _utc(row[20]), row[21])
        sessions[window.id] = window
        if row[22]:
            own.append(window)
        if row[23] is not None:
            checkins[window.id] = (row[23], _utc(row[24]), row[25])
        if row[26] is not None:
            seats[window.id] = seat_label(*row[26:29])
    ticket = None
    if first[9] is not None:
        own.sort(key=lambda w: (w.starts_at, w.name))
        ticket = TicketRow(*first[9:17], sessions=tuple(own))
    return ScanFacts(ctx, ticket, sessions, checkins, seats)


def _sqlite_rows(db: Session, params: dict[str, Any]) -> list[tuple]:
    """load_scan's rows, shaped like PostgreSQL's single query, from Core statements."""
    conn, stmts = _conn(db)
    context = conn.execute(stmts["context"], params).first()
    if context is None:
        return []
    ticket = conn.execute(stmts["ticket"], params).first() if params["ticket_id"] is not None else None
    if ticket is None:
        return [(*context, *([None] * 20))]
    sessions = conn.execute(stmts["sessions"], {**params, "type_id": ticket[5]}).all()
    checkins = {row[0]: row[1:] for row in conn.execute(stmts["checkins"], params).all()}
    seats = {row[0]: row[1:] for row in conn.execute(stmts["seats"], params).all()}
    return [(*context, *ticket, *s, *checkins.get(s[0], (None, None, None)), *seats.get(s[0], (None, None, None)))
            for s in sessions] or [(*context, *ticket, *([None] * 12))]


def admit(db: Session, *, checkin: dict[str, Any], scan: dict[str, Any]) -> tuple[bool, bool]:
    """Insert the check-in and, if it went in, its scan log line: (admitted, logged). Not
    admitted: the ticket already has a check-in for that session (a rival gate's, committed
    after this scan read the ticket's check-ins). Admitted but not logged: the same nonce was
    logged meanwhile (the caller rolls back and replays)."""
    raw = _pg(db)
    if raw is not None:
        params = {f"c_{c}": checkin[c] for c in _CHECKIN_COLUMNS} | _scan_params(scan)
        (admitted, logged), = _pg_execute(raw, _PG_ADMIT, params)
        return bool(admitted), bool(logged)
    conn, stmts = _conn(db)
    if conn.execute(stmts["checkin"], checkin).first() is None:
        return False, False
    return True, insert_scan(db, **scan)


def first_checkin(db: Session, *, ticket_id: uuid.UUID, session_id: uuid.UUID) -> tuple[uuid.UUID, datetime, str]:
    """(id, checked_in_at, gate) of the ticket's check-in to the session."""
    conn, stmts = _conn(db)
    return tuple(conn.execute(stmts["first"], {"ticket_id": ticket_id, "session_id": session_id}).one())


def insert_scan(db: Session, **values: Any) -> bool:
    """Log the scan; False when its nonce is already logged (a concurrent resend won)."""
    raw = _pg(db)
    if raw is not None:
        return bool(_pg_execute(raw, _PG_SCAN, _scan_params(values)))
    conn, stmts = _conn(db)
    return conn.execute(stmts["scan"], values).first() is not None


def load_context(db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, nonce: str | None) -> ScanContext | None:
    """The event and staff member (no ticket): None when the event does not exist or the user
    is not a member of its organization."""
    conn, stmts = _conn(db)
    row = conn.execute(stmts["context"], {"event_id": event_id, "user_id": user_id, "nonce": nonce}).first()
    return _context(event_id, row) if row is not None else None


def _context(event_id: uuid.UUID, row: Any) -> ScanContext:
    """The context of a row that starts with the context query's nine columns."""
    prior = (row[5], row[6], row[7], dict(row[8])) if row[5] is not None else None
    return ScanContext(event_id, *row[:5], prior)
