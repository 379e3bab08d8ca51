"""An event's waiting room: organizers switch it on and off and set its admission rate;
customers join, see their place and get their admission; the hold path asks whether an
admission is needed and checks it.

Rooms switch themselves on when arrivals pass `waiting_room_auto_arrivals` per second (the
surge rule, docs/decisions.md "Waiting room").
"""

from __future__ import annotations

import math
import random
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from sqlalchemy.exc import IntegrityError, OperationalError

from ticketing.db import autocommit_connection, busy_error, is_lock_error, session_scope, set_lock_timeout
from ticketing.models import TicketType, WaitingRoom
from ticketing.services.accounts.organizations import MANAGER_ROLES
from ticketing.services.catalog.catalog_common import event_for_role
from ticketing.services.errors import ServiceError, invalid
from ticketing.services.sales.availability import visible_event
from ticketing.services.waiting_room.admission_tokens import check_admission_token, issue_admission
from ticketing.services.waiting_room.queue_store import QueueStore, get_queue
from ticketing.settings import get_settings

MAX_RATE_PER_MINUTE = 600_000
ASK_SOONEST_SECONDS = 3  # a queue page near the front asks this often: its place's heartbeat and position
ASK_LATEST_SECONDS = 30  # and at least this often further back (the place is kept for minutes)
_draw = random.SystemRandom()  # a place drawn for an early arrival cannot be predicted


@dataclass(frozen=True)
class QueueStatus:
    """What a customer's queue page shows. `state`: "open" (no room: buy), "waiting",
    "admitted" (with the token to present when holding) or "absent" (not in the queue).
    `opens_in_seconds`: until the sale opens, by the server's clock (0 once open);
    `ask_again_seconds`: when the page should ask again (ask_again_seconds())."""

    state: str
    position: int | None = None
    waiting: int = 0
    wait_seconds: int | None = None
    opens_at: datetime | None = None
    admission_token: str | None = None
    admitted_until: datetime | None = None
    opens_in_seconds: int = 0
    ask_again_seconds: int = ASK_SOONEST_SECONDS


@dataclass(frozen=True)
class RoomOverview:
    """The organizer's view of a room."""

    event_id: uuid.UUID
    enabled: bool
    auto: bool
    auto_started: bool
    rate_per_minute: int
    opens_at: datetime | None
    waiting: int
    admitted_total: int
    drain_seconds: int


def estimated_wait(position: int, *, rate_per_minute: int, opens_at: datetime, now: datetime) -> int:
    """Seconds until the customer at `position` is let in at `rate_per_minute` (after the sale
    opens, when it has not yet)."""
    before_open = max(0.0, (opens_at - now).total_seconds())
    return int(before_open + math.ceil(position * 60 / max(1, rate_per_minute)))


