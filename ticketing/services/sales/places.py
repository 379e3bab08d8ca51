"""Shared building blocks of every use case that takes or gives back places.

Locks (always in this order: user -> hold/order -> sessions -> ticket types -> place claims ->
order-number counter -> event), the locked recount of free places, and writing/deleting place
claims. Claims are deleted only while their sessions / ticket types are locked, so the
sweeper (which locks those first) can never deadlock with a checkout deleting its own claims.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, literal_column, null, or_, union_all
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from ticketing.db import insert_rows, is_lock_error, lock_rows, set_lock_timeout
from ticketing.models import (
    EventSession,
    Order,
    OrderStatus,
    PlaceClaim,
    SessionPrerequisite,
    Ticket,
    TicketStatus,
    TicketType,
    TicketTypeSession,
    User,
)
from ticketing.models.base import new_id
from ticketing.services import live_changes
from ticketing.services.errors import ServiceError
from ticketing.services.sales import usage

T = TypeVar("T")

# A session cancelled by the organizer offers no places at all.
CANCELLED_SESSION = "cancelled"


def lock_fresh(db: Session, model: type[T], ids: Iterable[uuid.UUID], *, nowait: bool = False) -> dict[uuid.UUID, T]:
    """Lock rows by id (sorted) and return them by id with values read under the lock.

    Copies already in the session's identity map are expired first: a plain SELECT ... FOR
    UPDATE would otherwise hand back the stale attributes loaded before the lock was taken.
    """
    wanted = set(ids)
    if not wanted:
        return {}
    for row_id in wanted:
        cached = db.identity_map.get(db.identity_key(model, row_id))
        if cached is not None:
            db.expire(cached)
    rows = lock_rows(db, model, sorted(wanted), nowait=True) if nowait else lock_rows(db, model, sorted(wanted))
    return {row.id: row for row in rows}


_READ_USER = select(User.id).where(User.id == bindparam("user_id"))
_LOCK_USER = _READ_USER.with_for_update(key_share=True)


def lock_user(db: Session, user_id: uuid.UUID) -> None:
    """Serialize one user's purchases for the rules that read their own holds and tickets.

    FOR NO KEY UPDATE, not FOR UPDATE: inserting the user's order in a concurrent checkout
    takes a key-share lock on the user row, which FOR UPDATE would block into a deadlock.
    """
    stmt = _LOCK_USER if set_lock_timeout(db) else _READ_USER
    try:
        db.exec(stmt, params={"user_id": user_id}).first()
    except OperationalError as exc:
        if is_lock_error(exc):
            raise ServiceError("busy", "The system is busy right now; please try again.") from exc
        raise


def bump_version(db: Session, event_id: uuid.UUID) -> int:
    """live_changes.bump_event_version: the event's version +1 and the live-update delta, call it last.

    The publisher (and the Redis client it brings) is imported with this module: imported by the
    first sale of a fresh worker, it would load while that sale holds its session locks."""
    return live_changes.bump_event_version(db=db, event_id=event_id)


def sessions_of_types(db: Session, ticket_type_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """{ticket_type_id: [session ids it includes]} in one query."""
    ids = list(set(ticket_type_ids))
    out: dict[uuid.UUID, list[uuid.UUID]] = {tid: [] for tid in ids}
    if not ids:
        return out
    rows = db.exec(
        select(TicketTypeSession.ticket_type_id, TicketTypeSession.session_id).where(
            TicketTypeSession.ticket_type_id.in_(ids)
        )
    ).all()
    for type_id, session_id in rows:
        out[type_id].append(session_id)
    for session_ids in out.values():
        session_ids.sort()
    return out


def session_demand(
    quantities: Mapping[uuid.UUID, int], sessions_of: Mapping[uuid.UUID, Sequence[uuid.UUID]]
) -> dict[uuid.UUID, int]:
    """Places needed per session: one per unit of every ticket type including it."""
    need: dict[uuid.UUID, int] = defaultdict(int)
    for type_id, qty in quantities.items():
        for session_id in sessions_of[type_id]:
            need[session_id] += qty
    return dict(need)


def places_left(session: EventSession, used: usage.Usage) -> int:
    """Free places of a session given its usage (0 when the session is cancelled)."""
    if session.status == CANCELLED_SESSION:
        return 0
    return max(session.capacity - used.taken, 0)


def quota_left(ticket_type: TicketType, used: usage.Usage) -> int | None:
    """Units left in the ticket type's quota, None when it has none."""
    if ticket_type.max_quantity is None:
        return None
    return max(ticket_type.max_quantity - used.taken, 0)


