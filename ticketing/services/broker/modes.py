"""Which events are in broker mode, and turning an event into one.

An event in broker mode sells only what purchase orders made owned inventory: its seats start
`not_owned` (a seated session's capacity is then 0) and each general-admission ticket type's
quota is exactly the places bought and not returned (0 at first). The sale path needs no change:
it already sells only owned seats and never past a quota, under its own locks.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, select

from ticketing.models import BrokerEvent, EventSeat, EventSession, Order, Ownership, SeatedSession, TicketType
from ticketing.services import live_changes
from ticketing.services.broker.flags import seated_ticket_type_ids
from ticketing.services.catalog.catalog_common import ensure_not_cancelled, event_for_role
from ticketing.services.errors import ServiceError
from ticketing.services.sales import usage
from ticketing.services.sales.places import lock_fresh


def enable_broker_mode(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, now: datetime) -> BrokerEvent:
    """Put an event that has sold nothing into broker mode (owner/organizer); idempotent.

    409 `event_has_sales` once anything was held, ordered or sold: inventory that was sold as the
    organizer's own cannot become bought inventory afterwards.
    """
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    ensure_not_cancelled(event)
    existing = db.get(BrokerEvent, event.id)
    if existing is not None:
        return existing
    session_ids = list(db.exec(select(EventSession.id).where(EventSession.event_id == event.id)).all())
    sessions = lock_fresh(db, EventSession, session_ids)
    types = lock_fresh(db, TicketType, db.exec(select(TicketType.id).where(TicketType.event_id == event.id)).all())
    used = usage.session_usage(db=db, sessions=list(sessions.values()), now=now)
    ordered = db.exec(select(func.count()).select_from(Order).where(Order.event_id == event.id)).one()
    if ordered or any(u.taken for u in used.values()):
        raise ServiceError("event_has_sales", "This event has already sold or held tickets; broker mode must be "
                           "chosen before the first sale.")
    seated = set(db.exec(select(SeatedSession.session_id).where(SeatedSession.event_id == event.id)).all())
    if seated:
        db.exec(update(EventSeat).where(EventSeat.session_id.in_(sorted(seated)))
                .values(ownership=Ownership.not_owned.value))
        for session_id in seated:
            sessions[session_id].capacity = 0
            db.add(sessions[session_id])
    seated_types = seated_ticket_type_ids(db, event.id)
    for ticket_type in types.values():
        if ticket_type.id not in seated_types:
            ticket_type.max_quantity = 0
            db.add(ticket_type)
    row = BrokerEvent(event_id=event.id, enabled_at=now)
    db.add(row)
    db.flush()
    live_changes.bump_event_version(db=db, event_id=event.id, structure=True)
    return row
