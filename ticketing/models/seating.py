"""Venues and their seats; price levels; seated sessions and the per-session state of each seat.

A seat of a seated session (`EventSeat`) is claimed by at most one thing at a time, and the
database says so: the row has one owner slot (a live hold, or a pending/confirmed ticket) and
check constraints tie each status to exactly the owner it needs. Writers lock the row first
(always under the session's lock), so two buyers can never both move a seat out of `available`.
`HoldSeat` and `TicketSeat` remember which seats a hold asked for and which seat a ticket got,
even after the live claim on the row has expired or moved on.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ticketing.models.base import UtcDateTime, new_id, utcnow


class SeatType(str, Enum):
    standard = "standard"
    wheelchair = "wheelchair"
    companion = "companion"
    vip = "vip"
    restricted_view = "restricted_view"


class SeatStatus(str, Enum):
    available = "available"
    held = "held"  # a customer's live hold (hold_id) or an organizer hold (reason)
    reserved = "reserved"  # a pending order's ticket, until its payment deadline
    sold = "sold"
    blocked = "blocked"  # taken out of sale by the organizer (reason)


class Ownership(str, Enum):
    owned = "owned"
    not_owned = "not_owned"
    returned = "returned"


class HoldReason(str, Enum):
    """Why an organizer holds or blocks seats."""

    artist = "artist"
    promoter = "promoter"
    press = "press"
    house = "house"
    accessibility = "accessibility"


class Venue(SQLModel, table=True):
    __tablename__ = "venues"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organizations.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    # The stage's focal point: best available picks the seats nearest to it.
    stage_x: int = 0
    stage_y: int = 0
    stage_label: str = Field(default="Stage", max_length=40)
    seat_count: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class Seat(SQLModel, table=True):
    """A physical seat. Coordinates in centimetres, y growing away from the stage.

    `row_rank` orders rows of a section front to back; `position` orders seats along a row and
    skips a number across an aisle, so two seats are adjacent iff same section and row and
    positions differ by one. `idx` is the seat's place in the venue's layout order: maps and
    deltas name seats by it.
    """

    __tablename__ = "seats"
    __table_args__ = (
        UniqueConstraint("venue_id", "section", "row", "number", name="uq_seat_label"),
        UniqueConstraint("venue_id", "idx", name="uq_seat_idx"),
        CheckConstraint(
            "seat_type IN ('standard', 'wheelchair', 'companion', 'vip', 'restricted_view')", name="ck_seat_type"
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    venue_id: uuid.UUID = Field(foreign_key="venues.id", index=True, ondelete="CASCADE")
    idx: int
    section: str = Field(max_length=40)
    row: str = Field(max_length=12)
    number: str = Field(max_length=12)
    seat_type: str = Field(default=SeatType.standard.value, max_length=16)
    x: int
    y: int
    row_rank: int
    position: int


class PriceLevel(SQLModel, table=True):
    """A price category of an event's seats; a seat of this level is sold as `ticket_type_id`."""

    __tablename__ = "price_levels"
    __table_args__ = (UniqueConstraint("event_id", "name", name="uq_price_level_event_name"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    ticket_type_id: uuid.UUID = Field(foreign_key="ticket_types.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=60)
    color: str = Field(max_length=7)  # #rrggbb
    sort_order: int = 0


class SeatedSession(SQLModel, table=True):
    """A session sold seat by seat in a venue. Its capacity always equals the number of its seats
    in sale inventory (owned, not blocked, not held by the organizer)."""

    __tablename__ = "seated_sessions"

    session_id: uuid.UUID = Field(foreign_key="sessions.id", primary_key=True, ondelete="CASCADE")
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    venue_id: uuid.UUID = Field(foreign_key="venues.id", index=True, ondelete="RESTRICT")
    # Bumped when what the map draws changes (price levels of seats): clients reload the layout.
    layout_version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class EventSeat(SQLModel, table=True):
    __tablename__ = "event_seats"
    __table_args__ = (
        UniqueConstraint("session_id", "seat_id", name="uq_event_seat_session_seat"),
        UniqueConstraint("session_id", "idx", name="uq_event_seat_session_idx"),
        UniqueConstraint("session_id", "ticket_id", name="uq_event_seat_session_ticket"),
        CheckConstraint("status IN ('available', 'held', 'reserved', 'sold', 'blocked')", name="ck_event_seat_status"),
        CheckConstraint("ownership IN ('owned', 'not_owned', 'returned')", name="ck_event_seat_ownership"),
        # The one-owner rule, per status.
        CheckConstraint(
            "status <> 'held' OR (order_id IS NULL AND ticket_id IS NULL AND ("
            "(hold_id IS NOT NULL AND expires_at IS NOT NULL AND reason IS NULL) OR "
            "(hold_id IS NULL AND expires_at IS NULL AND reason IS NOT NULL)))",
            name="ck_event_seat_held_owner",
        ),
        CheckConstraint(
            "status <> 'reserved' OR (hold_id IS NULL AND order_id IS NOT NULL AND ticket_id IS NOT NULL "
            "AND expires_at IS NOT NULL)",
            name="ck_event_seat_reserved_owner",
        ),
        CheckConstraint(
            "status <> 'sold' OR (hold_id IS NULL AND order_id IS NOT NULL AND ticket_id IS NOT NULL "
            "AND expires_at IS NULL)",
            name="ck_event_seat_sold_owner",
        ),
        CheckConstraint(
            "status NOT IN ('available', 'blocked') OR (hold_id IS NULL AND order_id IS NULL AND ticket_id IS NULL "
            "AND expires_at IS NULL)",
            name="ck_event_seat_free_no_owner",
        ),
        CheckConstraint("status <> 'blocked' OR reason IS NOT NULL", name="ck_event_seat_blocked_reason"),
        # Seats the organizer does not own can never be sold.
        CheckConstraint(
            "ownership = 'owned' OR (hold_id IS NULL AND order_id IS NULL AND ticket_id IS NULL)",
            name="ck_event_seat_sold_only_owned",
        ),
        Index("ix_event_seats_expiring", "status", "expires_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    session_id: uuid.UUID = Field(foreign_key="sessions.id", ondelete="CASCADE")
    seat_id: uuid.UUID = Field(foreign_key="seats.id", ondelete="RESTRICT")
    idx: int  # = Seat.idx, copied so the map's reads need no join
    price_level_id: uuid.UUID = Field(foreign_key="price_levels.id", index=True, ondelete="RESTRICT")
    status: str = Field(default=SeatStatus.available.value, max_length=16)
    ownership: str = Field(default=Ownership.owned.value, max_length=16)
    reason: str | None = Field(default=None, max_length=16)  # organizer hold/block: a HoldReason
    note: str = Field(default="", max_length=200)
    hold_id: uuid.UUID | None = Field(default=None, foreign_key="holds.id", index=True)
    order_id: uuid.UUID | None = Field(default=None, foreign_key="orders.id", index=True)
    ticket_id: uuid.UUID | None = Field(default=None, foreign_key="tickets.id")
    expires_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class HoldSeat(SQLModel, table=True):
    """A seat a hold asked for (kept after the hold expires, so checkout can re-take it)."""

    __tablename__ = "hold_seats"

    hold_id: uuid.UUID = Field(foreign_key="holds.id", primary_key=True, ondelete="CASCADE")
    event_seat_id: uuid.UUID = Field(foreign_key="event_seats.id", primary_key=True, ondelete="CASCADE")


class TicketSeat(SQLModel, table=True):
    """The seat a ticket was issued for in one seated session."""

    __tablename__ = "ticket_seats"
    __table_args__ = (UniqueConstraint("ticket_id", "session_id", name="uq_ticket_seat_session"),)

    ticket_id: uuid.UUID = Field(foreign_key="tickets.id", primary_key=True, ondelete="CASCADE")
    event_seat_id: uuid.UUID = Field(foreign_key="event_seats.id", primary_key=True, index=True,
                                     ondelete="CASCADE")
    session_id: uuid.UUID = Field(foreign_key="sessions.id", ondelete="CASCADE")