def ask_again_seconds(turn_in_seconds: int) -> int:
    """How soon a queue page (or any client) should ask for its place again: a quarter of the
    wait for its turn (so the turn is seen at most a quarter late), between ASK_SOONEST_SECONDS
    and ASK_LATEST_SECONDS, and never so seldom that the place lapses between two asks (a third
    of the grace period). Asking is the queue's main cost: customers far back learn their
    position less often and lose nothing. The time until the opening does not count: an
    opening moved earlier is seen as soon as the customer's own place would be."""
    latest = min(ASK_LATEST_SECONDS, get_settings().waiting_room_grace_seconds // 3)
    return max(ASK_SOONEST_SECONDS, min(latest, turn_in_seconds // 4))


def _on_sale_at(db: Session, event_id: uuid.UUID, now: datetime) -> datetime:
    """When the sale opens: the earliest future sale start of the event's active ticket types,
    else now."""
    starts = db.exec(select(TicketType.sale_starts_at).where(
        TicketType.event_id == event_id, TicketType.is_active.is_(True), TicketType.sale_starts_at.is_not(None))).all()
    future = [s for s in starts if s > now]
    return min(future) if future else now


def room_of(db: Session, event_id: uuid.UUID) -> WaitingRoom | None:
    return db.get(WaitingRoom, event_id)


def overview(db: Session, *, room: WaitingRoom | None, event_id: uuid.UUID,
             queue: QueueStore | None = None) -> RoomOverview:
    queue = queue or get_queue()
    rate = room.rate_per_minute if room else get_settings().waiting_room_rate
    waiting = queue.waiting(db, event_id=event_id) if room and room.enabled else 0
    return RoomOverview(event_id=event_id, enabled=bool(room and room.enabled), auto=room.auto if room else True,
                        auto_started=bool(room and room.auto_started), rate_per_minute=rate,
                        opens_at=room.opens_at if room else None, waiting=waiting,
                        admitted_total=room.admitted_total if room else 0,
                        drain_seconds=math.ceil(waiting * 60 / max(1, rate)))


def room_overview(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID,
                  queue: QueueStore | None = None) -> RoomOverview:
    """The room as the organizer sees it: on or off, rate, queue length, admitted so far."""
    event_for_role(db, event_id=event_id, user_id=user_id, roles=MANAGER_ROLES)
    return overview(db, room=room_of(db, event_id), event_id=event_id, queue=queue)


def configure_room(
    *, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, now: datetime, enabled: bool | None = None,
    rate_per_minute: int | None = None, auto: bool | None = None, opens_at: datetime | None = None,
    queue: QueueStore | None = None,
) -> RoomOverview:
    """Switch the room on or off, change its admission rate, allow or forbid the surge rule.

    Switched on, arrivals before `opens_at` (default: the earliest future sale start of the
    event's ticket types, else now) get a random place, later ones join at the back. Switched
    off, the queue is dropped: everyone may buy. 422 `invalid_rate` outside 1..600000,
    `invalid_time` for a time without its offset."""
    event_for_role(db, event_id=event_id, user_id=user_id, roles=MANAGER_ROLES)
    queue = queue or get_queue()
    if rate_per_minute is not None and not 1 <= rate_per_minute <= MAX_RATE_PER_MINUTE:
        raise invalid("invalid_rate", f"Let in between 1 and {MAX_RATE_PER_MINUTE} customers per minute.",
                      field="rate_per_minute")
    if opens_at is not None and opens_at.tzinfo is None:
        raise invalid("invalid_time", "Give the sale's opening time with its offset (e.g. +01:00).", field="opens_at")
    room = _locked_room(db, event_id, now)
    if rate_per_minute is not None:
        room.rate_per_minute = rate_per_minute
    if auto is not None:
        room.auto = auto
    if enabled is True and (not room.enabled or opens_at is not None):
        _switch_on(room, opens_at=opens_at or _on_sale_at(db, event_id, now), now=now, auto_started=False)
    elif enabled is False and room.enabled:
        room.enabled, room.auto_started = False, False
        queue.clear(db, event_id=event_id)
    elif enabled is True:
        room.auto_started = False  # a person has taken over the room the surge opened
    room.updated_at = now
    db.add(room)
    db.flush()
    forget_room_flag(event_id)
    return overview(db, room=room, event_id=event_id, queue=queue)


def lock_room(db: Session, event_id: uuid.UUID, *, nowait: bool = False) -> WaitingRoom | None:
    """The event's room row under its lock (PostgreSQL; SQLite's write transaction already
    holds the database); `busy` when another transaction keeps it past the lock timeout, or at
    once with `nowait`."""
    stmt = select(WaitingRoom).where(WaitingRoom.event_id == event_id).execution_options(populate_existing=True)
    if set_lock_timeout(db):
        stmt = stmt.with_for_update(nowait=nowait)
    try:
        return db.exec(stmt).first()
    except OperationalError as exc:
        if is_lock_error(exc):
            raise busy_error() from exc
        raise


def _locked_room(db: Session, event_id: uuid.UUID, now: datetime) -> WaitingRoom:
    """The event's room row, locked; created (off) on first use."""
    found = lock_room(db, event_id)
    if found is not None:
        return found
    room = WaitingRoom(event_id=event_id, rate_per_minute=get_settings().waiting_room_rate, opens_at=now,
                       paced_at=now, updated_at=now)
    db.add(room)
    db.flush()
    return room


def _switch_on(room: WaitingRoom, *, opens_at: datetime, now: datetime, auto_started: bool) -> None:
    room.enabled, room.auto_started = True, auto_started
    room.opens_at = opens_at
    room.paced_at = max(opens_at, now)  # nobody is let in before the sale opens
    room.updated_at = now


# --- customers ------------------------------------------------------------------------------


def _status(db: Session, *, room: WaitingRoom | RoomFacts, event_id: uuid.UUID, user_id: uuid.UUID, now: datetime,
            queue: QueueStore) -> QueueStatus:
    place = queue.place(db, event_id=event_id, user_id=user_id, now=now)
    opens_in = max(0, math.ceil((room.opens_at - now).total_seconds()))
    if place is None:
        return QueueStatus(state="absent", waiting=queue.waiting(db, event_id=event_id), opens_at=room.opens_at,
                           opens_in_seconds=opens_in)
    if place.admitted_until is not None:
        token = issue_admission(event_id=event_id, user_id=user_id, expires_at=place.admitted_until, now=now)
        return QueueStatus(state="admitted", opens_at=room.opens_at, admission_token=token,
                           admitted_until=place.admitted_until)
    position = place.position or 1
    wait = estimated_wait(position, rate_per_minute=room.rate_per_minute, opens_at=room.opens_at, now=now)
    turn_in = estimated_wait(position, rate_per_minute=room.rate_per_minute, opens_at=now, now=now)  # once open
    return QueueStatus(state="waiting", position=position, waiting=queue.waiting(db, event_id=event_id),
                       opens_at=room.opens_at, wait_seconds=wait, opens_in_seconds=opens_in,
                       ask_again_seconds=ask_again_seconds(turn_in))


def join_queue(*, db: Session, event_id: uuid.UUID, user_id: uuid.UUID, now: datetime,
               queue: QueueStore | None = None) -> QueueStatus:
    """Take a place in the event's queue (or keep the one this account has): a random one
    before the sale opens, the back of the line after. `open` when the room is off."""
    visible_event(db=db, event_id=event_id, user_id=user_id)
    queue = queue or get_queue()
    room = room_of(db, event_id)
    if room is None or not room.enabled:
        return QueueStatus(state="open")
    score = _draw.random() if now < room.opens_at else now.timestamp()
    queue.join(db, event_id=event_id, user_id=user_id, score=score, now=now)
    return _status(db, room=room, event_id=event_id, user_id=user_id, now=now, queue=queue)


@dataclass(frozen=True, slots=True)
class RoomFacts:
    """What a queue page's poll reads of a room (the attribute names of models.WaitingRoom)."""

    enabled: bool
    opens_at: datetime
    rate_per_minute: int


# A published event's room as this process last read it for the queue pages' polls: (read at,
# epoch seconds; the room, None when it has none). Why: thousands of tabs in line each ask every
# few seconds, and the event and room reads were half of the route's own work. At most
# ROOM_FLAG_SECONDS old, as the hold path's copy of the switch (and for the same reasons); a
# process that changes a room forgets it at once; a draft (only staff may see it) is read each time.
_poll_rooms: dict[uuid.UUID, tuple[float, RoomFacts | None]] = {}


def _room_for_poll(db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> RoomFacts | None:
    with _flags_lock:
        known = _poll_rooms.get(event_id)
    if known is not None and 0 <= now.timestamp() - known[0] < ROOM_FLAG_SECONDS:
        return known[1]
    event = visible_event(db=db, event_id=event_id, user_id=user_id)
    room = room_of(db, event_id)
    facts = None if room is None else RoomFacts(room.enabled, room.opens_at, room.rate_per_minute)
    if event.status == "published":
        with _flags_lock:
            if len(_poll_rooms) >= _MAX_FLAGS:
                _poll_rooms.clear()
            _poll_rooms[event_id] = (now.timestamp(), facts)
    return facts


def queue_status(*, db: Session, event_id: uuid.UUID, user_id: uuid.UUID, now: datetime,
                 queue: QueueStore | None = None) -> QueueStatus:
    """The customer's place now; asking keeps the place (a page that stopped asking for the
    grace period, a closed tab, loses it). The event and its room as `_room_for_poll` knows them."""
    queue = queue or get_queue()
    room = _room_for_poll(db, event_id=event_id, user_id=user_id, now=now)
    if room is None or not room.enabled:
        return QueueStatus(state="open")
    queue.touch(db, event_id=event_id, user_id=user_id, now=now)
    return _status(db, room=room, event_id=event_id, user_id=user_id, now=now, queue=queue)


def leave_queue(*, db: Session, event_id: uuid.UUID, user_id: uuid.UUID, queue: QueueStore | None = None) -> None:
    """Give up the place in the queue."""
    (queue or get_queue()).leave(db, event_id=event_id, user_id=user_id)


# --- the hold path ---------------------------------------------------------------------------

_ROOM_ON = "SELECT enabled FROM waiting_rooms WHERE event_id = %s"

# How old this process's knowledge of a room's switch may be when a hold asks. Why a second is
# acceptable: the room paces load, it guards no invariant (capacity is counted under the hold's
# locks whatever the room says), and the surge rule that switches it on itself counts whole
# seconds. A page load of the event reads the switch afresh, and a process that switches a room
# forgets what it knew at once, so only a tab opened before the switch, holding within the
# second, on another process, is answered by the old state.
ROOM_FLAG_SECONDS = 1.0
_MAX_FLAGS = 10_000
_flags: dict[uuid.UUID, tuple[float, bool]] = {}  # event id -> (read at, epoch seconds; on)
_flags_lock = threading.Lock()


def room_is_on(event_id: uuid.UUID) -> bool:
    """Whether holds of this event need an admission, read now: one read (autocommit on
    PostgreSQL)."""
    with autocommit_connection() as raw:
        if raw is not None:
            row = raw.execute(_ROOM_ON, (event_id,), prepare=True).fetchone()
            return bool(row and row[0])
    with session_scope(readonly=True) as db:
        room = room_of(db, event_id)
        return bool(room and room.enabled)


def _read_flag(event_id: uuid.UUID, now: datetime) -> bool:
    on = room_is_on(event_id)
    with _flags_lock:
        if len(_flags) >= _MAX_FLAGS:
            _flags.clear()  # events nobody asked about for a while; each costs one read again
        _flags[event_id] = (now.timestamp(), on)
    return on


def room_needs_admission(event_id: uuid.UUID, *, now: datetime) -> bool:
    """Whether holds of this event need an admission, as this process last read it: at most
    ROOM_FLAG_SECONDS before `now`, else read again. The hold path's question: an event that
    never had a room costs no read per hold."""
    with _flags_lock:
        known = _flags.get(event_id)
    if known is not None and 0 <= now.timestamp() - known[0] < ROOM_FLAG_SECONDS:
        return known[1]
    return _read_flag(event_id, now)


def forget_room_flag(event_id: uuid.UUID) -> None:
    """This process changed the room: the next hold and the next poll read it again."""
    with _flags_lock:
        _flags.pop(event_id, None)
        _poll_rooms.pop(event_id, None)


def require_admission(*, event_id: uuid.UUID, user_id: uuid.UUID, token: str | None, now: datetime) -> None:
    """Before a hold: nothing while the event's room is off (room_needs_admission); else a valid
    admission of this account to this event, refused 403 `admission_required`,
    `admission_invalid`, `admission_wrong_event` or `admission_expired`."""
    if room_needs_admission(event_id, now=now):
        check_admission_token(token, event_id=event_id, user_id=user_id, now=now)


def note_arrival(*, event_id: uuid.UUID, now: datetime, queue: QueueStore | None = None,
                 user_id: uuid.UUID | None = None) -> bool:
    """A customer opens the event's page: count the arrival (count_arrival), and whether the
    room is on, read afresh (and remembered for this process's holds)."""
    count_arrival(event_id=event_id, now=now, queue=queue, user_id=user_id)
    return _read_flag(event_id, now)


def count_arrival(*, event_id: uuid.UUID, now: datetime, queue: QueueStore | None = None,
                  user_id: uuid.UUID | None = None) -> None:
    """Count a customer arriving at the event (a page opened, an API hold, which may come
    without any read before it), once per account within ARRIVAL_MEMORY (a visitor who is not
    signed in counts at every load): past `waiting_room_auto_arrivals` in one second, the room
    switches itself on (unless the organizer forbade it). A failing counter (Redis down) never
    stops a sale."""
    threshold = get_settings().waiting_room_auto_arrivals
    if threshold <= 0:
        return
    try:
        arrivals = (queue or get_queue()).count_arrival(event_id=event_id, now=now, user_id=user_id)
    except ServiceError:  # busy: Redis is down; the room stays as it is
        return
    if arrivals != threshold + 1:  # once per surging second, not once per arrival
        return
    try:
        with session_scope() as db:
            room = _locked_room(db, event_id, now)
            room.last_surge_at = now
            if not room.enabled and room.auto:
                _switch_on(room, opens_at=now, now=now, auto_started=True)
            db.add(room)
    except ServiceError:  # busy: the next surging second tries again
        return
    except IntegrityError:  # no such event (an API hold for an unknown id): it is answered 404
        return
    forget_room_flag(event_id)


def admission_minutes() -> timedelta:
    return timedelta(minutes=get_settings().waiting_room_admission_minutes)


def event_title(*, db: Session, event_id: uuid.UUID) -> str:
    """The title of an event customers may see (the queue page's heading)."""
    return visible_event(db=db, event_id=event_id, user_id=None).title
