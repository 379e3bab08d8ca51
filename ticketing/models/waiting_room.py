"""The virtual waiting room of an event: its settings and pacing clock, and the queue's places
when the queue lives in the database (the embedded default; with Redis it is a sorted set)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ticketing.models.base import UtcDateTime, new_id, utcnow


class WaitingRoom(SQLModel, table=True):
    """One per event that has had a room. `enabled`: customers queue before they may hold.

    `opens_at`: the on-sale moment; arrivals before it get a random place, later ones join at
    the back. `paced_at`: the pacing clock: admissions are due at `rate_per_minute` from it on,
    and it advances by 60/rate seconds per admission, under this row's lock (services/
    waiting_room/pacing.py), so any number of tickers admit at the one configured rate."""

    __tablename__ = "waiting_rooms"

    event_id: uuid.UUID = Field(primary_key=True, foreign_key="events.id", ondelete="CASCADE")
    enabled: bool = Field(default=False)
    # May the room switch itself on when arrivals per second pass the deployment's threshold?
    auto: bool = Field(default=True)
    auto_started: bool = Field(default=False)  # switched on by the surge rule, not by a person
    rate_per_minute: int = Field(default=3000)
    opens_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    paced_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    last_surge_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    admitted_total: int = Field(default=0)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class WaitingRoomEntry(SQLModel, table=True):
    """A customer's place in an event's queue (database queue store). One per account and event.

    `score` orders the queue: a random number below 1 for arrivals before the sale opened,
    the arrival's epoch seconds after. `admitted_until`: set when let in."""

    __tablename__ = "waiting_room_entries"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id", name="uq_waiting_room_entry"),
        Index("ix_waiting_room_entries_queue", "event_id", "admitted_until", "score"),
        Index("ix_waiting_room_entries_seen", "event_id", "seen_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="events.id", ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    score: float
    joined_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    seen_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    admitted_until: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
