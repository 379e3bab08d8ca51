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
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, or_, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from ticketing.db import is_lock_error, lock_rows
from ticketing.models import (
    EventSession,
    Order,
    OrderItem,
    OrderStatus,
    PlaceClaim,
    Ticket,
    TicketStatus,
    TicketType,
    TicketTypeSession,
    User,
)
from ticketing.services import usage
from ticketing.services.errors import ServiceError
from ticketing.settings import get_settings

T = TypeVar("T")

# A session cancelled by the organizer offers no places at all.
CANCELLED_SESSION = "cancelled"


def lock_fresh(db: Session, model: type[T], ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, T]:
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
    return {row.id: row for row in lock_rows(db, model, sorted(wanted))}


def lock_user(db: Session, user_id: uuid.UUID) -> None:
    """Serialize one user's purchases for the rules that read their own holds and tickets.

    FOR NO KEY UPDATE, not FOR UPDATE: inserting the user's order in a concurrent checkout
    takes a key-share lock on the user row, which FOR UPDATE would block into a deadlock.
    """
    stmt = select(User.id).where(User.id == user_id)
    if db.get_bind().dialect.name == "postgresql":
        db.exec(text(f"SET LOCAL lock_timeout = '{int(get_settings().lock_timeout_ms)}ms'"))
        stmt = stmt.with_for_update(key_share=True)
    try:
        db.exec(stmt).first()
    except OperationalError as exc:
        if is_lock_error(exc):
            raise ServiceError("busy", "The system is busy right now; please try again.") from exc
        raise


def bump_version(db: Session, event_id: uuid.UUID) -> int:
    """usage.bump_event_version: the event's version +1 and the live-update delta, call it last."""
    return usage.bump_event_version(db=db, event_id=event_id)


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
    type_used = usage.ticket_type_usage(db=db, ticket_types=[types[t] for t in quantities], now=now)
    for type_id in sorted(quantities):
        left = quota_left(types[type_id], type_used[type_id])
        if left is not None and quantities[type_id] > left:
            raise ServiceError(
                error_code or "quota_reached",
                f"Only {left} more '{types[type_id].name}' ticket(s) can be sold.",
                ticket_type_id=type_id,
                available=left,
            )
    need = session_demand(quantities, sessions_of)
    session_used = usage.session_usage(db=db, sessions=[sessions[s] for s in need], now=now)
    for session_id in sorted(need):
        left = places_left(sessions[session_id], session_used[session_id])
        if need[session_id] > left:
            raise ServiceError(
                error_code or "insufficient_capacity",
                f"'{sessions[session_id].name}' has only {left} place(s) left.",
                session_id=session_id,
                available=left,
            )


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
    owner: dict[str, Any] = {"hold_id": hold_id, "order_id": order_id}
    for session_id, qty in sorted(session_demand(quantities, sessions_of).items()):
        db.add(PlaceClaim(event_id=event_id, session_id=session_id, quantity=qty, expires_at=expires_at, **owner))
    for type_id, qty in sorted(quantities.items()):
        if types[type_id].max_quantity is not None:
            db.add(PlaceClaim(event_id=event_id, ticket_type_id=type_id, quantity=qty, expires_at=expires_at, **owner))
    db.flush()


def delete_claims(db: Session, *, hold_id: uuid.UUID | None = None, order_id: uuid.UUID | None = None) -> None:
    """Drop every claim of a hold or an order (bulk delete: a concurrent sweep may race us)."""
    if hold_id is None and order_id is None:
        raise ValueError("delete_claims needs a hold or an order")
    owner = PlaceClaim.hold_id == hold_id if hold_id is not None else PlaceClaim.order_id == order_id
    db.exec(delete(PlaceClaim).where(owner))
    db.flush()


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


def order_item_prices(db: Session, order_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """{order_item_id: unit price in minor units}."""
    rows = db.exec(select(OrderItem.id, OrderItem.unit_price_minor).where(OrderItem.order_id == order_id)).all()
    return {item_id: price for item_id, price in rows}
