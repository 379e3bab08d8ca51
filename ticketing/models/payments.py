"""Stripe payments of orders: one row per PaymentIntent, refunds, and webhook events seen."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from ticketing.models.base import UtcDateTime, new_id, utcnow


class PaymentStatus(str, Enum):
    """Our copy of a PaymentIntent's state, as Stripe last told us."""

    open = "open"  # waiting for a card (or for the customer's bank)
    failed = "failed"  # last attempt declined; the customer may try another card
    succeeded = "succeeded"
    canceled = "canceled"


class RefundStatus(str, Enum):
    pending = "pending"  # recorded with the change that owes it; Stripe not told yet
    succeeded = "succeeded"
    failed = "failed"  # Stripe refused; needs a person


class RefundReason(str, Enum):
    cancellation = "cancellation"  # tickets cancelled (by the buyer or the organizer)
    late_payment = "late_payment"  # paid after the order expired and its places were gone
    order_cancelled = "order_cancelled"  # paid for an order cancelled meanwhile
    duplicate = "duplicate"  # a second PaymentIntent of an order already paid


class Payment(SQLModel, table=True):
    """A Stripe PaymentIntent created for an order (a new one after a declined card)."""

    __tablename__ = "payments"

    id: str = Field(primary_key=True, max_length=255)  # the PaymentIntent id (pi_...)
    order_id: uuid.UUID = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    attempt: int = Field(default=1)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    status: str = Field(default=PaymentStatus.open.value, max_length=16)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class Refund(SQLModel, table=True):
    """Money owed back on a payment. Written in the transaction that owes it, sent to Stripe
    after commit with the row id as idempotency key, so a retry never refunds twice."""

    __tablename__ = "refunds"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    payment_id: str = Field(foreign_key="payments.id", index=True, ondelete="CASCADE", max_length=255)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    reason: str = Field(max_length=32)
    status: str = Field(default=RefundStatus.pending.value, max_length=16, index=True)
    stripe_refund_id: str | None = Field(default=None, max_length=255)
    error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class StripeEvent(SQLModel, table=True):
    """Each Stripe webhook event id, recorded once: a replay finds it and changes nothing."""

    __tablename__ = "stripe_events"

    id: str = Field(primary_key=True, max_length=255)  # evt_...
    type: str = Field(max_length=100)
    object_id: str = Field(default="", max_length=255)
    outcome: str = Field(default="", max_length=64)
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
