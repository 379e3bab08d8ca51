"""Payments to suppliers against a confirmed purchase order: partial, then paid once what is
owed (the order's cost less the cost of what was returned) is settled."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, select

from ticketing.models import PurchaseOrder, PurchaseOrderStatus, SupplierPayment
from ticketing.services.broker.purchase_orders import order_for_manager, touch
from ticketing.services.errors import ServiceError, invalid
from ticketing.services.ledger import broker_postings
from ticketing.services.money import MoneyError, format_minor, parse_amount
from ticketing.services.sales.places import lock_fresh


def owed_minor(po: PurchaseOrder) -> int:
    """What is still owed to the supplier on this order (never below 0)."""
    return max(po.total_cost_minor - po.returned_cost_minor - po.paid_minor, 0)


def pay_supplier(*, db: Session, user_id: uuid.UUID, po_id: uuid.UUID, amount: str, now: datetime,
                 reference: str = "") -> SupplierPayment:
    """Record a payment to the order's supplier (owner/organizer).

    409 not_confirmed (drafts and cancelled orders are not owed anything), overpayment (more
    than is owed, with `owed`); 422 invalid_amount.
    """
    po = order_for_manager(db, user_id=user_id, po_id=po_id)
    (po,) = lock_fresh(db, PurchaseOrder, [po.id]).values()
    if po.status in (PurchaseOrderStatus.draft.value, PurchaseOrderStatus.cancelled.value):
        raise ServiceError("not_confirmed", f"Purchase order {po.number} is {po.status}; nothing is owed on it.")
    try:
        minor = parse_amount(amount, po.currency)
    except MoneyError as exc:
        raise invalid("invalid_amount", f"amount: {exc}", field="amount") from exc
    if minor <= 0:
        raise invalid("invalid_amount", "Pay a positive amount.", field="amount")
    reference = (reference or "").strip()
    if len(reference) > 120:
        raise invalid("invalid_reference", "Keep the reference under 120 characters.", field="reference")
    owed = owed_minor(po)
    if minor > owed:
        raise ServiceError("overpayment", f"Only {format_minor(owed, po.currency)} {po.currency} is owed on "
                           f"{po.number}.", owed=format_minor(owed, po.currency))
    payment = SupplierPayment(purchase_order_id=po.id, supplier_id=po.supplier_id, amount_minor=minor,
                              currency=po.currency, reference=reference, paid_at=now, recorded_by=user_id)
    po.paid_minor += minor
    touch(po, now)
    db.add_all([payment, po])
    db.flush()
    broker_postings.post_supplier_payment(db=db, po=po, payment=payment, cause=f"user:{user_id}")
    return payment


def list_payments(*, db: Session, user_id: uuid.UUID, po_id: uuid.UUID) -> list[SupplierPayment]:
    po = order_for_manager(db, user_id=user_id, po_id=po_id)
    return list(db.exec(select(SupplierPayment).where(SupplierPayment.purchase_order_id == po.id)
                        .order_by(SupplierPayment.paid_at)).all())
