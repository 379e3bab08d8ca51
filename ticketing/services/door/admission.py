"""Admission at the door: one scan in, one answer out, a ticket admitted at most once per session.

A red answer (unknown code, wrong event, already checked in, ...) is a result, not an error: it
is recorded in the scan log with the green ones, so the door history shows it and a re-sent
nonce gets it back unchanged. Only requests that are not scans at all (unknown event, no
access, malformed input, busy) raise ServiceError.

Exactly once: the ticket's row is locked (FOR UPDATE) before its check-in is written, so gates
scanning the same ticket queue behind each other; the insert itself is ON CONFLICT DO NOTHING
on the unique (ticket, session) constraint, the last word should a path ever skip the lock.

Offline scans (sent later with their `scanned_at`) were already let in by a gate without the
server: the server resolves them by scan time and records a conflict when it would have refused.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from ticketing.db import driver_scope
from ticketing.models import Event, TicketStatus
from ticketing.models.accounts import Role
from ticketing.services import live_changes
from ticketing.services.accounts.accounts import stale_token
from ticketing.services.accounts.organizations import STAFF_ROLES
from ticketing.services.door import admission_store as store
from ticketing.services.door import ticket_codes
from ticketing.services.door.admission_store import Tx
from ticketing.services.door.scan_facts import (
    ADMITTED,
    NonceRace,
    Scan,
    ScanAnswer,
    ScanContext,
    SessionWindow,
    TicketRow,
)
from ticketing.services.errors import ServiceError, invalid, not_found
from ticketing.services.local_times import zone

# HTTP status of each red answer (the API contract).
REFUSALS: dict[str, int] = {
    "unknown_code": 404,
    "already_checked_in": 409,
    "wrong_event": 422,
    "wrong_session": 422,
    "not_paid": 422,
    "cancelled": 422,
    "revoked": 422,
}
MAX_NONCE = 100
MAX_GATE = 60
OLDEST_SCAN = timedelta(days=30)  # an offline queue older than this is not believed

NONCE_RACE_RETRIES = 3

__all__ = ["ScanAnswer", "NonceRace", "SessionWindow", "scan_at_door", "scan_ticket", "door_event",
           "current_sessions"]


# --- access and input ----------------------------------------------------------------------


def door_event(*, db: Session, event_id: uuid.UUID, user_id: uuid.UUID) -> tuple[Event, str]:
    """The event and the caller's name when the caller is staff of its organization.

    Unknown events and strangers alike get `not_found` (tenant isolation).
    """
    ctx = _context(db, event_id=event_id, user_id=user_id, nonce=None)
    return db.get(Event, event_id), ctx.staff_name


def _context(db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, nonce: str | None) -> ScanContext:
    return _staff_only(store.load_context(db, event_id=event_id, user_id=user_id, nonce=nonce))


def _staff_only(ctx: ScanContext | None) -> ScanContext:
    """Strangers and unknown events alike get `not_found`; members without a door role 403."""
    if ctx is None:
        raise not_found("event")
    if Role(ctx.role) not in STAFF_ROLES:
        raise ServiceError("forbidden", "Your role in this organization does not allow this.", status=403)
    return ctx


def _clean_nonce(nonce: str | None) -> str | None:
    if nonce is None:
        return None
    if not nonce or len(nonce) > MAX_NONCE or not nonce.isprintable():
        raise invalid("invalid_nonce", f"A nonce is 1-{MAX_NONCE} printable characters.", field="nonce")
    return nonce


def _scan_time(scanned_at: datetime | None, now: datetime) -> datetime:
    if scanned_at is None:
        return now
    if scanned_at.tzinfo is None:
        raise invalid("invalid_scanned_at", "scanned_at needs a UTC offset.", field="scanned_at")
    if scanned_at < now - OLDEST_SCAN:
        raise invalid("invalid_scanned_at", "This scan is too old to be synced.", field="scanned_at")
    return min(scanned_at, now)  # a phone whose clock runs ahead cannot scan in the future


def local_hhmm(moment: datetime, timezone: str) -> str:
    return moment.astimezone(zone(timezone)).strftime("%H:%M")


# --- the use case --------------------------------------------------------------------------


def scan_at_door(*, url: str | None = None, **scan: Any) -> ScanAnswer:
    """One scan in its own transaction, as a gate's request runs it (the API route; the bench
    measures exactly this): `scan_ticket` in a `driver_scope` (no ORM, no SQLAlchemy Connection on
    PostgreSQL: its statements are plain SQL on the driver), retried when a request
    with the same nonce committed first (the retry replays its answer). Still racing after a
    few tries: `busy` (503), and the gate resends the same nonce."""
    for attempt in range(NONCE_RACE_RETRIES):
        try:
            with driver_scope(url=url) as db:
                return scan_ticket(db=db, **scan)
        except NonceRace:
            if attempt == NONCE_RACE_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def scan_ticket(
    *,
    db: Tx,
    event_id: uuid.UUID,
    user_id: uuid.UUID,
    code: str | None = None,
    ticket_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    nonce: str | None = None,
    scanned_at: datetime | None = None,
    gate: str | None = None,
    token_version: int | None = None,
    now: datetime,
) -> ScanAnswer:
    """Admit the ticket behind `code` (or `ticket_id`, found by a search) to a session.

    Without `session_id` the session of the ticket running now, else the next one today (in
    the event's timezone). Same `nonce` again -> the first answer, changing nothing.
    `scanned_at` marks a scan queued by a gate that was offline and already let the person in.
    `token_version`: that of the caller's access token, whose signature the caller checked;
    the user's current one is read with the scan (`invalid_token` when they differ), which
    spares the API a transaction of its own per scan. None: the caller is already identified.
    """
    try:
        if (code is None) == (ticket_id is None):
            raise invalid("invalid_input", "Send either a ticket code or a ticket id.", field="code")
        nonce = _clean_nonce(nonce)
        at = _scan_time(scanned_at, now)
    except ServiceError:
        _check_token(db, user_id=user_id, token_version=token_version)  # a void token is told first
        raise
    if code is not None:
        try:  # garbage is told apart without the database: it locks nothing
            ticket_id = ticket_codes.peek_code(code).ticket_id
        except ServiceError:
            ticket_id = None
    facts = store.load_scan(db, event_id=event_id, user_id=user_id, nonce=nonce, ticket_id=ticket_id,
                            session_id=session_id, at=at)
    if facts is None:
        _check_token(db, user_id=user_id, token_version=token_version)
    elif token_version is not None and token_version != facts.ctx.token_version:
        raise stale_token()
    ctx = _staff_only(facts.ctx if facts is not None else None)
    if ctx.prior is not None:
        return ScanAnswer(*ctx.prior, replayed=True)
    scan = Scan(
        ctx=ctx, user_id=user_id, gate=(gate or "").strip()[:MAX_GATE] or ctx.staff_name[:MAX_GATE],
        at=at, now=now, offline=scanned_at is not None, method="code" if code is not None else "search",
        nonce=nonce, facts=facts, ticket=facts.ticket,
    )
    version = None
    if code is not None and scan.ticket is not None:
        version = _code_version(code, scan.ticket)
        if version is None:
            scan.ticket = None  # a forged code: as if no such ticket
    scan_id = uuid.uuid4()
    answer = _decide(db, scan, scan_id, version=version, session_id=session_id)
    if scan.offline and not answer.admitted:
        # The offline gate already let this guest in: the organizer must hear of it.
        kind = "duplicate" if answer.result == "already_checked_in" else answer.result
        _record_conflict(db, scan, kind=kind, first=answer.data)
    if not scan.logged:
        _record_scan(db, scan, scan_id, answer)
    live_changes.stage_checkins(db, event_id=event_id)  # door counters and history go live
    return answer


def _check_token(db: Tx, *, user_id: uuid.UUID, token_version: int | None) -> None:
    """`invalid_token` when the caller's token version is given and is not the user's (or the
    user is gone): the slow path, for scans that found no event or staff member."""
    if token_version is not None and store.token_version(db, user_id=user_id) != token_version:
        raise stale_token()


def _code_version(code: str, ticket: TicketRow) -> int | None:
    """The code version a scanned code of this ticket carries; None when it is not genuine.
    The ticket's current code is recognised by comparison with the stored one (no signature
    to verify: the common case, and the cheap one); any other is verified (an older, revoked
    code, or a forgery)."""
    if ticket_codes.is_issued(code, ticket.code):
        return ticket.code_version
    try:
        return ticket_codes.read_code(code).version
    except ServiceError:
        return None


def _decide(db: Tx, scan: Scan, scan_id: uuid.UUID, *, version: int | None,
            session_id: uuid.UUID | None) -> ScanAnswer:
    ticket = scan.ticket
    if ticket is None:
        return _refuse("unknown_code", "Not a valid ticket code.")
    if ticket.event_id != scan.ctx.event_id:
        return _wrong_event(db, scan)
    scan.details = {
        "ticket_id": str(ticket.id), "holder_name": ticket.holder_name, "ticket_type": ticket.type_name,
        "order_number": ticket.order_number, "seat": None,  # set with the session (_aim)
    }
    if ticket.status == TicketStatus.cancelled.value:
        return _refuse("cancelled", "This ticket was cancelled.", scan)
    if version is not None and version != ticket.code_version:
        if version > ticket.code_version:  # only a leaked signing key could make one
            return _refuse("unknown_code", "Not a valid ticket code.")
        return _refuse("revoked", "This code was replaced by a newer one (the ticket was transferred).", scan)
    if ticket.status != TicketStatus.valid.value:
        return _refuse("not_paid", "This ticket's order is not paid.", scan)
    refusal = _choose_session(scan, session_id)
    if refusal is not None:
        return refusal
    return _admit(db, scan, scan_id)


def _refuse(code: str, message: str, scan: Scan | None = None, **extra: Any) -> ScanAnswer:
    data = dict(scan.details) if scan is not None else {}
    if scan is not None and scan.target is not None:
        data.update(session_id=str(scan.target.id), session_name=scan.target.name)
    data.update(extra)
    return ScanAnswer(code, REFUSALS[code], message, data)


def _wrong_event(db: Tx, scan: Scan) -> ScanAnswer:
    other = store.event_owner(db, event_id=scan.ticket.event_id)
    if other is not None and other[0] == scan.ctx.organization_id:
        # Same organizer: naming the right event helps the guest; another tenant's stays unnamed.
        title = other[1]
        return _refuse("wrong_event", f"This ticket is for “{title}”.", ticket_event_title=title)
    if scan.method == "search":
        # A ticket id is no proof of holding the ticket: for another tenant's id, answer as for an
        # id that does not exist (a signed code in hand still says "another event").
        return _refuse("unknown_code", "No such ticket.")
    return _refuse("wrong_event", "This ticket is for another event.")


def current_sessions(sessions: list[SessionWindow], *, now: datetime, timezone: str) -> list[SessionWindow]:
    """The event's sessions the door admits to now: those running now (several when they run in
    parallel), else those starting next later today (event's timezone); [] when none."""
    live = sorted((s for s in sessions if s.status != "cancelled"), key=lambda s: (s.starts_at, s.name))
    running = [s for s in live if s.starts_at <= now < s.ends_at]
    if running:
        return running
    local = zone(timezone)
    today = now.astimezone(local).date()
    later = [s for s in live if s.starts_at > now and s.starts_at.astimezone(local).date() == today]
    return [s for s in later if s.starts_at == later[0].starts_at]


def _choose_session(scan: Scan, session_id: uuid.UUID | None) -> ScanAnswer | None:
    """Set scan.target; a `wrong_session` answer when the ticket is not for that session."""
    sessions = list(scan.ticket.sessions)
    valid_for = ", ".join(s.name for s in sessions)
    extra = {"valid_session_ids": [str(s.id) for s in sessions], "valid_sessions": valid_for}
    if session_id is None:
        # The door admits to what is on now: a ticket for a later session of the same day waits.
        window = current_sessions(list(scan.facts.sessions.values()), now=scan.at, timezone=scan.ctx.timezone)
        if not window:
            return _refuse("wrong_session", f"No session of this event runs today. Valid for: {valid_for}.", scan,
                           **extra)
        mine = {s.id for s in sessions}
        _aim(scan, next((s for s in window if s.id in mine), None))
        if scan.target is None:
            _aim(scan, window[0])
            now_on = ", ".join(s.name for s in window)
            return _refuse("wrong_session", f"Not valid for {now_on}. Valid for: {valid_for}.", scan, **extra)
        return None
    chosen = next((s for s in sessions if s.id == session_id), None)
    if chosen is None:
        other = scan.facts.sessions.get(session_id)
        if other is None:
            raise not_found("session")
        _aim(scan, other)
        return _refuse("wrong_session", f"Not valid for {other.name}. Valid for: {valid_for}.", scan, **extra)
    _aim(scan, chosen)
    if chosen.status == "cancelled":
        return _refuse("wrong_session", f"{chosen.name} was cancelled.", scan, **extra)
    return None


def _aim(scan: Scan, session: SessionWindow | None) -> None:
    """The session this scan is about, and the ticket's seat there (seated sessions)."""
    scan.target = session
    if session is not None and scan.details:
        scan.details["seat"] = scan.facts.seats.get(session.id)


def _admit(db: Tx, scan: Scan, scan_id: uuid.UUID) -> ScanAnswer:
    ticket, target = scan.ticket, scan.target
    first = scan.facts.checkins.get(target.id)
    if first is None:
        answer = _admitted(scan)
        admitted, logged = store.admit(
            db,
            checkin=dict(id=uuid.uuid4(), event_id=scan.ctx.event_id, session_id=target.id, ticket_id=ticket.id,
                         scan_id=scan_id, user_id=scan.user_id, gate=scan.gate, offline=scan.offline,
                         checked_in_at=scan.at),
            scan=_scan_row(scan, scan_id, answer),
        )
        if admitted:
            if not logged:  # the same nonce committed meanwhile: roll back, the retry replays it
                raise NonceRace()
            scan.logged = True
            return answer
        # A rival gate admitted it after this scan read the ticket's check-ins.
        first = store.first_checkin(db, ticket_id=ticket.id, session_id=target.id)
    first_id, first_at, first_gate = first
    if scan.offline and scan.at < first_at:
        # This gate let the guest in earlier while offline: its admission becomes the first one,
        # and the later one is the conflict the organizer sees.
        _record_conflict(db, scan, kind="duplicate", first={"checked_in_at": scan.at, "gate": scan.gate},
                         second=(first_gate, first_at))
        store.move_checkin(db, checkin_id=first_id, checked_in_at=scan.at, gate=scan.gate, user_id=scan.user_id,
                           offline=True, scan_id=scan_id)
        return _admitted(scan, conflict=True)
    when = local_hhmm(first_at, scan.ctx.timezone)
    return _refuse(
        "already_checked_in", f"Already checked in at {when} by {first_gate or 'another gate'}.", scan,
        checked_in_at=first_at.isoformat(), gate=first_gate,
    )


def _admitted(scan: Scan, *, conflict: bool = False) -> ScanAnswer:
    data = {
        **scan.details, "session_id": str(scan.target.id), "session_name": scan.target.name,
        "checked_in_at": scan.at.isoformat(), "gate": scan.gate,
    }
    if conflict:
        data["conflict"] = "duplicate"
    return ScanAnswer(ADMITTED, 201, "Admitted", data)


# --- records -------------------------------------------------------------------------------


def _scan_row(scan: Scan, scan_id: uuid.UUID, answer: ScanAnswer) -> dict[str, Any]:
    ticket = scan.ticket
    own_ticket = ticket is not None and ticket.event_id == scan.ctx.event_id
    return dict(
        id=scan_id, event_id=scan.ctx.event_id, nonce=scan.nonce, user_id=scan.user_id, gate=scan.gate,
        method=scan.method, ticket_id=ticket.id if own_ticket else None,
        session_id=scan.target.id if scan.target is not None else None,
        result=answer.result, status=answer.status, message=answer.message[:300], data=answer.data,
        offline=scan.offline, scanned_at=scan.at, created_at=scan.now,
    )


def _record_scan(db: Tx, scan: Scan, scan_id: uuid.UUID, answer: ScanAnswer) -> None:
    if not store.insert_scan(db, **_scan_row(scan, scan_id, answer)):
        raise NonceRace()  # the same nonce committed meanwhile: roll back, the retry replays it


def _record_conflict(db: Tx, scan: Scan, *, kind: str, first: dict[str, Any],
                     second: tuple[str, datetime] | None = None) -> None:
    """An offline gate admitted someone the server would not have (see CheckInConflict)."""
    ticket = scan.ticket if scan.ticket is not None and scan.ticket.event_id == scan.ctx.event_id else None
    first_at = first.get("checked_in_at")
    if isinstance(first_at, str):
        first_at = datetime.fromisoformat(first_at)
    second_gate, second_at = second if second is not None else (scan.gate, scan.at)
    store.insert_conflict(
        db, event_id=scan.ctx.event_id, session_id=scan.target.id if scan.target else None,
        ticket_id=ticket.id if ticket else None, kind=kind, holder_name=ticket.holder_name if ticket else "",
        first_gate=str(first.get("gate") or "") if kind == "duplicate" else "",
        first_at=first_at if kind == "duplicate" else None,
        second_gate=second_gate, second_at=second_at, created_at=scan.now,
    )
