"""Presales: a window in which a block of an event (ticket types, a quota, seats) sells only
to holders of one of its access codes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ticketing.models.base import UtcDateTime, new_id, utcnow


class Presale(SQLModel, table=True):
    """The block is reserved from the presale's creation until `ends_at`: only its access codes
    unlock it, from `starts_at`. Afterwards the unsold block goes on general sale when
    `release_at_end`, else stays closed. Block: `seat_ids` (seated events) when given, else
    `ticket_type_ids`, else every ticket type of the event. `quota`: at most that many tickets
    sold through the presale."""

    __tablename__ = "presales"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    starts_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ticket_type_ids: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # uuid strings
    seat_ids: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # event seat uuid strings
    quota: int | None = None
    release_at_end: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class PresaleCode(SQLModel, table=True):
    """An access code of a presale; `code_key` is the code in lower case (codes match
    case-insensitively and are unique per event, promo codes apart)."""

    __tablename__ = "presale_codes"
    __table_args__ = (UniqueConstraint("event_id", "code_key", name="uq_presale_code_event_key"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    presale_id: uuid.UUID = Field(foreign_key="presales.id", index=True, ondelete="CASCADE")
    event_id: uuid.UUID = Field(foreign_key="events.id", ondelete="CASCADE")
    code: str = Field(max_length=40)
    code_key: str = Field(max_length=40)
    max_uses: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class PresaleUse(SQLModel, table=True):
    """One use of an access code by a hold (then by its order) for `quantity` tickets of the
    block. Counts, like a place claim, only while expires_at > now."""

    __tablename__ = "presale_uses"
    __table_args__ = (Index("ix_presale_uses_presale_expires", "presale_id", "expires_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    presale_id: uuid.UUID = Field(foreign_key="presales.id", ondelete="CASCADE")
    code_id: uuid.UUID = Field(foreign_key="presale_codes.id", index=True, ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    hold_id: uuid.UUID | None = Field(default=None, foreign_key="holds.id", index=True, ondelete="CASCADE")
    order_id: uuid.UUID | None = Field(default=None, foreign_key="orders.id", index=True, ondelete="CASCADE")
    quantity: int
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