def lock_capacity(
    db: Session,
    *,
    quantities: Mapping[uuid.UUID, int],
    sessions_of: Mapping[uuid.UUID, Sequence[uuid.UUID]],
) -> tuple[dict[uuid.UUID, EventSession], dict[uuid.UUID, TicketType]]:
    """Lock every session the ticket types include, then the ticket types (sorted ids each)."""
    sessions = lock_fresh(db, EventSession, session_demand(quantities, sessions_of).keys())
    types = lock_fresh(db, TicketType, quantities.keys())
    return sessions, types


@dataclass(frozen=True)
class Bundles:
    """Ticket types and their sessions, locked, with the inclusions read under those locks."""

    sessions_of: dict[uuid.UUID, list[uuid.UUID]]
    sessions: dict[uuid.UUID, EventSession]
    types: dict[uuid.UUID, TicketType]
    prerequisites: list[tuple[uuid.UUID, uuid.UUID]]  # (session, its prerequisite) of the included sessions


def lock_bundles(
    db: Session,
    *,
    quantities: Mapping[uuid.UUID, int],
    sessions_of: Mapping[uuid.UUID, Sequence[uuid.UUID]],
    now: datetime | None = None,
) -> Bundles:
    """Lock the sessions the ticket types include, then the types, and re-read the inclusions.

    `sessions_of` was read before any lock, so a concurrent catalog change may have moved a
    type to other sessions meanwhile: counting and claiming the old ones would oversell the
    new. Every writer of inclusions locks the ticket type first, so what is read once the
    types are locked is final. Sessions it adds are locked NOWAIT: waiting for a session
    while holding ticket-type locks would invert the lock order (sessions -> ticket types)
    and could deadlock; if one is taken right now, the caller gets the retryable `busy`.

    The same query brings the included sessions' prerequisites and, given `now`, the usage of
    the locked rows (remembered for check_places and the live-update delta): every statement
    here runs while other buyers of these sessions wait.
    """
    sessions, types = lock_capacity(db, quantities=quantities, sessions_of=sessions_of)
    for type_id in sorted(quantities):
        if type_id not in types:  # deleted meanwhile (with its last session)
            raise ServiceError("not_found", "No such ticket type.", status=404, ticket_type_id=type_id)
    current: dict[uuid.UUID, list[uuid.UUID]] = {tid: [] for tid in quantities}
    prerequisites: set[tuple[uuid.UUID, uuid.UUID]] = set()
    live: dict[uuid.UUID, tuple[int, int]] = {}
    params = {"ids": sorted(quantities), "session_ids": sorted(sessions) if now else [],
              "ticket_type_ids": sorted(types) if now else [], "now": now or datetime.now(timezone.utc)}
    for kind, a, b, c, pending, held in db.exec(_INCLUSIONS_AND_USAGE, params=params).all():
        if kind == "i":
            if b not in current[a]:
                current[a].append(b)
            if c is not None:
                prerequisites.add((b, c))
        else:
            live[a] = (int(pending or 0), int(held or 0))
    for session_ids in current.values():
        session_ids.sort()
    if now is not None:
        usage.remember(db, rows=[*sessions.values(), *types.values()], live=live, now=now)
    added = set(session_demand(quantities, current)) - set(sessions)
    if added:
        sessions.update(lock_fresh(db, EventSession, added, nowait=True))
    return Bundles(sessions_of=current, sessions=sessions, types=types, prerequisites=sorted(prerequisites))


def _usage_rows(kind: str, column_name: str):
    sums = usage.claim_sums(column_name).subquery()
    return select(literal_column(f"'{kind}'"), sums.c.row_id, null(), null(), sums.c.pending, sums.c.held)


