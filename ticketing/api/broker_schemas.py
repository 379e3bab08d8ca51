"""Request and response bodies of the broker-mode routes (suppliers, purchase orders, returns,
supplier payments, retail prices). Money travels as decimal strings in the order's currency."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, Field

from ticketing.api.catalog_schemas import IdIn, PatchBody, UtcTime
from ticketing.api.schemas import Strict
from ticketing.models import RetailRule, Supplier, SupplierPayment
from ticketing.services.broker.pricing import RetailPrice
from ticketing.services.broker.purchase_orders import PurchaseOrderView, payment_status
from ticketing.services.broker.supplier_payments import owed_minor
from ticketing.services.money import format_minor

DateIn = Annotated[date, Field(strict=False)]
Money = Annotated[str, Field(max_length=40)]


class SupplierIn(Strict):
    name: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=60)
    contact_name: str | None = Field(default=None, max_length=200)
    payment_terms_days: int = 30
    credit_limit: Money | None = None
    currency: str = Field(default="EUR", max_length=3)
    notes: str = Field(default="", max_length=4000)


class SupplierPatch(PatchBody):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"credit_limit"})

    name: str | None = Field(default=None, max_length=200)
    kind: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=60)
    contact_name: str | None = Field(default=None, max_length=200)
    payment_terms_days: int | None = None
    credit_limit: Money | None = None
    currency: str | None = Field(default=None, max_length=3)
    notes: str | None = Field(default=None, max_length=4000)
    is_active: bool | None = None


class SupplierOut(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    kind: str
    contact_name: str
    email: str
    phone: str
    payment_terms_days: int
    credit_limit: str | None
    currency: str
    notes: str
    is_active: bool


def supplier_out(s: Supplier) -> SupplierOut:
    limit = None if s.credit_limit_minor is None else format_minor(s.credit_limit_minor, s.currency)
    return SupplierOut(id=s.id, organization_id=s.organization_id, name=s.name, kind=s.kind,
                       contact_name=s.contact_name, email=s.email, phone=s.phone,
                       payment_terms_days=s.payment_terms_days, credit_limit=limit, currency=s.currency,
                       notes=s.notes, is_active=s.is_active)


class LineBody(Strict):
    """Explicit event seats (`seat_ids`), or `ticket_type_id` + `quantity` for general admission."""

    seat_ids: list[IdIn] | None = Field(default=None, max_length=25_000)
    ticket_type_id: IdIn | None = None
    quantity: int | None = None
    unit_cost: Money
    notes: str = Field(default="", max_length=500)


class PurchaseOrderHeader(Strict):
    fulfillment_method: str | None = Field(default=None, max_length=40)
    fulfillment_notes: str | None = Field(default=None, max_length=2000)
    reference: str | None = Field(default=None, max_length=120)
    notes: str | None = Field(default=None, max_length=2000)
    expected_date: DateIn | None = None

    def header(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("fulfillment_method", "fulfillment_notes", "reference", "notes",
                                              "expected_date") if k in self.model_fields_set}


class PurchaseOrderIn(PurchaseOrderHeader):
    supplier_id: IdIn
    event_id: IdIn
    currency: str = Field(max_length=3)
    lines: list[LineBody] = Field(max_length=200)


class PurchaseOrderPatch(PurchaseOrderHeader):
    version: int
    lines: list[LineBody] | None = Field(default=None, max_length=200)


class VersionIn(Strict):
    version: int | None = None


class ReceiveLineIn(Strict):
    line_id: IdIn
    quantity: int


class ReceiveIn(Strict):
    lines: list[ReceiveLineIn] | None = Field(default=None, max_length=200)
    version: int | None = None


class ReturnIn(Strict):
    seat_ids: list[IdIn] | None = Field(default=None, max_length=25_000)
    quantity: int | None = None
    ticket_type_id: IdIn | None = None
    version: int | None = None


class PaymentIn(Strict):
    amount: Money
    reference: str = Field(default="", max_length=120)


class LineOut(BaseModel):
    id: uuid.UUID
    kind: str  # seats | quantity
    session_id: uuid.UUID | None
    ticket_type_id: uuid.UUID | None
    seat_ids: list[uuid.UUID]
    quantity: int
    unit_cost: str
    line_cost: str
    received_quantity: int
    returned_quantity: int
    notes: str


class PurchaseOrderOut(BaseModel):
    id: uuid.UUID
    number: str
    status: str
    organization_id: uuid.UUID
    supplier_id: uuid.UUID
    supplier_name: str
    event_id: uuid.UUID
    event_title: str
    currency: str
    total_cost: str
    returned_cost: str
    paid: str
    owed: str
    payment_status: str
    payment_terms_days: int
    fulfillment_method: str
    fulfillment_notes: str
    reference: str
    notes: str
    expected_date: date | None
    version: int
    created_by: uuid.UUID | None
    submitted_by: uuid.UUID | None
    submitted_at: UtcTime | None
    approved_by: uuid.UUID | None
    approved_at: UtcTime | None
    closed_at: UtcTime | None
    cancelled_at: UtcTime | None
    created_at: UtcTime
    lines: list[LineOut]


def purchase_order_out(v: PurchaseOrderView) -> PurchaseOrderOut:
    po, cur = v.order, v.order.currency
    lines = [LineOut(id=lv.line.id, kind="seats" if lv.line.session_id else "quantity", session_id=lv.line.session_id,
                     ticket_type_id=lv.line.ticket_type_id, seat_ids=lv.seat_ids, quantity=lv.line.quantity,
                     unit_cost=format_minor(lv.line.unit_cost_minor, cur),
                     line_cost=format_minor(lv.line.unit_cost_minor * lv.line.quantity, cur),
                     received_quantity=lv.line.received_quantity, returned_quantity=lv.line.returned_quantity,
                     notes=lv.line.notes) for lv in v.lines]
    return PurchaseOrderOut(
        id=po.id, number=po.number, status=po.status, organization_id=po.organization_id, supplier_id=po.supplier_id,
        supplier_name=v.supplier_name, event_id=po.event_id, event_title=v.event_title, currency=cur,
        total_cost=format_minor(po.total_cost_minor, cur), returned_cost=format_minor(po.returned_cost_minor, cur),
        paid=format_minor(po.paid_minor, cur), owed=format_minor(owed_minor(po), cur),
        payment_status=payment_status(po), payment_terms_days=po.payment_terms_days,
        fulfillment_method=po.fulfillment_method, fulfillment_notes=po.fulfillment_notes, reference=po.reference,
        notes=po.notes, expected_date=po.expected_date, version=po.version, created_by=po.created_by,
        submitted_by=po.submitted_by, submitted_at=po.submitted_at, approved_by=po.approved_by,
        approved_at=po.approved_at, closed_at=po.closed_at, cancelled_at=po.cancelled_at, created_at=po.created_at,
        lines=lines)


class PaymentOut(BaseModel):
    id: uuid.UUID
    purchase_order_id: uuid.UUID
    amount: str
    currency: str
    reference: str
    paid_at: UtcTime
    paid_total: str
    owed: str
    payment_status: str


def payment_out(p: SupplierPayment, v: PurchaseOrderView) -> PaymentOut:
    po = v.order
    return PaymentOut(id=p.id, purchase_order_id=po.id, amount=format_minor(p.amount_minor, p.currency),
                      currency=p.currency, reference=p.reference, paid_at=p.paid_at,
                      paid_total=format_minor(po.paid_minor, po.currency),
                      owed=format_minor(owed_minor(po), po.currency),
                      payment_status=payment_status(po))


class RetailIn(Strict):
    price: Money | None = None
    markup_percent: Annotated[str, Field(max_length=20)] | None = None
    markup_fixed: Money | None = None
    rounding: str = Field(default="none", max_length=20)


class RetailOut(BaseModel):
    ticket_type_id: uuid.UUID
    mode: str | None
    markup_percent: str | None
    markup_fixed: str | None
    rounding: str | None
    cost_basis: str | None
    price: str
    currency: str


def retail_out(rp: RetailPrice) -> RetailOut:
    rule: RetailRule | None = rp.rule
    cur = rp.currency
    return RetailOut(
        ticket_type_id=rp.ticket_type_id, mode=rule.mode if rule else None,
        markup_percent=f"{Decimal(rule.value) / 100:.2f}" if rule and rule.mode == "markup_percent" else None,
        markup_fixed=format_minor(rule.value, cur) if rule and rule.mode == "markup_fixed" else None,
        rounding=rule.rounding if rule else None,
        cost_basis=None if rp.cost_basis_minor is None else format_minor(rp.cost_basis_minor, cur),
        price=format_minor(rp.price_minor, cur), currency=cur)


class BrokerModeOut(BaseModel):
    event_id: uuid.UUID
    broker_mode: bool
    enabled_at: datetime
