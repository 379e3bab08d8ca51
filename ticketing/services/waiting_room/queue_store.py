"""Where an event's queue lives: a Redis sorted set when REDIS_URL is set (any number of app
instances share it), else the database (the embedded default: one process).

A place's score orders the queue (lowest first): a random number below 1 for a customer who
arrived before the sale opened, the arrival's epoch seconds after. One place per account: a
second join keeps the first place. `seen` is the last time the customer's page (or API client)
asked; places not seen for the grace period are dropped when the pacer next admits. Admitted
customers are remembered with the end of their admission, so that their page can get its
token again and a second join does not queue them anew.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

import redis
from sqlalchemy import delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from ticketing.models import WaitingRoomEntry
from ticketing.services.errors import ServiceError
from ticketing.process_wide import ProcessWide

KEY_TTL_SECONDS = 2 * 24 * 3600  # a queue nobody touches for two days is forgotten
# The surge rule counts customers, not requests: an account that opened the event's page (or
# held through the API) within this time has arrived already, and its next page load or hold
# (the click at the opening, after minutes on the page) is not a new arrival.
ARRIVAL_MEMORY = timedelta(hours=1)

# KEYS: the second's counter, the account's "met" key ("" without an account); ARGV: memory
# in seconds. One round trip: count the account once, then the second.
_COUNT_ARRIVAL = """
if KEYS[2] ~= '' and not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  return 0
end
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 5)
return n
"""


@dataclass(frozen=True)
class Place:
    """A customer's standing: `position` (1 = next) while waiting, or `admitted_until`."""

    position: int | None
    admitted_until: datetime | None