# One round trip under the locks: inclusions with their sessions' prerequisites ('i' rows:
# type, session, prerequisite) and the usage of the locked sessions ('s') and ticket types ('t').
_INCLUSIONS_AND_USAGE = union_all(
    select(literal_column("'i'").label("kind"), TicketTypeSession.ticket_type_id, TicketTypeSession.session_id,
           SessionPrerequisite.prerequisite_session_id, literal_column("0"), literal_column("0"))
    .outerjoin(SessionPrerequisite, SessionPrerequisite.session_id == TicketTypeSession.session_id)
    .where(TicketTypeSession.ticket_type_id.in_(bindparam("ids", expanding=True))),
    _usage_rows("s", "session_id"),
    _usage_rows("t", "ticket_type_id"),
)


def check_places(
    db: Session,
    *,
    sessions: Mapping[uuid.UUID, EventSession],
    types: Mapping[uuid.UUID, TicketType],
    quantities: Mapping[uuid.UUID, int],
    sessions_of: Mapping[uuid.UUID, Sequence[uuid.UUID]],
    now: datetime,
    error_code: str | None = None,
) -> None:
    """Recount under the caller's locks and refuse when quota or places are short.

    The caller's own claims must already be gone. Raises 409 `quota_reached` or
    `insufficient_capacity` (or `error_code` for both, e.g. `hold_expired`) with the short
    `ticket_type_id` / `session_id` and what is `available`.
    """
    need = session_demand(quantities, sessions_of)
    session_used, type_used = usage.locked_usage(
        db=db, sessions=[sessions[s] for s in need], ticket_types=[types[t] for t in quantities], now=now
    )
    for type_id in sorted(quantities):
        left = quota_left(types[type_id], type_used[type_id])
        if left is not None and quantities[type_id] > left:
            raise quota_refusal(type_id, types[type_id].name, left, error_code)
    for session_id in sorted(need):
        left = places_left(sessions[session_id], session_used[session_id])
        if need[session_id] > left:
            raise places_refusal(session_id, sessions[session_id].name, left, error_code)


def quota_refusal(type_id: uuid.UUID, name: str, left: int, error_code: str | None = None) -> ServiceError:
    """409 `quota_reached`: the ticket type's quota has fewer than asked `left`."""
    words = (f"No more '{name}' tickets can be sold." if left == 0 else
             f"Only {left} more '{name}' ticket{'' if left == 1 else 's'} can be sold.")
    return ServiceError(error_code or "quota_reached", words, ticket_type_id=type_id, available=left)


def places_refusal(session_id: uuid.UUID, name: str, left: int, error_code: str | None = None) -> ServiceError:
    """409 `insufficient_capacity`: the session has fewer places than asked `left`."""
    words = (f"'{name}' has no places left." if left == 0 else
             f"'{name}' has only {left} place{'' if left == 1 else 's'} left.")
    return ServiceError(error_code or "insufficient_capacity", words, session_id=session_id, available=left)


def write_claims(
    db: Session,
    *,
    event_id: uuid.UUID,
    quantities: Mapping[uuid.UUID, int],
    sessions_of: Mapping[uuid.UUID, Sequence[uuid.UUID]],
    types: Mapping[uuid.UUID, TicketType],
    expires_at: datetime,
    hold_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
) -> None:
    """One claim per session, and one per quota-limited ticket type, owned by a hold or order."""
    insert_rows(db, [(PlaceClaim, claim_rows(db, event_id=event_id, quantities=quantities, sessions_of=sessions_of,
                                             types=types, expires_at=expires_at, hold_id=hold_id,
                                             order_id=order_id))])


