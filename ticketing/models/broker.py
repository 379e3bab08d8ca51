"""Broker mode (seed 002): suppliers, purchase orders and their lines, the seats and places they
made owned inventory, payments to suppliers, retail pricing rules, and what each ticket sold
cost and earned at the moment of sale."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ticketing.models.base import UtcDateTime, new_id, utcnow


class SupplierKind(str, Enum):
    event_organizer = "event_organizer"
    venue_owner = "venue_owner"
    promoter = "promoter"
    production_company = "production_company"


class PurchaseOrderStatus(str, Enum):
    draft = "draft"
    confirmed = "confirmed"
    partially_received = "partially_received"
    completed = "completed"
    cancelled = "cancelled"


class FulfillmentMethod(str, Enum):
    electronic_transfer = "electronic_transfer"
    mobile_transfer = "mobile_transfer"
    pdf_delivery = "pdf_delivery"
    will_call = "will_call"
    paper_shipment = "paper_shipment"


class BrokerEvent(SQLModel, table=True):
    """An event in broker mode: only inventory bought through purchase orders sells."""

    __tablename__ = "broker_events"

    event_id: uuid.UUID = Field(foreign_key="events.id", primary_key=True, ondelete="CASCADE")
    enabled_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class Supplier(SQLModel, table=True):
    __tablename__ = "suppliers"
    __table_args__ = (
        UniqueConstraint("organization_id", "name", name="uq_supplier_org_name"),
        CheckConstraint("kind IN ('event_organizer', 'venue_owner', 'promoter', 'production_company')",
                        name="ck_supplier_kind"),
        CheckConstraint("payment_terms_days >= 0", name="ck_supplier_terms_nonneg"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organizations.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    kind: str = Field(max_length=24)
    contact_name: str = Field(default="", max_length=120)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    payment_terms_days: int = Field(default=30)
    credit_limit_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    currency: str = Field(default="EUR", max_length=3)  # of the credit limit
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class PurchaseOrder(SQLModel, table=True):
    __tablename__ = "purchase_orders"
    __table_args__ = (
        UniqueConstraint("organization_id", "number", name="uq_purchase_order_org_number"),
        CheckConstraint("status IN ('draft', 'confirmed', 'partially_received', 'completed', 'cancelled')",
                        name="ck_purchase_order_status"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organizations.id", index=True, ondelete="CASCADE")
    number: str = Field(max_length=32)  # PO-0001, per organization
    supplier_id: uuid.UUID = Field(foreign_key="suppliers.id", index=True, ondelete="RESTRICT")
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    currency: str = Field(max_length=3)
    status: str = Field(default=PurchaseOrderStatus.draft.value, max_length=20, index=True)
    fulfillment_method: str = Field(default=FulfillmentMethod.electronic_transfer.value, max_length=24)
    fulfillment_notes: str = Field(default="", max_length=2000)
    reference: str = Field(default="", max_length=120)  # the supplier's own reference
    notes: str = Field(default="", max_length=2000)
    expected_date: date | None = None
    total_cost_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    paid_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    # Cost of the units returned to the supplier: credited, no longer owed.
    returned_cost_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    payment_terms_days: int = Field(default=30)  # copied from the supplier when created
    # Bumped by every change: an edit names the version it was made on (optimistic locking).
    version: int = Field(default=1)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    submitted_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    approved_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    approved_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class PurchaseOrderCounter(SQLModel, table=True):
    """Last purchase order number issued per organization."""

    __tablename__ = "purchase_order_counters"

    organization_id: uuid.UUID = Field(foreign_key="organizations.id", primary_key=True, ondelete="CASCADE")
    last: int = Field(default=0)


class PurchaseOrderLine(SQLModel, table=True):
    """Explicit seats of one seated session, or a quantity of a general-admission ticket type."""

    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_po_line_quantity_pos"),
        CheckConstraint("unit_cost_minor >= 0", name="ck_po_line_cost_nonneg"),
        CheckConstraint("received_quantity >= 0 AND received_quantity <= quantity", name="ck_po_line_received"),
        CheckConstraint("returned_quantity >= 0 AND returned_quantity <= quantity", name="ck_po_line_returned"),
        CheckConstraint("(session_id IS NULL) <> (ticket_type_id IS NULL)", name="ck_po_line_one_kind"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    purchase_order_id: uuid.UUID = Field(foreign_key="purchase_orders.id", index=True, ondelete="CASCADE")
    position: int = 0
    session_id: uuid.UUID | None = Field(default=None, foreign_key="sessions.id", ondelete="CASCADE")
    ticket_type_id: uuid.UUID | None = Field(default=None, foreign_key="ticket_types.id", index=True,
                                             ondelete="CASCADE")
    quantity: int
    unit_cost_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    received_quantity: int = Field(default=0)
    returned_quantity: int = Field(default=0)
    notes: str = Field(default="", max_length=500)


class PurchaseOrderSeat(SQLModel, table=True):
    """A seat a line asks for (an event seat of the line's session)."""

    __tablename__ = "purchase_order_seats"

    line_id: uuid.UUID = Field(foreign_key="purchase_order_lines.id", primary_key=True, ondelete="CASCADE")
    event_seat_id: uuid.UUID = Field(foreign_key="event_seats.id", primary_key=True, index=True, ondelete="CASCADE")


class OwnedSeat(SQLModel, table=True):
    """A seat the agency owns (or owned, then returned): one row per event seat, so a seat is
    never owned through two purchase orders; supplier, line and unit cost recorded on it."""

    __tablename__ = "owned_seats"

    event_seat_id: uuid.UUID = Field(foreign_key="event_seats.id", primary_key=True, ondelete="CASCADE")
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    supplier_id: uuid.UUID = Field(foreign_key="suppliers.id", index=True, ondelete="RESTRICT")
    purchase_order_id: uuid.UUID = Field(foreign_key="purchase_orders.id", index=True, ondelete="CASCADE")
    line_id: uuid.UUID = Field(foreign_key="purchase_order_lines.id", index=True, ondelete="CASCADE")
    unit_cost_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    owned_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    returned_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class SupplierPayment(SQLModel, table=True):
    __tablename__ = "supplier_payments"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="ck_supplier_payment_pos"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    purchase_order_id: uuid.UUID = Field(foreign_key="purchase_orders.id", index=True, ondelete="CASCADE")
    supplier_id: uuid.UUID = Field(foreign_key="suppliers.id", index=True, ondelete="RESTRICT")
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    reference: str = Field(default="", max_length=120)
    paid_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    recorded_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")


class RetailRule(SQLModel, table=True):
    """How a ticket type's retail price follows from cost: fixed, or a markup (percent in basis
    points, or a fixed amount) on the highest unit cost of its owned inventory, then rounded."""

    __tablename__ = "retail_rules"
    __table_args__ = (
        CheckConstraint("mode IN ('fixed', 'markup_percent', 'markup_fixed')", name="ck_retail_rule_mode"),
        CheckConstraint("rounding IN ('none', 'whole', 'ninety_nine', 'five')", name="ck_retail_rule_rounding"),
        CheckConstraint("value >= 0", name="ck_retail_rule_value_nonneg"),
    )

    ticket_type_id: uuid.UUID = Field(foreign_key="ticket_types.id", primary_key=True, ondelete="CASCADE")
    mode: str = Field(max_length=16)
    value: int = Field(sa_column=Column(BigInteger, nullable=False))  # minor units, or basis points
    rounding: str = Field(default="none", max_length=12)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class TicketSale(SQLModel, table=True):
    """What one ticket of a broker event cost and earned when it was sold (written once, when
    its order is confirmed): later price or cost changes never rewrite it."""

    __tablename__ = "ticket_sales"
    __table_args__ = (Index("ix_ticket_sales_event_sold", "event_id", "sold_at"),)

    ticket_id: uuid.UUID = Field(foreign_key="tickets.id", primary_key=True, ondelete="CASCADE")
    order_id: uuid.UUID = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    event_id: uuid.UUID = Field(foreign_key="events.id", ondelete="CASCADE")
    ticket_type_id: uuid.UUID = Field(foreign_key="ticket_types.id", ondelete="CASCADE")
    price_level_id: uuid.UUID | None = Field(default=None, foreign_key="price_levels.id", ondelete="SET NULL")
    event_seat_id: uuid.UUID | None = Field(default=None, foreign_key="event_seats.id", ondelete="SET NULL")
    supplier_id: uuid.UUID | None = Field(default=None, foreign_key="suppliers.id", index=True, ondelete="SET NULL")
    purchase_order_id: uuid.UUID | None = Field(default=None, foreign_key="purchase_orders.id", ondelete="SET NULL")
    line_id: uuid.UUID | None = Field(default=None, foreign_key="purchase_order_lines.id", index=True,
                                      ondelete="SET NULL")
    currency: str = Field(max_length=3)
    unit_cost_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    retail_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    discount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    fees_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    margin_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    sold_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
