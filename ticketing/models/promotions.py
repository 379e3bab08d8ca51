"""Promo codes and their redemptions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ticketing.models.base import UtcDateTime, new_id, utcnow


class PromoKind(str, Enum):
    percent = "percent"  # value: percent off each ticket in scope, 1-100
    fixed = "fixed"  # value: minor units off each ticket in scope (never below zero)
    free = "free"  # every ticket in scope costs nothing (comp)
    buy_x_get_y = "buy_x_get_y"  # of every buy + get tickets in scope, the `get` cheapest are free


class PromoCode(SQLModel, table=True):
    """A discount customers redeem with a code at hold time. `code_key` is the code in lower
    case: codes match case-insensitively and are unique per event that way."""

    __tablename__ = "promo_codes"
    __table_args__ = (UniqueConstraint("event_id", "code_key", name="uq_promo_code_event_key"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    code: str = Field(max_length=40)
    code_key: str = Field(max_length=40)
    kind: str = Field(max_length=16)
    value: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    currency: str = Field(default="", max_length=3)  # of a fixed amount
    buy_quantity: int | None = None
    get_quantity: int | None = None
    # Scope: None = every ticket type of the event; else these ticket types, and the ticket
    # types of these price levels (seated events). Lists of uuid strings.
    ticket_type_ids: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    price_level_ids: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    starts_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    ends_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    is_active: bool = Field(default=True)
    max_uses: int | None = None
    max_uses_per_customer: int | None = None
    min_tickets: int = Field(default=1)
    batch: str | None = Field(default=None, max_length=40)  # set on bulk-generated codes
    # The number of its redemption rows, expired or not, kept by triggers on promo_redemptions
    # (migration 0014): a hold on the claim counters checks it under the code's lock; never
    # written here. `revision` moves with every change of the code's terms (codes.update_code).
    claimed: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class PromoRedemption(SQLModel, table=True):
    """One use of a code by a hold, then by the order made from it. Like a place claim it
    counts only while expires_at > now: a lapsed hold or unpaid order gives its use back
    without any job; a confirmed order's use never expires (FOREVER)."""

    __tablename__ = "promo_redemptions"
    __table_args__ = (
        Index("ix_redemptions_code_expires", "promo_code_id", "expires_at"),
        Index("ix_redemptions_code_user", "promo_code_id", "user_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    promo_code_id: uuid.UUID = Field(foreign_key="promo_codes.id", ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    hold_id: uuid.UUID | None = Field(default=None, foreign_key="holds.id", index=True, ondelete="CASCADE")
    order_id: uuid.UUID | None = Field(default=None, foreign_key="orders.id", index=True, ondelete="CASCADE")
    discount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