def claim_rows(
    db: Session | None,
    *,
    event_id: uuid.UUID,
    quantities: Mapping[uuid.UUID, int],
    sessions_of: Mapping[uuid.UUID, Sequence[uuid.UUID]],
    types: Mapping[uuid.UUID, TicketType],
    expires_at: datetime,
    hold_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """The place_claims rows of write_claims, for the caller to insert with its other rows;
    the usage the transaction counted (for its live-update delta) already includes them.
    `db` None: written outside an ORM transaction, so there is no such usage to keep."""
    base: dict[str, Any] = {"event_id": event_id, "session_id": None, "ticket_type_id": None, "hold_id": hold_id,
                            "order_id": order_id, "expires_at": expires_at}
    pending = order_id is not None
    rows = []
    for session_id, qty in sorted(session_demand(quantities, sessions_of).items()):
        rows.append({**base, "id": new_id(), "session_id": session_id, "quantity": qty})
        if db is not None:
            usage.note_claims(db, table=EventSession.__tablename__, row_id=session_id, quantity=qty,
                              pending=pending, expires_at=expires_at)
    for type_id, qty in sorted(quantities.items()):
        if types[type_id].max_quantity is not None:
            rows.append({**base, "id": new_id(), "ticket_type_id": type_id, "quantity": qty})
            if db is not None:
                usage.note_claims(db, table=TicketType.__tablename__, row_id=type_id, quantity=qty,
                                  pending=pending, expires_at=expires_at)
    return rows


def delete_claims(db: Session, *, hold_id: uuid.UUID | None = None, order_id: uuid.UUID | None = None) -> None:
    """Drop every claim of a hold or an order (bulk delete: a concurrent sweep may race us)."""
    if hold_id is None and order_id is None:
        raise ValueError("delete_claims needs a hold or an order")
    owner = PlaceClaim.hold_id == hold_id if hold_id is not None else PlaceClaim.order_id == order_id
    gone = db.exec(delete(PlaceClaim).where(owner).returning(
        PlaceClaim.session_id, PlaceClaim.ticket_type_id, PlaceClaim.quantity, PlaceClaim.order_id,
        PlaceClaim.expires_at)).all()
    for session_id, type_id, quantity, claim_order_id, expires_at in gone:
        # Figures this transaction counted under its locks stay exact without a recount.
        table, row_id = (EventSession.__tablename__, session_id) if session_id else (TicketType.__tablename__, type_id)
        usage.note_claims(db, table=table, row_id=row_id, quantity=-quantity, pending=claim_order_id is not None,
                          expires_at=expires_at)
    db.flush()


def reclaim_expired(db: Session, *, session_ids: Sequence[uuid.UUID], type_ids: Sequence[uuid.UUID],
                    now: datetime) -> None:
    """Delete the expired claims of these locked sessions and ticket types: the sweeper's work,
    done at once when the claim counters (which count them until deleted) refuse a sale. They
    no longer counted in any recount, so the usage ledger stays exact."""
    db.exec(delete(PlaceClaim).where(
        PlaceClaim.expires_at <= now,
        or_(PlaceClaim.session_id.in_(list(session_ids)), PlaceClaim.ticket_type_id.in_(list(type_ids))),
    ))


def live_session_ids(db: Session, *, user_id: uuid.UUID, event_id: uuid.UUID, now: datetime) -> dict[uuid.UUID, int]:
    """{session_id: units} the user holds through live tickets of the event.

    Live = valid (confirmed), or pending in a pending order still within its payment deadline.
    """
    rows = db.exec(
        select(TicketTypeSession.session_id, Ticket.id)
        .join(Ticket, Ticket.ticket_type_id == TicketTypeSession.ticket_type_id)
        .join(Order, Order.id == Ticket.order_id)
        .where(
            Order.user_id == user_id,
            Order.event_id == event_id,
            or_(
                Ticket.status == TicketStatus.valid.value,
                (Ticket.status == TicketStatus.pending.value)
                & (Order.status == OrderStatus.pending.value)
                & (Order.payment_due_at > now),
            ),
        )
    ).all()
    out: dict[uuid.UUID, int] = defaultdict(int)
    for session_id, _ticket_id in rows:
        out[session_id] += 1
    return dict(out)


def order_quantities(db: Session, order_id: uuid.UUID, *, statuses: Iterable[str]) -> dict[uuid.UUID, int]:
    """{ticket_type_id: units} of the order's tickets in the given statuses."""
    wanted = list(statuses)
    rows = db.exec(
        select(Ticket.ticket_type_id).where(Ticket.order_id == order_id, Ticket.status.in_(wanted))
    ).all()
    out: dict[uuid.UUID, int] = defaultdict(int)
    for type_id in rows:
        out[type_id] += 1
    return dict(out)

