"""Whether an event is in broker mode, and which of its ticket types sell seat by seat.

A leaf module (models only): the catalog and seating services ask it without importing the rest
of broker mode, which imports them.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from ticketing.models import BrokerEvent, PriceLevel


def is_broker_event(db: Session, event_id: uuid.UUID) -> bool:
    return db.get(BrokerEvent, event_id) is not None


def seated_ticket_type_ids(db: Session, event_id: uuid.UUID) -> set[uuid.UUID]:
    """Ticket types sold seat by seat (through a price level); the others are general admission."""
    return set(db.exec(select(PriceLevel.ticket_type_id).where(PriceLevel.event_id == event_id)).all())
