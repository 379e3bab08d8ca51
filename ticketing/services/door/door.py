"""What door pages and organizers read about check-in: counters per session, the scan history,
the list a scanner keeps for offline mode, and the conflicts found when offline scans synced.

Read-only; every function is given an event the caller may see (admission.door_event or
reports.managed_event checked that).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import (
    CheckIn,
    CheckInConflict,
    Event,
    EventSession,
    Order,
    Scan,
    Ticket,
    TicketStatus,
    TicketType,
    TicketTypeSession,
)
from ticketing.services.door import ticket_codes
from ticketing.services.door.admission import SessionWindow, current_sessions

# One letter per ticket status in the offline list (20,000 tickets: every byte counts).
STATUS_LETTERS = {TicketStatus.valid.value: "v", TicketStatus.pending.value: "p", TicketStatus.cancelled.value: "c"}


@dataclass(frozen=True)
class SessionCheckins:
    session_id: uuid.UUID
    name: str
    starts_at: datetime
    ends_at: datetime
    admitted: int
    expected: int  # valid (paid, not cancelled) tickets that include the session


@dataclass(frozen=True)
class ScanLine:
    id: uuid.UUID
    at: datetime
    result: str
    message: str
    holder_name: str
    ticket_type: str
    session_name: str
    gate: str
    offline: bool


def event_sessions(db: Session, event_id: uuid.UUID) -> list[EventSession]:
    return list(db.exec(select(EventSession).where(EventSession.event_id == event_id)
                        .order_by(EventSession.starts_at, EventSession.name)).all())


def default_session_id(sessions: list[EventSession], *, now: datetime, timezone: str) -> uuid.UUID | None:
    """The session a door page opens on: running now, else next today, else the next upcoming,
    else the last one (a page opened after the event still shows something)."""
    targets = [SessionWindow(s.id, s.name, s.starts_at, s.ends_at, s.status) for s in sessions]
    now_on = current_sessions(targets, now=now, timezone=timezone)
    if now_on:
        return now_on[0].id
    upcoming = [s for s in sessions if s.starts_at > now and s.status != "cancelled"]
    if upcoming:
        return upcoming[0].id
    return sessions[-1].id if sessions else None


def checkin_stats(*, db: Session, event_id: uuid.UUID) -> list[SessionCheckins]:
    """Admitted / expected per session of the event, in session order (three queries)."""
    admitted = dict(db.exec(
        select(CheckIn.session_id, func.count()).where(CheckIn.event_id == event_id).group_by(CheckIn.session_id)
    ).all())
    expected = dict(db.exec(
        select(TicketTypeSession.session_id, func.count(Ticket.id))
        .join(Ticket, Ticket.ticket_type_id == TicketTypeSession.ticket_type_id)
        .where(Ticket.event_id == event_id, Ticket.status == TicketStatus.valid.value)
        .group_by(TicketTypeSession.session_id)
    ).all())
    return [
        SessionCheckins(s.id, s.name, s.starts_at, s.ends_at, int(admitted.get(s.id, 0)), int(expected.get(s.id, 0)))
        for s in event_sessions(db, event_id)
    ]


def recent_scans(*, db: Session, event_id: uuid.UUID, limit: int = 20) -> list[ScanLine]:
    """The latest scans at every gate, newest first, green and red."""
    rows = db.exec(
        select(Scan, Ticket.holder_name, TicketType.name, EventSession.name)
        .outerjoin(Ticket, Ticket.id == Scan.ticket_id)
        .outerjoin(TicketType, TicketType.id == Ticket.ticket_type_id)
        .outerjoin(EventSession, EventSession.id == Scan.session_id)
        .where(Scan.event_id == event_id)
        .order_by(Scan.created_at.desc(), Scan.id.desc())
        .limit(limit)
    ).all()
    return [
        ScanLine(scan.id, scan.scanned_at, scan.result, scan.message, holder or "", type_name or "", session or "",
                 scan.gate, scan.offline)
        for scan, holder, type_name, session in rows
    ]


def list_conflicts(*, db: Session, event_id: uuid.UUID, limit: int = 50) -> list[tuple[CheckInConflict, str]]:
    """Conflicts found when offline scans synced, newest first, with the session's name."""
    rows = db.exec(
        select(CheckInConflict, EventSession.name)
        .outerjoin(EventSession, EventSession.id == CheckInConflict.session_id)
        .where(CheckInConflict.event_id == event_id)
        .order_by(CheckInConflict.created_at.desc(), CheckInConflict.id.desc())
        .limit(limit)
    ).all()
    return [(conflict, name or "") for conflict, name in rows]


def count_conflicts(*, db: Session, event_id: uuid.UUID) -> int:
    return int(db.exec(select(func.count()).select_from(CheckInConflict)
                       .where(CheckInConflict.event_id == event_id)).one())


def door_list(*, db: Session, event: Event, now: datetime) -> dict:
    """Everything a scanner needs to keep admitting when the network drops: the key that
    verifies codes, the sessions, and every ticket of the event with its code version, status,
    holder and order number (for search), plus the check-ins so far.

    Compact arrays rather than objects: a 20,000-ticket event stays near 1.5 MB of JSON.
    """
    sessions = event_sessions(db, event.id)
    types = list(db.exec(select(TicketType.id, TicketType.name).where(TicketType.event_id == event.id)
                         .order_by(TicketType.sort_order, TicketType.name)).all())
    type_index = {type_id: i for i, (type_id, _name) in enumerate(types)}
    sessions_of: dict[uuid.UUID, list[str]] = {type_id: [] for type_id, _ in types}
    for type_id, session_id in db.exec(
        select(TicketTypeSession.ticket_type_id, TicketTypeSession.session_id)
        .join(TicketType, TicketType.id == TicketTypeSession.ticket_type_id)
        .where(TicketType.event_id == event.id)
    ).all():
        sessions_of[type_id].append(str(session_id))
    tickets = db.exec(
        select(Ticket.id, Ticket.code_version, Ticket.status, Ticket.holder_name, Order.number, Ticket.ticket_type_id,
               Ticket.short_code)
        .join(Order, Order.id == Ticket.order_id)
        .where(Ticket.event_id == event.id)
        .order_by(Order.number, Ticket.created_at, Ticket.id)
    ).all()
    checkins = db.exec(
        select(CheckIn.ticket_id, CheckIn.session_id, CheckIn.checked_in_at, CheckIn.gate)
        .where(CheckIn.event_id == event.id)
    ).all()
    return {
        "event_id": str(event.id),
        "title": event.title,
        "timezone": event.timezone,
        "version": event.version,
        "generated_at": now.isoformat(),
        "key": ticket_codes.verification_key(),
        "default_session_id": str(default_session_id(sessions, now=now, timezone=event.timezone) or ""),
        "sessions": [
            {"id": str(s.id), "name": s.name, "starts_at": s.starts_at.isoformat(), "ends_at": s.ends_at.isoformat(),
             "status": s.status}
            for s in sessions
        ],
        "ticket_types": [{"id": str(type_id), "name": name, "session_ids": sessions_of[type_id]}
                         for type_id, name in types],
        # [id, code version, status letter, holder name, order number, ticket type index, short code]
        "tickets": [
            [str(tid), version, STATUS_LETTERS.get(status, "c"), holder, number, type_index[type_id], short or ""]
            for tid, version, status, holder, number, type_id, short in tickets
        ],
        # [ticket id, session id, checked in at, gate]
        "checkins": [[str(t), str(s), at.isoformat(), gate] for t, s, at, gate in checkins],
    }
