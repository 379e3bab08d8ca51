"""Offers: when places free up, the oldest waiting entry that fits gets them as a hold made for
that customer, for the event's offer time. An offer that lapses passes to the next entry.

Never offered twice: an offer is made under the lock of its entry, whose status is re-read under
that lock. Never oversold: the offer is a hold on the exact path (holds.hold_offer), counted like
any hold. One offer per transaction (the job loops): each takes the lock order of a sale for
its customer (entry -> user -> hold -> sessions -> ticket types), which two customers in one
transaction would break.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, select

from ticketing.models import EntryStatus, Event, Hold, WaitlistEntry
from ticketing.services.catalog.catalog_common import event_for_role
from ticketing.services.errors import ServiceError, not_found
from ticketing.services.sales.availability import event_availability
from ticketing.services.sales.holds import hold_offer
from ticketing.services.sales.places import lock_fresh
from ticketing.services.sales.waitlist import entry_state

# Entries looked at per offer: the first ones that fit the freed places are near the front.
CANDIDATES = 50


def settle_offers(*, db: Session, now: datetime) -> list[WaitlistEntry]:
    """Record what offers became: bought (their hold is an order) or lapsed (released or
    expired: their places pass on at the next offer). Returns the entries that lapsed."""
    offered = db.exec(
        select(WaitlistEntry).where(WaitlistEntry.status == EntryStatus.offered.value)
        .order_by(WaitlistEntry.id).with_for_update(skip_locked=True).execution_options(populate_existing=True)
    ).all()
    holds = {h.id: h for h in db.exec(select(Hold).where(
        Hold.id.in_([e.hold_id for e in offered if e.hold_id is not None]))).all()} if offered else {}
    lapsed = []
    for entry in offered:
        state = entry_state(entry, holds.get(entry.hold_id) if entry.hold_id else None, now)
        if state != entry.status:
            entry.status = state
            entry.updated_at = now
            db.add(entry)
            if state == EntryStatus.lapsed.value:
                lapsed.append(entry)
    db.flush()
    return lapsed


def waiting_types(db: Session) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(event id, ticket type id) of every list with someone waiting."""
    return list(db.exec(select(WaitlistEntry.event_id, WaitlistEntry.ticket_type_id)
                        .where(WaitlistEntry.status == EntryStatus.waiting.value).distinct()).all())


def offer_next(*, db: Session, event_id: uuid.UUID, ticket_type_id: uuid.UUID, now: datetime
               ) -> WaitlistEntry | None:
    """Offer the freed places of a ticket type to the oldest waiting entry that fits, or None
    when none fits (or the event is not on sale)."""
    available = next((t for t in event_availability(db=db, event_id=event_id, now=now).ticket_types
                      if t.id == ticket_type_id), None)
    if available is None or not available.is_available or available.available <= 0:
        return None
    candidates = db.exec(
        select(WaitlistEntry.id).where(WaitlistEntry.ticket_type_id == ticket_type_id,
                                       WaitlistEntry.status == EntryStatus.waiting.value,
                                       WaitlistEntry.quantity <= available.available)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id).limit(CANDIDATES)).all()
    for entry_id in candidates:
        try:
            with db.begin_nested():  # a refusal for this customer leaves the next one a clean slate
                return _offer(db, entry_id=entry_id, now=now, statuses=(EntryStatus.waiting.value,))
        except ServiceError as exc:
            if exc.code == "busy":
                raise
            continue  # this customer cannot take it now (a hold of their own, places short): next
    return None


def offer_entry(*, db: Session, event_id: uuid.UUID, user_id: uuid.UUID, entry_id: uuid.UUID, now: datetime
                ) -> WaitlistEntry:
    """The organizer's offer to one waiting entry, whatever its place in line. 409
    `not_offerable` for an entry no longer waiting; the hold's own refusals (no places,
    `active_hold_exists`) as they are."""
    event_for_role(db, event_id=event_id, user_id=user_id)
    entry = db.get(WaitlistEntry, entry_id)
    if entry is None or entry.event_id != event_id:
        raise not_found("waiting-list entry")
    return _offer(db, entry_id=entry_id, now=now, statuses=(EntryStatus.waiting.value,))


def _offer(db: Session, *, entry_id: uuid.UUID, now: datetime, statuses: tuple[str, ...]) -> WaitlistEntry:
    entry = lock_fresh(db, WaitlistEntry, [entry_id])[entry_id]
    if entry.status not in statuses:
        raise ServiceError("not_offerable", f"This entry is {entry.status}: it cannot get an offer.")
    event = db.get(Event, entry.event_id)
    hold = hold_offer(db=db, event_id=entry.event_id, user_id=entry.user_id, ticket_type_id=entry.ticket_type_id,
                      quantity=entry.quantity, minutes=event.offer_minutes, now=now)
    entry.status = EntryStatus.offered.value
    entry.hold_id = hold.id
    entry.offer_expires_at = hold.expires_at
    entry.offers += 1
    entry.updated_at = now
    db.add(entry)
    db.flush()
    return entry

