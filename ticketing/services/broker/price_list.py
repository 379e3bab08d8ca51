"""The retail price list of an organization's broker events: per ticket type (with the price
levels that sell it), its rule, the cost basis the rule applies to and the final price."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session, select

from ticketing.models import BrokerEvent, Event, PriceLevel, TicketType
from ticketing.services.broker.pricing import RetailPrice, retail_price
from ticketing.services.broker.suppliers import require_manager


@dataclass(frozen=True)
class PricedType:
    event_id: uuid.UUID
    event_title: str
    ticket_type: TicketType
    levels: list[str]  # price levels of the seat map selling this type ([] for general admission)
    price: RetailPrice


def retail_price_list(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID) -> list[PricedType]:
    """Every ticket type of the organization's broker events, by event then type (owner/organizer)."""
    require_manager(db, user_id=user_id, organization_id=organization_id)
    events = db.exec(select(Event).join(BrokerEvent, BrokerEvent.event_id == Event.id)
                     .where(Event.organization_id == organization_id, Event.status != "cancelled")
                     .order_by(Event.title)).all()
    out: list[PricedType] = []
    for event in events:
        levels: dict[uuid.UUID, list[str]] = {}
        for type_id, name in db.exec(select(PriceLevel.ticket_type_id, PriceLevel.name)
                                     .where(PriceLevel.event_id == event.id).order_by(PriceLevel.name)).all():
            levels.setdefault(type_id, []).append(name)
        for ticket_type in db.exec(select(TicketType).where(TicketType.event_id == event.id)
                                   .order_by(TicketType.sort_order, TicketType.name)).all():
            out.append(PricedType(event_id=event.id, event_title=event.title, ticket_type=ticket_type,
                                  levels=levels.get(ticket_type.id, []), price=retail_price(db, ticket_type)))
    return out