class QueueStore(Protocol):
    def join(self, db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, score: float, now: datetime) -> None: ...

    def place(self, db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> Place | None: ...

    def touch(self, db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> None: ...

    def waiting(self, db: Session, *, event_id: uuid.UUID) -> int: ...

    def admit(self, db: Session, *, event_id: uuid.UUID, count: int, until: datetime,
              stale_before: datetime) -> list[uuid.UUID]: ...

    def leave(self, db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID) -> None: ...

    def clear(self, db: Session, *, event_id: uuid.UUID) -> None: ...

    def count_arrival(self, *, event_id: uuid.UUID, now: datetime, user_id: uuid.UUID | None = None) -> int:
        """Count an arrival in `now`'s second and return that second's count; 0 (not counted)
        when the account arrived at this event within ARRIVAL_MEMORY. Without an account, every
        call counts."""
        ...


@contextmanager
def _busy_when_down() -> Iterator[None]:
    """Redis unreachable or timing out: the retryable `busy` (503), like a database outage."""
    try:
        yield
    except (redis.RedisError, OSError) as exc:
        raise ServiceError("busy", "The queue is busy right now; please try again in a moment.") from exc


def _epoch(at: datetime) -> float:
    return at.timestamp()


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


class RedisQueue:
    """Per event: `q` (sorted set user -> score), `seen` (sorted set user -> last seen, for
    dropping the absent in one range), `in` (hash user -> end of admission), `arr:<second>`
    (arrivals counted per second, for the surge rule), `met:<user>` (this account arrived within
    ARRIVAL_MEMORY: not counted again)."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._count = self._client.register_script(_COUNT_ARRIVAL)

    @staticmethod
    def _keys(event_id: uuid.UUID) -> tuple[str, str, str]:
        base = f"tk:wr:{event_id}:"
        return base + "q", base + "seen", base + "in"

    def join(self, db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, score: float, now: datetime) -> None:
        with _busy_when_down():
            q, seen, admitted = self._keys(event_id)
            user = str(user_id)
            until = self._client.hget(admitted, user)
            if until is not None and float(until) > _epoch(now):
                return  # already let in: the same admission, not a new place
            pipe = self._client.pipeline(transaction=True)
            if until is not None:
                pipe.hdel(admitted, user)
            pipe.zadd(q, {user: score}, nx=True)  # one place per account: an existing place stays
            pipe.zadd(seen, {user: _epoch(now)})
            for key in (q, seen, admitted):
                pipe.expire(key, KEY_TTL_SECONDS)
            pipe.execute()

    def place(self, db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> Place | None:
        with _busy_when_down():
            q, _seen, admitted = self._keys(event_id)
            pipe = self._client.pipeline(transaction=False)
            pipe.zrank(q, str(user_id))
            pipe.hget(admitted, str(user_id))
            rank, until = pipe.execute()
            if rank is not None:
                return Place(position=int(rank) + 1, admitted_until=None)
            if until is not None and float(until) > _epoch(now):
                return Place(position=None, admitted_until=_at(float(until)))
            return None

    def touch(self, db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> None:
        with _busy_when_down():
            _q, seen, _admitted = self._keys(event_id)
            self._client.zadd(seen, {str(user_id): _epoch(now)}, xx=True)  # only a place still held

    def waiting(self, db: Session, *, event_id: uuid.UUID) -> int:
        with _busy_when_down():
            return int(self._client.zcard(self._keys(event_id)[0]))

    def admit(self, db: Session, *, event_id: uuid.UUID, count: int, until: datetime,
              stale_before: datetime) -> list[uuid.UUID]:
        with _busy_when_down():
            q, seen, admitted = self._keys(event_id)
            gone = self._client.zrangebyscore(seen, "-inf", f"({_epoch(stale_before)}")
            if gone:
                pipe = self._client.pipeline(transaction=True)
                pipe.zrem(q, *gone)
                pipe.zrem(seen, *gone)
                pipe.execute()
            if count <= 0:
                return []
            first = [user for user, _score in self._client.zpopmin(q, count)]
            if not first:
                return []
            pipe = self._client.pipeline(transaction=True)
            pipe.zrem(seen, *first)
            pipe.hset(admitted, mapping={user: _epoch(until) for user in first})
            pipe.expire(admitted, KEY_TTL_SECONDS)
            pipe.execute()
            return [uuid.UUID(u.decode() if isinstance(u, bytes) else u) for u in first]

    def leave(self, db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID) -> None:
        with _busy_when_down():
            q, seen, _admitted = self._keys(event_id)
            pipe = self._client.pipeline(transaction=True)
            pipe.zrem(q, str(user_id))
            pipe.zrem(seen, str(user_id))
            pipe.execute()

    def clear(self, db: Session, *, event_id: uuid.UUID) -> None:
        with _busy_when_down():
            self._client.delete(*self._keys(event_id))

    def count_arrival(self, *, event_id: uuid.UUID, now: datetime, user_id: uuid.UUID | None = None) -> int:
        with _busy_when_down():
            key = f"tk:wr:{event_id}:arr:{int(_epoch(now))}"
            met = f"tk:wr:{event_id}:met:{user_id}" if user_id is not None else ""
            return int(self._count(keys=[key, met], args=[int(ARRIVAL_MEMORY.total_seconds())]))


class DatabaseQueue:
    """The queue as rows of waiting_room_entries, in the caller's transaction; arrivals are
    counted in this process (the embedded default serves from one process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrivals: Counter[tuple[uuid.UUID, int]] = Counter()
        self._met: dict[tuple[uuid.UUID, uuid.UUID], float] = {}  # (event, account) -> counted at

    @staticmethod
    def _entry(db: Session, event_id: uuid.UUID, user_id: uuid.UUID) -> WaitingRoomEntry | None:
        return db.exec(select(WaitingRoomEntry).where(WaitingRoomEntry.event_id == event_id,
                                                      WaitingRoomEntry.user_id == user_id)).first()

    def join(self, db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, score: float, now: datetime) -> None:
        dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
        db.execute(dialect.insert(WaitingRoomEntry.__table__).values(
            id=uuid.uuid4(), event_id=event_id, user_id=user_id, score=score, joined_at=now, seen_at=now,
        ).on_conflict_do_nothing(index_elements=["event_id", "user_id"]))
        entry = self._entry(db, event_id, user_id)
        if entry is None:
            return
        if entry.admitted_until is not None and entry.admitted_until <= now:
            entry.admitted_until, entry.score, entry.joined_at = None, score, now  # back in line
        entry.seen_at = now
        db.add(entry)
        db.flush()

    def place(self, db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> Place | None:
        entry = self._entry(db, event_id, user_id)
        if entry is None:
            return None
        if entry.admitted_until is not None:
            return Place(None, entry.admitted_until) if entry.admitted_until > now else None
        ahead = db.exec(select(func.count()).select_from(WaitingRoomEntry).where(
            WaitingRoomEntry.event_id == event_id, WaitingRoomEntry.admitted_until.is_(None),
            WaitingRoomEntry.score < entry.score)).one()
        return Place(position=int(ahead) + 1, admitted_until=None)

    def touch(self, db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> None:
        db.execute(update(WaitingRoomEntry).where(
            WaitingRoomEntry.event_id == event_id, WaitingRoomEntry.user_id == user_id,
            WaitingRoomEntry.admitted_until.is_(None)).values(seen_at=now))

    def waiting(self, db: Session, *, event_id: uuid.UUID) -> int:
        return int(db.exec(select(func.count()).select_from(WaitingRoomEntry).where(
            WaitingRoomEntry.event_id == event_id, WaitingRoomEntry.admitted_until.is_(None))).one())

    def admit(self, db: Session, *, event_id: uuid.UUID, count: int, until: datetime,
              stale_before: datetime) -> list[uuid.UUID]:
        db.execute(delete(WaitingRoomEntry).where(
            WaitingRoomEntry.event_id == event_id, WaitingRoomEntry.admitted_until.is_(None),
            WaitingRoomEntry.seen_at < stale_before))
        if count <= 0:
            return []
        rows = db.exec(select(WaitingRoomEntry.id, WaitingRoomEntry.user_id).where(
            WaitingRoomEntry.event_id == event_id, WaitingRoomEntry.admitted_until.is_(None),
        ).order_by(WaitingRoomEntry.score).limit(count)).all()
        if rows:
            db.execute(update(WaitingRoomEntry).where(WaitingRoomEntry.id.in_([r[0] for r in rows]))
                       .values(admitted_until=until))
        return [r[1] for r in rows]

    def leave(self, db: Session, *, event_id: uuid.UUID, user_id: uuid.UUID) -> None:
        db.execute(delete(WaitingRoomEntry).where(WaitingRoomEntry.event_id == event_id,
                                                  WaitingRoomEntry.user_id == user_id,
                                                  WaitingRoomEntry.admitted_until.is_(None)))

    def clear(self, db: Session, *, event_id: uuid.UUID) -> None:
        db.execute(delete(WaitingRoomEntry).where(WaitingRoomEntry.event_id == event_id))

    def count_arrival(self, *, event_id: uuid.UUID, now: datetime, user_id: uuid.UUID | None = None) -> int:
        second = int(_epoch(now))
        with self._lock:
            if user_id is not None:
                memory = ARRIVAL_MEMORY.total_seconds()
                met = self._met.get((event_id, user_id))
                if met is not None and 0 <= second - met < memory:
                    return 0
                if len(self._met) > 100_000:
                    self._met = {k: t for k, t in self._met.items() if second - t < memory}
                self._met[(event_id, user_id)] = second
            if len(self._arrivals) > 10_000:  # old seconds are never read again
                self._arrivals = Counter({k: v for k, v in self._arrivals.items() if k[1] >= second - 5})
            self._arrivals[(event_id, second)] += 1
            return self._arrivals[(event_id, second)]


_queue: ProcessWide[QueueStore] = ProcessWide(redis=RedisQueue, embedded=DatabaseQueue)


def get_queue() -> QueueStore:
    """The process-wide queue store chosen as the bus is (REDIS_URL set -> Redis)."""
    return _queue.get()


def set_queue(queue: QueueStore | None) -> None:
    """Replace the process-wide queue store (tests)."""
    _queue.set(queue)
