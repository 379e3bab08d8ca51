"""Waiting lists: customers queued per sold-out ticket type, and the offers made to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

from sqlalchemy import CheckConstraint, Column, Index, text
from sqlmodel import Field, SQLModel

from ticketing.models.base import UtcDateTime, new_id, utcnow


class EntryStatus(str, Enum):
    waiting = "waiting"
    offered = "offered"  # a hold was made for them (hold_id), until offer_expires_at
    bought = "bought"  # the offer's hold became an order
    lapsed = "lapsed"  # the offer ran out or was released: the places passed on
    left = "left"  # the customer left the list
    closed = "closed"  # the organizer closed the list while they waited


LIVE_STATUSES = (EntryStatus.waiting.value, EntryStatus.offered.value)


class WaitlistEntry(SQLModel, table=True):
    """One customer's place in a ticket type's waiting list. Position = order of created_at
    among the live (waiting or offered) entries of the ticket type."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_waitlist_quantity_pos"),
        # One live entry per customer and ticket type, refused by the database itself.
        Index("uq_waitlist_one_live", "user_id", "ticket_type_id", unique=True,
              postgresql_where=text("status IN ('waiting', 'offered')"),
              sqlite_where=text("status IN ('waiting', 'offered')")),
        # The hold path's question "is anyone waiting for these types?" on a tiny index.
        Index("ix_waitlist_waiting", "ticket_type_id", "created_at",
              postgresql_where=text("status = 'waiting'"), sqlite_where=text("status = 'waiting'")),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    ticket_type_id: uuid.UUID = Field(foreign_key="ticket_types.id", ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    quantity: int
    status: str = Field(default=EntryStatus.waiting.value, max_length=16)
    hold_id: uuid.UUID | None = Field(default=None, foreign_key="holds.id", ondelete="SET NULL")
    offer_expires_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    offers: int = Field(default=0)  # offers made to this entry (manual ones included)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class WaitlistClosure(SQLModel, table=True):
    """A ticket type whose waiting list the organizer closed: nobody joins it any more."""

    __tablename__ = "waitlist_closures"

    ticket_type_id: uuid.UUID = Field(foreign_key="ticket_types.id", primary_key=True, ondelete="CASCADE")
    closed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
