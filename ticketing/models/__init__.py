"""SQLModel tables only. Importing this package registers every table on SQLModel.metadata."""

from ticketing.models.accounts import Membership, Organization, Role, User
from ticketing.models.catalog import (
    Event,
    EventSession,
    EventStatus,
    SessionPrerequisite,
    TicketType,
    TicketTypeSession,
)
from ticketing.models.scheduling import Room, Schedule, ScheduleOccurrence
from ticketing.models.sales import (
    Hold,
    HoldItem,
    HoldStatus,
    IdempotencyRecord,
    Order,
    OrderItem,
    OrderNumberCounter,
    OrderStatus,
    PlaceClaim,
    Ticket,
    TicketStatus,
)

__all__ = [
    "Event", "EventSession", "EventStatus", "Hold", "HoldItem", "HoldStatus", "IdempotencyRecord",
    "Membership", "Order", "OrderItem", "OrderNumberCounter", "OrderStatus", "Organization",
    "PlaceClaim", "Role", "Room", "Schedule", "ScheduleOccurrence", "SessionPrerequisite", "Ticket",
    "TicketStatus", "TicketType", "TicketTypeSession", "User",
]
