"""Holds, place claims, orders, tickets and idempotency records."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from ticketing.models.base import UtcDateTime, new_id, utcnow


class HoldStatus(str, Enum):
    active = "active"  # counts while expires_at > now
    released = "released"
    converted = "converted"  # became an order


class OrderStatus(str, Enum):
    pending = "pending"  # keeps its places until payment_due_at
    confirmed = "confirmed"
    cancelled = "cancelled"
    expired = "expired"


class TicketStatus(str, Enum):
    pending = "pending"  # order not paid yet
    valid = "valid"
    cancelled = "cancelled"


class Hold(SQLModel, table=True):
    __tablename__ = "holds"
    __table_args__ = (
        Index("ix_holds_user_event_status", "user_id", "event_id", "status"),
        # One active hold per buyer and event, refused by the database itself.
        Index("uq_holds_one_active", "user_id", "event_id", unique=True,
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'")),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    status: str = Field(default=HoldStatus.active.value, max_length=16)
    currency: str = Field(max_length=3)
    total_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    # Promo code (one per order) and the discount it gave, locked at hold time.
    promo_code_id: uuid.UUID | None = Field(default=None, foreign_key="promo_codes.id")  # codes are never deleted
    discount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0,
                                                            server_default="0"))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class HoldItem(SQLModel, table=True):
    __tablename__ = "hold_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_hold_item_quantity_pos"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    hold_id: uuid.UUID = Field(foreign_key="holds.id", index=True, ondelete="CASCADE")
    ticket_type_id: uuid.UUID = Field(foreign_key="ticket_types.id", ondelete="CASCADE")
    quantity: int
    unit_price_minor: int = Field(sa_column=Column(BigInteger, nullable=False))  # locked at hold time
    # The line's share of the promo discount (the whole line's, not per unit).
    discount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0,
                                                            server_default="0"))


class PlaceClaim(SQLModel, table=True):
    """Places taken by a live hold or a pending order, in a session or a ticket-type quota.

    Exactly one of session_id / ticket_type_id is set; the owner is hold_id (held) or order_id
    (pending). A claim counts only while expires_at > now: expiry needs no job. Confirmed places
    move to the `sold` counters of sessions and ticket types.
    """

    __tablename__ = "place_claims"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_claim_quantity_pos"),
        CheckConstraint("(session_id IS NULL) <> (ticket_type_id IS NULL)", name="ck_claim_one_target"),
        Index("ix_claims_session_expires", "session_id", "expires_at"),
        Index("ix_claims_ticket_type_expires", "ticket_type_id", "expires_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    session_id: uuid.UUID | None = Field(default=None, foreign_key="sessions.id", ondelete="CASCADE")
    ticket_type_id: uuid.UUID | None = Field(default=None, foreign_key="ticket_types.id", ondelete="CASCADE")
    hold_id: uuid.UUID | None = Field(default=None, foreign_key="holds.id", index=True, ondelete="CASCADE")
    order_id: uuid.UUID | None = Field(default=None, foreign_key="orders.id", index=True, ondelete="CASCADE")
    quantity: int
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Order(SQLModel, table=True):
    __tablename__ = "orders"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    number: str = Field(max_length=32, unique=True, index=True)  # ORD-20261121-0001
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    hold_id: uuid.UUID | None = Field(default=None, foreign_key="holds.id", ondelete="SET NULL")
    status: str = Field(default=OrderStatus.pending.value, max_length=16, index=True)
    currency: str = Field(max_length=3)
    total_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    # Promo code (one per order) and the discount it gave, locked at hold time.
    promo_code_id: uuid.UUID | None = Field(default=None, foreign_key="promo_codes.id")  # codes are never deleted
    discount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0,
                                                            server_default="0"))
    payment_due_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    payment_intent_id: str | None = Field(default=None, max_length=255, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class OrderItem(SQLModel, table=True):
    __tablename__ = "order_items"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    ticket_type_id: uuid.UUID = Field(foreign_key="ticket_types.id", ondelete="RESTRICT")
    quantity: int
    unit_price_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The line's share of the promo discount (the whole line's, not per unit).
    discount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0,
                                                            server_default="0"))


class Ticket(SQLModel, table=True):
    __tablename__ = "tickets"
    __table_args__ = (
        # The short code people type at the door is unique within the event.
        Index("uq_tickets_event_short_code", "event_id", "short_code", unique=True),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    order_item_id: uuid.UUID = Field(foreign_key="order_items.id", ondelete="CASCADE")
    ticket_type_id: uuid.UUID = Field(foreign_key="ticket_types.id", index=True, ondelete="RESTRICT")
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    holder_name: str = Field(default="", max_length=120)
    holder_email: str = Field(default="", max_length=254, index=True)
    code: str = Field(max_length=255, unique=True)
    code_version: int = Field(default=1)
    short_code: str | None = Field(default=None, max_length=12)  # typed at the door; new with each code
    status: str = Field(default=TicketStatus.pending.value, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class OrderNumberCounter(SQLModel, table=True):
    """Last order number issued per UTC day (ORD-YYYYMMDD-NNNN)."""

    __tablename__ = "order_number_counters"

    day: str = Field(primary_key=True, max_length=8)
    last: int = Field(default=0)


class IdempotencyRecord(SQLModel, table=True):
    """The first response to a request carrying an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "scope", "key", name="uq_idempotency_user_scope_key"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    scope: str = Field(max_length=64)  # e.g. "hold:<event_id>", "checkout:<hold_id>"
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int
    response: dict = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
