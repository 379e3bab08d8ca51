"""Events, sessions (the units of capacity), ticket types (bundles of sessions)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

from sqlalchemy import BigInteger, CheckConstraint, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ticketing.models.base import UtcDateTime, new_id, utcnow


class EventStatus(str, Enum):
    draft = "draft"
    published = "published"
    cancelled = "cancelled"


class Event(SQLModel, table=True):
    __tablename__ = "events"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organizations.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    location: str = Field(default="", max_length=200)
    category: str = Field(default="", max_length=60)
    timezone: str = Field(default="UTC", max_length=64)
    status: str = Field(default=EventStatus.draft.value, max_length=16, index=True)
    # Settings
    hold_minutes: int = Field(default=15)
    payment_minutes: int = Field(default=15)
    # How long a waiting-list offer (a hold made for the first in line) lasts.
    offer_minutes: int = Field(default=30, sa_column_kwargs={"server_default": "30"})
    max_tickets_per_order: int = Field(default=10)
    one_ticket_per_attendee: bool = Field(default=False)
    # Ask a name per ticket at checkout: "auto" (when the event has several sessions or seats),
    # "on" or "off".
    attendee_names: str = Field(default="auto", max_length=8, sa_column_kwargs={"server_default": "auto"})
    allow_cancellation: bool = Field(default=True)
    cancellation_deadline_hours: int = Field(default=24)  # before the ticket's first session
    cancellation_fee_percent: int = Field(default=0)  # of the ticket price, 0-100
    # File name of the cover image in the app's upload storage ("" = none).
    cover_image: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})
    # Bumped (UPDATE ... SET version = version + 1) by every committed change to the event's
    # availability, in the same transaction: live clients detect gaps with it.
    version: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class EventSession(SQLModel, table=True):
    """A unit of capacity. `sold` counts confirmed places; live holds and pending orders are
    counted from place claims, so expiry needs no job.

    `claimed_held` / `claimed_pending` are the sums of the session's existing claims, expired
    or not, kept by database triggers on place_claims (migration 0009): never written here."""

    __tablename__ = "sessions"
    __table_args__ = (
        UniqueConstraint("event_id", "name", name="uq_session_event_name"),
        CheckConstraint("capacity >= 0", name="ck_session_capacity_nonneg"),
        CheckConstraint("sold >= 0 AND sold <= capacity", name="ck_session_sold_within_capacity"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    starts_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    capacity: int
    sold: int = Field(default=0)
    claimed_held: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    claimed_pending: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    status: str = Field(default="scheduled", max_length=16)  # scheduled | cancelled
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class SessionPrerequisite(SQLModel, table=True):
    """Attending `session_id` requires attending `prerequisite_session_id` too."""

    __tablename__ = "session_prerequisites"

    session_id: uuid.UUID = Field(foreign_key="sessions.id", primary_key=True, ondelete="CASCADE")
    prerequisite_session_id: uuid.UUID = Field(foreign_key="sessions.id", primary_key=True, ondelete="CASCADE")


class TicketType(SQLModel, table=True):
    __tablename__ = "ticket_types"
    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="ck_ticket_type_price_nonneg"),
        CheckConstraint("sold >= 0", name="ck_ticket_type_sold_nonneg"),
        CheckConstraint("max_quantity IS NULL OR sold <= max_quantity", name="ck_ticket_type_sold_within_quota"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    description: str = Field(default="", max_length=1000)
    price_minor: int = Field(sa_column=Column(BigInteger, nullable=False))  # minor units of `currency`
    currency: str = Field(max_length=3)
    max_quantity: int | None = None  # quota over the whole sale; None = only sessions limit
    sold: int = Field(default=0)  # confirmed units
    # Kept by database triggers (migration 0009), never written here: the sums of the type's
    # existing quota claims, and a number that changes with anything a sale is decided on.
    claimed_held: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    claimed_pending: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    sale_starts_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    sale_ends_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    min_per_order: int = Field(default=1)
    max_per_order: int | None = None
    is_active: bool = Field(default=True)
    sort_order: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class TicketTypeSession(SQLModel, table=True):
    """Inclusion: one unit of the ticket type takes one place in this session."""

    __tablename__ = "ticket_type_sessions"

    ticket_type_id: uuid.UUID = Field(foreign_key="ticket_types.id", primary_key=True, ondelete="CASCADE")
    session_id: uuid.UUID = Field(foreign_key="sessions.id", primary_key=True, index=True, ondelete="CASCADE")
