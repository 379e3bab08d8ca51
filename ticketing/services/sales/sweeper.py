"""Tidying expired holds and orders. Never needed for correctness: expired claims already stop
counting at their expiry. It deletes them, marks old holds released and overdue orders expired,
bumps the affected events' versions and says what changed so live clients can be told."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, or_
from sqlmodel import Session, select

from ticketing.models import Event, EventSession, Hold, HoldStatus, PlaceClaim, TicketType
from ticketing.services.promotions import redemptions
from ticketing.services.sales import usage
from ticketing.services.sales.orders import RETAKE_GRACE, expire_orders
from ticketing.services.sales.places import bump_version, lock_fresh
from ticketing.services.seating.seat_claims import tidy_expired_seats


@dataclass
class SweepResult:
    """What one sweep changed, for the live-updates publisher."""

    released_hold_ids: list[uuid.UUID] = field(default_factory=list)
    expired_order_ids: list[uuid.UUID] = field(default_factory=list)
    deleted_claims: int = 0
    deleted_redemptions: int = 0
    # event id -> new version, for every event whose places or holds changed
    event_versions: dict[uuid.UUID, int] = field(default_factory=dict)
    # event id -> sessions whose expired claims were removed (their free places just grew)
    session_ids: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.event_versions)


def sweep(*, db: Session, now: datetime) -> SweepResult:
    """One tidy-up pass at `now`. A lock timeout raises `busy`: just sweep again later."""
    result = SweepResult()
    touched: set[uuid.UUID] = set()

    # Expired claims (of holds and pending orders alike) no longer count: drop them. Their
    # sessions and quotas are locked first, the order every use case follows, so this never
    # deadlocks with a checkout deleting its own claims; the locks also put those sessions'
    # fresh figures into the live-update delta.
    gone = db.exec(
        select(PlaceClaim.event_id, PlaceClaim.session_id, PlaceClaim.ticket_type_id)
        .where(PlaceClaim.expires_at <= now)
    ).all()
    if gone:
        session_ids = {s for _, s, _ in gone if s is not None}
        type_ids = {t for _, _, t in gone if t is not None}
        lock_fresh(db, EventSession, session_ids)
        lock_fresh(db, TicketType, type_ids)
        deleted = db.exec(
            delete(PlaceClaim).where(
                PlaceClaim.expires_at <= now,
                or_(PlaceClaim.session_id.in_(session_ids), PlaceClaim.ticket_type_id.in_(type_ids)),
            )
        )
        result.deleted_claims = deleted.rowcount or 0
        usage.forget_usage(db)
        for event_id, session_id, _ in gone:
            touched.add(event_id)
            if session_id is not None:
                result.session_ids.setdefault(event_id, set()).add(session_id)

    # Holds past the re-take grace can never be checked out again: mark them released. Holds
    # locked by a running checkout are skipped (it decides their fate).
    stale = db.exec(
        select(Hold).where(Hold.status == HoldStatus.active.value, Hold.expires_at <= now - RETAKE_GRACE)
        .order_by(Hold.id).with_for_update(skip_locked=True).execution_options(populate_existing=True)
    ).all()
    for hold in stale:
        hold.status = HoldStatus.released.value
        db.add(hold)
        result.released_hold_ids.append(hold.id)
        touched.add(hold.event_id)
    touched |= tidy_expired_seats(db=db, now=now)  # seats of expired holds and orders, for live maps
    # Lapsed uses of promo codes, after the places' locks (the lock order of every sale).
    result.deleted_redemptions = redemptions.reclaim_expired(db, now=now)
    db.flush()

    expired = expire_orders(db=db, now=now)  # bumps the versions of its own events
    result.expired_order_ids = [o.id for o in expired]
    for event_id in sorted(touched - {o.event_id for o in expired}):
        bump_version(db, event_id)
    changed = touched | {o.event_id for o in expired}
    if changed:
        result.event_versions = dict(
            db.exec(select(Event.id, Event.version).where(Event.id.in_(sorted(changed)))).all()
        )
    return result
