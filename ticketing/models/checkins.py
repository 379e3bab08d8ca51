"""Door check-in: admissions, the log of every scan, and conflicts found when offline scans sync."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ticketing.models.base import UtcDateTime, new_id, utcnow


class CheckIn(SQLModel, table=True):
    """One admission of a ticket to a session: at most one per (ticket, session), whatever the
    number of gates (the unique constraint is the last word; admission also locks the ticket)."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("ticket_id", "session_id", name="uq_checkin_ticket_session"),
        Index("ix_checkins_event_session", "event_id", "session_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="events.id", ondelete="CASCADE")
    session_id: uuid.UUID = Field(foreign_key="sessions.id", ondelete="CASCADE")
    ticket_id: uuid.UUID = Field(foreign_key="tickets.id", ondelete="CASCADE")
    scan_id: uuid.UUID | None = Field(default=None)  # the scan that admitted (no FK: scans are a log)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    gate: str = Field(default="", max_length=60)
    offline: bool = Field(default=False)  # decided by a device without the server, synced later
    checked_in_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Scan(SQLModel, table=True):
    """Every scan at the door with the answer it got (green or red): the history list, and the
    record that replays the first answer when a device re-sends the same nonce."""

    __tablename__ = "scans"
    __table_args__ = (
        UniqueConstraint("nonce", "event_id", name="uq_scan_nonce_event"),  # nonce first: see migration 0008
        Index("ix_scans_event_created", "event_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="events.id", ondelete="CASCADE")
    nonce: str | None = Field(default=None, max_length=100)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    gate: str = Field(default="", max_length=60)
    method: str = Field(default="code", max_length=16)  # code | search
    # Only a ticket of this event is linked: a foreign ticket's id stays out of this event's log.
    ticket_id: uuid.UUID | None = Field(default=None, foreign_key="tickets.id", ondelete="SET NULL")
    # No foreign key on purpose: its key-share lock on the session would wait behind a payment
    # confirmation holding the session, which in turn waits for the ticket this scan has locked.
    session_id: uuid.UUID | None = Field(default=None)
    result: str = Field(max_length=32)  # admitted | a refusal code
    status: int  # the HTTP status of the answer
    message: str = Field(default="", max_length=300)
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    offline: bool = Field(default=False)
    scanned_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class CheckInConflict(SQLModel, table=True):
    """An offline gate let someone in that the server would not have: the ticket was admitted
    at another gate too (`duplicate`), or it was cancelled, revoked, unpaid, ... (the refusal code).
    The organizer's dashboard lists these."""

    __tablename__ = "checkin_conflicts"
    __table_args__ = (Index("ix_conflicts_event_created", "event_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="events.id", ondelete="CASCADE")
    session_id: uuid.UUID | None = Field(default=None)  # no foreign key: see Scan.session_id
    ticket_id: uuid.UUID | None = Field(default=None, foreign_key="tickets.id", ondelete="SET NULL")
    kind: str = Field(max_length=32)  # duplicate | cancelled | revoked | not_paid | wrong_session | ...
    holder_name: str = Field(default="", max_length=120)
    # The admission that stands and the one that came second (gate and time of each).
    first_gate: str = Field(default="", max_length=60)
    first_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    second_gate: str = Field(default="", max_length=60)
    second_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
