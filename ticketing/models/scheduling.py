"""Recurring schedules: a rule that generates one session per occurrence, in a venue room."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from ticketing.models.base import UtcDateTime, new_id, utcnow


class Room(SQLModel, table=True):
    """A bookable space of an organization (a studio, a hall). Two schedules may not use the
    same room at overlapping times."""

    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("organization_id", "name", name="uq_room_org_name"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organizations.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class Schedule(SQLModel, table=True):
    """The rule: on `weekdays` (ISO 1-7, "1234567" = daily) from `starts_on` to `ends_on`, a
    session from `start_time` to `end_time` (wall-clock times in the event's timezone) with
    `capacity` places, sold as a drop-in ticket at `price_minor`."""

    __tablename__ = "schedules"
    __table_args__ = (
        UniqueConstraint("event_id", "name", name="uq_schedule_event_name"),
        CheckConstraint("capacity >= 1", name="ck_schedule_capacity_pos"),
        CheckConstraint("price_minor >= 0", name="ck_schedule_price_nonneg"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    room_id: uuid.UUID | None = Field(default=None, foreign_key="rooms.id", index=True, ondelete="SET NULL")
    name: str = Field(max_length=80)
    weekdays: str = Field(max_length=7)  # ISO weekday digits, ascending
    start_time: str = Field(max_length=5)  # "HH:MM"
    end_time: str = Field(max_length=5)  # "HH:MM"; not after start = ends the next day
    starts_on: date
    ends_on: date
    capacity: int
    price_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class ScheduleOccurrence(SQLModel, table=True):
    """One generated date of a schedule: its session and its drop-in ticket type. Unique per
    (schedule, date), so re-running a rule can never create a date twice."""

    __tablename__ = "schedule_occurrences"
    __table_args__ = (UniqueConstraint("schedule_id", "occurs_on", name="uq_occurrence_schedule_date"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    schedule_id: uuid.UUID = Field(foreign_key="schedules.id", index=True, ondelete="CASCADE")
    occurs_on: date
    session_id: uuid.UUID = Field(foreign_key="sessions.id", unique=True, ondelete="CASCADE")
    ticket_type_id: uuid.UUID | None = Field(default=None, foreign_key="ticket_types.id", ondelete="SET NULL")
    overridden: bool = Field(default=False)  # capacity, price or time changed by hand
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
