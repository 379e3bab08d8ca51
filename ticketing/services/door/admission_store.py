"""The reads and writes of one scan, in as few round trips as the door's rush hour needs.

A scan is the hottest write of the app (gates at 1,000 scans/s), so it is two statements:

* `load_scan`: access + nonce replay + the ticket's row lock (FOR UPDATE) with its type, order,
  the event's sessions the scan may concern and the ticket's check-ins to them;
* `admit` (check-in + scan log) or `insert_scan` (a red answer's log line).

On PostgreSQL both are plain SQL run on the transaction's own psycopg connection (prepared by
the driver after a few runs): SQLAlchemy's per-statement machinery would cost more CPU than the
database spends on them (bench/checkin.py). SQLite, the embedded default, runs the same reads and
writes as Core statements. Every function takes the transaction as the door's `driver_scope`
gives it (a DriverTx on PostgreSQL, a Core Connection on SQLite) or as an ORM Session (tests,
another use case's transaction).

The check-ins read with the lock can be older than the lock itself (a gate that held it may
have just committed one): the insert's ON CONFLICT DO NOTHING is the last word, and `admit`
says when it lost.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.types.json import Json
from sqlalchemy import bindparam, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlmodel import Session

from ticketing.db import DriverTx, busy_on_lock, pg_driver
from ticketing.models import (
    CheckIn,
    CheckInConflict,
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
from ticketing.services.door.scan_facts import ScanContext, ScanFacts, SessionWindow, TicketRow
from ticketing.services.seating.seat_map import seat_label

_CHECKINS = CheckIn.__table__
_SCANS = Scan.__table__
Tx = Session | Connection | DriverTx  # the transaction a scan runs in


_statements: dict[str, dict[str, Any]] = {}
AROUND = timedelta(days=1)  # sessions this close to the scan time are candidates for "now"


def _build(dialect: str) -> dict[str, Any]:
    """The Core statements (SQLite, and the rarely used reads on PostgreSQL)."""
    context = (
        select(Event.organization_id, Event.timezone, Event.title, Membership.role, User.name,
               User.token_version, Scan.result, Scan.status, Scan.message, Scan.data)
        .join(Membership, (Membership.organization_id == Event.organization_id)
              & (Membership.user_id == bindparam("user_id")))
        .join(User, User.id == Membership.user_id)
        .outerjoin(Scan, (Scan.event_id == Event.id) & (Scan.nonce == bindparam("nonce")))
        .where(Event.id == bindparam("event_id"))
        .limit(1)
    )
    ticket = (
        select(Ticket.id, Ticket.event_id, Ticket.status, Ticket.code_version, Ticket.holder_name,
               Ticket.ticket_type_id, TicketType.name, Order.number, Ticket.code)
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
        "event": select(Event.organization_id, Event.title).where(Event.id == bindparam("event_id")),
        "token_version": select(User.token_version).where(User.id == bindparam("user_id")),
        "move": update(_CHECKINS).where(_CHECKINS.c.id == bindparam("checkin_id")),
        "conflict": insert(CheckInConflict.__table__),
    }


def _connection(db: Session | Connection) -> Connection:
    return db if isinstance(db, Connection) else db.connection()


def _conn(db: Tx) -> tuple[Connection, dict[str, Any]]:
    conn = _connection(db)
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
    SELECT id, event_id, status, code_version, holder_name, ticket_type_id, order_id, code
    FROM tickets WHERE id = %(ticket_id)s {lock}
)
SELECT e.organization_id, e.timezone, e.title, m.role, u.name, u.token_version,
       s.result, s.status, s.message, s.data,
       lk.id, lk.event_id, lk.status, lk.code_version, lk.holder_name, lk.ticket_type_id, tt.name, o.number, lk.code,
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
# The scan-log line of an admission repeats its check-in's values: those are sent once (each
# parameter costs CPU to adapt, and an admission is the commonest scan).
_FROM_CHECKIN = {"id": "scan_id", "event_id": "event_id", "user_id": "user_id", "gate": "gate",
                 "ticket_id": "ticket_id", "session_id": "session_id", "offline": "offline",
                 "scanned_at": "checked_in_at"}
_LOG_ONLY = tuple(c for c in _SCAN_COLUMNS if c not in _FROM_CHECKIN)
_ADMIT_LOG = ", ".join(f"%(c_{_FROM_CHECKIN[c]})s" if c in _FROM_CHECKIN else f"%(s_{c})s" for c in _SCAN_COLUMNS)
# The check-in and its log line in one statement; the log line only if the check-in went in.
_PG_ADMIT = f"""
WITH c AS (
    INSERT INTO checkins ({', '.join(_CHECKIN_COLUMNS)}) VALUES ({_values('c_', _CHECKIN_COLUMNS)})
    ON CONFLICT (ticket_id, session_id) DO NOTHING RETURNING 1
), s AS (
    INSERT INTO scans ({', '.join(_SCAN_COLUMNS)}) SELECT {_ADMIT_LOG}
    WHERE EXISTS (SELECT 1 FROM c)
    ON CONFLICT (nonce, event_id) DO NOTHING RETURNING 1
)
SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM s)
"""
_CHECKIN_KEYS = tuple((f"c_{c}", c) for c in _CHECKIN_COLUMNS)
_LOG_ONLY_KEYS = tuple((f"s_{c}", c) for c in _LOG_ONLY)
_SCAN_KEYS = tuple((f"s_{c}", c) for c in _SCAN_COLUMNS)




def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(timezone.utc) if moment is not None else None


_CURSOR = "door_cursor"  # record_info key of a pooled connection: its psycopg cursor for scans


@lru_cache(maxsize=8)
def _encoded(sql: str) -> bytes:
    return sql.encode()  # psycopg would encode a str query again on every execution


def _pg_execute(db: Tx, raw: psycopg.Connection, sql: str, params: dict[str, Any]) -> list[tuple]:
    # One cursor per pooled connection, kept with its pool record (scopes clear `info`, not
    # `record_info`): a new cursor would set up its adapters again.
    kept = db.pooled.record_info if isinstance(db, DriverTx) else _connection(db).connection.record_info
    cursor = kept.get(_CURSOR)
    if cursor is None or cursor.connection is not raw or cursor.closed:
        cursor = kept[_CURSOR] = raw.cursor()
    with busy_on_lock():
        return cursor.execute(_encoded(sql), params, prepare=True).fetchall()


def _scan_params(values: dict[str, Any], keys: tuple[tuple[str, str], ...] = _SCAN_KEYS) -> dict[str, Any]:
    return {key: Json(values[c]) if c == "data" else values.get(c) for key, c in keys}


# --- the use case's reads and writes --------------------------------------------------------


def load_scan(db: Tx, *, event_id: uuid.UUID, user_id: uuid.UUID, nonce: str | None,
              ticket_id: uuid.UUID | None, session_id: uuid.UUID | None, at: datetime) -> ScanFacts | None:
    """Lock the ticket (when there is one) and read what the scan is decided on; None when the
    event does not exist or the user is not a member of its organization."""
    params = {"event_id": event_id, "user_id": user_id, "nonce": nonce, "ticket_id": ticket_id,
              "session_id": session_id, "at": at, "until": at + AROUND}
    raw = pg_driver(db)
    if raw is not None:
        rows = _pg_execute(db, raw, _PG_LOAD.format(lock=LOCK_TICKET), params)
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
    for row in rows:  # context 0-9, ticket 10-18, session 19-24, check-in 25-27, seat 28-30
        if row[19] is None:
            continue
        window = SessionWindow(row[19], row[20], _utc(row[21]), _utc(row[22]), row[23])
        sessions[window.id] = window
        if row[24]:
            own.append(window)
        if row[25] is not None:
            checkins[window.id] = (row[25], _utc(row[26]), row[27])
        if row[28] is not None:
            seats[window.id] = seat_label(*row[28:31])
    ticket = None
    if first[10] is not None:
        own.sort(key=lambda w: (w.starts_at, w.name))
        ticket = TicketRow(*first[10:19], sessions=tuple(own))
    return ScanFacts(ctx, ticket, sessions, checkins, seats)


def _sqlite_rows(db: Tx, params: dict[str, Any]) -> list[tuple]:
    """load_scan's rows, shaped like PostgreSQL's single query, from Core statements."""
    conn, stmts = _conn(db)
    context = conn.execute(stmts["context"], params).first()
    if context is None:
        return []
    ticket = conn.execute(stmts["ticket"], params).first() if params["ticket_id"] is not None else None
    if ticket is None:
        return [(*context, *([None] * 21))]
    sessions = conn.execute(stmts["sessions"], {**params, "type_id": ticket[5]}).all()
    checkins = {row[0]: row[1:] for row in conn.execute(stmts["checkins"], params).all()}
    seats = {row[0]: row[1:] for row in conn.execute(stmts["seats"], params).all()}
    return [(*context, *ticket, *s, *checkins.get(s[0], (None, None, None)), *seats.get(s[0], (None, None, None)))
            for s in sessions] or [(*context, *ticket, *([None] * 12))]


def admit(db: Tx, *, checkin: dict[str, Any], scan: dict[str, Any]) -> tuple[bool, bool]:
    """Insert the check-in and, if it went in, its scan log line: (admitted, logged). Not
    admitted: the ticket already has a check-in for that session (a rival gate's, committed
    after this scan read the ticket's check-ins). Admitted but not logged: the same nonce was
    logged meanwhile (the caller rolls back and replays)."""
    raw = pg_driver(db)
    if raw is not None:
        if any(scan.get(c) != checkin[k] for c, k in _FROM_CHECKIN.items()):
            raise ValueError("an admission's log line must repeat its check-in")
        params = {key: checkin[c] for key, c in _CHECKIN_KEYS} | _scan_params(scan, _LOG_ONLY_KEYS)
        (admitted, logged), = _pg_execute(db, raw, _PG_ADMIT, params)
        return bool(admitted), bool(logged)
    conn, stmts = _conn(db)
    if conn.execute(stmts["checkin"], checkin).first() is None:
        return False, False
    return True, insert_scan(db, **scan)


_PG_FIRST = "SELECT id, checked_in_at, gate FROM checkins WHERE ticket_id = %(ticket_id)s AND session_id = %(session_id)s"


def first_checkin(db: Tx, *, ticket_id: uuid.UUID, session_id: uuid.UUID) -> tuple[uuid.UUID, datetime, str]:
    """(id, checked_in_at, gate) of the ticket's check-in to the session."""
    params = {"ticket_id": ticket_id, "session_id": session_id}
    raw = pg_driver(db)
    if raw is not None:
        (checkin_id, at, gate), = _pg_execute(db, raw, _PG_FIRST, params)
        return checkin_id, _utc(at), gate
    conn, stmts = _conn(db)
    return tuple(conn.execute(stmts["first"], params).one())


def insert_scan(db: Tx, **values: Any) -> bool:
    """Log the scan; False when its nonce is already logged (a concurrent resend won)."""
    raw = pg_driver(db)
    if raw is not None:
        return bool(_pg_execute(db, raw, _PG_SCAN, _scan_params(values)))
    conn, stmts = _conn(db)
    return conn.execute(stmts["scan"], values).first() is not None


def load_context(db: Session | Connection, *, event_id: uuid.UUID, user_id: uuid.UUID, nonce: str | None) -> ScanContext | None:
    """The event and staff member (no ticket): None when the event does not exist or the user
    is not a member of its organization."""
    conn, stmts = _conn(db)
    row = conn.execute(stmts["context"], {"event_id": event_id, "user_id": user_id, "nonce": nonce}).first()
    return _context(event_id, row) if row is not None else None


def _context(event_id: uuid.UUID, row: Any) -> ScanContext:
    """The context of a row that starts with the context query's ten columns."""
    prior = (row[6], row[7], row[8], dict(row[9])) if row[6] is not None else None
    return ScanContext(event_id, *row[:6], prior)


# The rare reads and writes of a scan, as plain SQL on PostgreSQL (a DriverTx has no Core
# connection) and as Core statements on SQLite.
_PG_EVENT = "SELECT organization_id, title FROM events WHERE id = %(event_id)s"
_PG_MOVE = ("UPDATE checkins SET checked_in_at = %(checked_in_at)s, gate = %(gate)s, user_id = %(user_id)s,"
            " offline = %(offline)s, scan_id = %(scan_id)s WHERE id = %(checkin_id)s")
_CONFLICT_COLUMNS = ("id", "event_id", "session_id", "ticket_id", "kind", "holder_name", "first_gate", "first_at",
                     "second_gate", "second_at", "created_at")
_PG_CONFLICT = f"INSERT INTO checkin_conflicts ({', '.join(_CONFLICT_COLUMNS)}) VALUES ({_values('', _CONFLICT_COLUMNS)})"
_PG_TOKEN_VERSION = "SELECT token_version FROM users WHERE id = %(user_id)s"


def _pg_write(db: Tx, raw: psycopg.Connection, sql: str, params: dict[str, Any]) -> None:
    with busy_on_lock():
        raw.execute(_encoded(sql), params)


def event_owner(db: Tx, *, event_id: uuid.UUID) -> tuple[uuid.UUID, str] | None:
    """(organization id, title) of an event (a ticket of another event was scanned)."""
    params = {"event_id": event_id}
    raw = pg_driver(db)
    if raw is not None:
        rows = _pg_execute(db, raw, _PG_EVENT, params)
        return tuple(rows[0]) if rows else None
    conn, stmts = _conn(db)
    row = conn.execute(stmts["event"], params).first()
    return (row[0], row[1]) if row is not None else None


def move_checkin(db: Tx, *, checkin_id: uuid.UUID, checked_in_at: datetime, gate: str, user_id: uuid.UUID,
                 offline: bool, scan_id: uuid.UUID) -> None:
    """Rewrite a check-in (an offline gate's earlier admission becomes the first one)."""
    values = {"checked_in_at": checked_in_at, "gate": gate, "user_id": user_id, "offline": offline,
              "scan_id": scan_id}
    raw = pg_driver(db)
    if raw is not None:
        _pg_write(db, raw, _PG_MOVE, {**values, "checkin_id": checkin_id})
        return
    conn, stmts = _conn(db)
    conn.execute(stmts["move"].values(**values), {"checkin_id": checkin_id})


def insert_conflict(db: Tx, **values: Any) -> None:
    """Record what an offline gate admitted that the server would not have."""
    values = {"id": uuid.uuid4(), **values}
    raw = pg_driver(db)
    if raw is not None:
        _pg_write(db, raw, _PG_CONFLICT, {c: values[c] for c in _CONFLICT_COLUMNS})
        return
    conn, stmts = _conn(db)
    conn.execute(stmts["conflict"], values)


def token_version(db: Tx, *, user_id: uuid.UUID) -> int | None:
    """The user's token version; None when there is no such user."""
    params = {"user_id": user_id}
    raw = pg_driver(db)
    if raw is not None:
        rows = _pg_execute(db, raw, _PG_TOKEN_VERSION, params)
        return rows[0][0] if rows else None
    conn, stmts = _conn(db)
    return conn.execute(stmts["token_version"], params).scalar()
