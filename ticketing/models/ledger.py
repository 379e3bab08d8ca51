"""The money ledger: journal entries (one per money movement) and their lines, plus the last
reconciliation with Stripe per organization.

The database itself keeps the books honest (migration 0016_ledger): every entry balances per
currency at commit, and posted entries and lines cannot be updated or deleted; a correction is a
reversal entry. Lines are written before their entry (the foreign key is deferred), so on SQLite a
trigger on the entry's insert can check its lines, and a line can never join an entry afterwards.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, ForeignKey, Index, Uuid
from sqlmodel import Field, SQLModel

from ticketing.models.base import UtcDateTime, new_id, utcnow


class EntryKind(str, Enum):
    payment = "payment"
    stripe_fee = "stripe_fee"
    refund = "refund"
    fee_refund = "fee_refund"
    purchase_order = "purchase_order"
    supplier_payment = "supplier_payment"
    payout = "payout"
    reversal = "reversal"


class Account(str, Enum):
    """Stable account names of the API contract (one set per organization)."""

    stripe_balance = "stripe_balance"
    bank = "bank"
    ticket_revenue = "ticket_revenue"
    discounts = "discounts"
    refunds = "refunds"
    stripe_fees = "stripe_fees"
    supplier_payable = "supplier_payable"
    inventory = "inventory"
    cost_of_tickets = "cost_of_tickets"


ACCOUNT_NAMES = tuple(a.value for a in Account)
KIND_NAMES = tuple(k.value for k in EntryKind)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class LedgerEntry(SQLModel, table=True):
    """One balanced money movement of an organization, caused by one source object."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint(_in("kind", KIND_NAMES), name="ck_ledger_entry_kind"),
        # Posted once: one entry of a kind per source object (a replayed webhook finds it).
        Index("uq_ledger_entry_source", "kind", "source_type", "source_id", unique=True),
        Index("ix_ledger_entries_org_at", "organization_id", "at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organizations.id")  # indexed with `at`
    # No foreign key: the books outlive a deleted event.
    event_id: uuid.UUID | None = Field(default=None, index=True)
    kind: str = Field(max_length=32)
    memo: str = Field(default="", max_length=500)
    source_type: str = Field(max_length=32)  # payment | refund | payout | entry | ...
    source_id: str = Field(max_length=255)
    cause: str = Field(default="", max_length=255)  # who or what: "webhook:evt_..", "user:<id>", "backfill"
    stripe_ref: str | None = Field(default=None, max_length=255, index=True)  # Stripe balance transaction
    reverses_id: uuid.UUID | None = Field(default=None)
    at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class LedgerLine(SQLModel, table=True):
    """One side of an entry in one account and currency, in minor units (one of debit/credit)."""

    __tablename__ = "ledger_lines"
    __table_args__ = (
        CheckConstraint(_in("account", ACCOUNT_NAMES), name="ck_ledger_line_account"),
        CheckConstraint("debit_minor >= 0 AND credit_minor >= 0 AND (debit_minor = 0 OR credit_minor = 0)",
                        name="ck_ledger_line_one_side"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    entry_id: uuid.UUID = Field(sa_column=Column(
        Uuid(), ForeignKey("ledger_entries.id", deferrable=True, initially="DEFERRED"), nullable=False, index=True))
    organization_id: uuid.UUID = Field(index=True)  # copied from the entry: balances read lines only
    account: str = Field(max_length=32)
    currency: str = Field(max_length=3)
    debit_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    credit_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))  # the entry's, for cut-offs


class Reconciliation(SQLModel, table=True):
    """The last comparison of an organization's `stripe_balance` with Stripe's balance transactions."""

    __tablename__ = "ledger_reconciliations"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organizations.id", index=True)
    period_from: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    period_to: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ran_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    matched: int = Field(default=0)
    differences: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
