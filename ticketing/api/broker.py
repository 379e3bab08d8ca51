"""Broker mode (owner/organizer): suppliers, purchase orders (draft, edit, confirm, receive,
return, cancel), supplier payments, broker mode of an event and retail prices on cost."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from fastapi import Query as Q

from ticketing.api.broker_schemas import (
    BrokerModeOut,
    LineBody,
    PaymentIn,
    PaymentOut,
    PurchaseOrderIn,
    PurchaseOrderOut,
    PurchaseOrderPatch,
    ReceiveIn,
    RetailIn,
    RetailOut,
    ReturnIn,
    SupplierIn,
    SupplierOut,
    SupplierPatch,
    VersionIn,
    payment_out,
    purchase_order_out,
    retail_out,
    supplier_out,
)
from ticketing.api.deps import current_user_id
from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.services.broker import inventory, modes, pricing, purchase_orders, supplier_payments, suppliers
from ticketing.services.broker.purchase_orders import LineIn
from ticketing.services.errors import not_found

router = APIRouter(tags=["broker"])
PO = "/purchase-orders/{po_id}"


def _supplier_of_org(db, *, user_id: uuid.UUID, org_id: uuid.UUID, supplier_id: uuid.UUID):
    supplier = suppliers.supplier_for_manager(db, user_id=user_id, supplier_id=supplier_id)
    if supplier.organization_id != org_id:
        raise not_found("supplier")
    return supplier


@router.post("/orgs/{org_id}/suppliers", status_code=201, response_model=SupplierOut)
def create_supplier(org_id: uuid.UUID, body: SupplierIn, user_id: uuid.UUID = Depends(current_user_id)):
    with session_scope() as db:
        return supplier_out(suppliers.create_supplier(db=db, user_id=user_id, organization_id=org_id, now=utcnow(),
                                                      **{k: v for k, v in body.model_dump().items() if v is not None}))


@router.get("/orgs/{org_id}/suppliers", response_model=list[SupplierOut])
def list_suppliers(org_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)):
    with session_scope(readonly=True) as db:
        return [supplier_out(s) for s in suppliers.list_suppliers(db=db, user_id=user_id, organization_id=org_id)]


@router.get("/orgs/{org_id}/suppliers/{supplier_id}", response_model=SupplierOut)
def get_supplier(org_id: uuid.UUID, supplier_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)):
    with session_scope(readonly=True) as db:
        return supplier_out(_supplier_of_org(db, user_id=user_id, org_id=org_id, supplier_id=supplier_id))


@router.patch("/orgs/{org_id}/suppliers/{supplier_id}", response_model=SupplierOut)
def update_supplier(org_id: uuid.UUID, supplier_id: uuid.UUID, body: SupplierPatch,
                    user_id: uuid.UUID = Depends(current_user_id)):
    with session_scope() as db:
        _supplier_of_org(db, user_id=user_id, org_id=org_id, supplier_id=supplier_id)
        return supplier_out(suppliers.update_supplier(db=db, user_id=user_id, supplier_id=supplier_id,
                                                      **body.changes()))


@router.delete("/orgs/{org_id}/suppliers/{supplier_id}", response_model=SupplierOut)
def deactivate_supplier(org_id: uuid.UUID, supplier_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)):
    """Deactivates (409 supplier_has_open_orders); suppliers are never deleted."""
    with session_scope() as db:
        _supplier_of_org(db, user_id=user_id, org_id=org_id, supplier_id=supplier_id)
        return supplier_out(suppliers.deactivate_supplier(db=db, user_id=user_id, supplier_id=supplier_id))


def _lines(lines: list[LineBody]) -> list[LineIn]:
    return [LineIn(unit_cost=ln.unit_cost, seat_ids=ln.seat_ids, ticket_type_id=ln.ticket_type_id,
                   quantity=ln.quantity, notes=ln.notes) for ln in lines]


def _po_out(db, po) -> PurchaseOrderOut:
    return purchase_order_out(purchase_orders.view(db, po))


@router.post("/orgs/{org_id}/purchase-orders", status_code=201, response_model=PurchaseOrderOut)
def create_purchase_order(org_id: uuid.UUID, body: PurchaseOrderIn, user_id: uuid.UUID = Depends(current_user_id)):
    with session_scope() as db:
        po = purchase_orders.create_purchase_order(
            db=db, user_id=user_id, organization_id=org_id, supplier_id=body.supplier_id, event_id=body.event_id,
            currency=body.currency, lines=_lines(body.lines), now=utcnow(), **body.header())
        return _po_out(db, po)


@router.get("/orgs/{org_id}/purchase-orders", response_model=list[PurchaseOrderOut])
def list_purchase_orders(org_id: uuid.UUID, event_id: uuid.UUID | None = Q(default=None),
                         supplier_id: uuid.UUID | None = Q(default=None), status: str | None = Q(default=None),
                         user_id: uuid.UUID = Depends(current_user_id)):
    with session_scope(readonly=True) as db:
        return [purchase_order_out(v) for v in purchase_orders.list_purchase_orders(
            db=db, user_id=user_id, organization_id=org_id, event_id=event_id, supplier_id=supplier_id, status=status)]


@router.get(PO, response_model=PurchaseOrderOut)
def get_purchase_order(po_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)):
    with session_scope(readonly=True) as db:
        return purchase_order_out(purchase_orders.get_purchase_order(db=db, user_id=user_id, po_id=po_id))


@router.patch(PO, response_model=PurchaseOrderOut)
def update_purchase_order(po_id: uuid.UUID, body: PurchaseOrderPatch, user_id: uuid.UUID = Depends(current_user_id)):
    """A draft's lines or any order's notes; `version` is the one the edit was made on (409
    version_conflict otherwise)."""
    with session_scope() as db:
        po = purchase_orders.update_purchase_order(
            db=db, user_id=user_id, po_id=po_id, version=body.version, now=utcnow(),
            lines=_lines(body.lines) if body.lines is not None else None, **body.header())
        return _po_out(db, po)


@router.post(PO + "/confirm", response_model=PurchaseOrderOut)
def confirm_purchase_order(po_id: uuid.UUID, body: VersionIn | None = None,
                           user_id: uuid.UUID = Depends(current_user_id)):
    with session_scope() as db:
        po = inventory.confirm_purchase_order(db=db, user_id=user_id, po_id=po_id, now=utcnow(),
                                              version=body.version if body else None)
        return _po_out(db, po)


@router.post(PO + "/receive", response_model=PurchaseOrderOut)
def receive_purchase_order(po_id: uuid.UUID, body: ReceiveIn | None = None,
                           user_id: uuid.UUID = Depends(current_user_id)):
    """Delivery from the supplier, line by line (no lines: everything outstanding)."""
    received = [(ln.line_id, ln.quantity) for ln in body.lines] if body and body.lines is not None else None
    with session_scope() as db:
        po = inventory.receive_purchase_order(db=db, user_id=user_id, po_id=po_id, now=utcnow(), received=received,
                                              version=body.version if body else None)
        return _po_out(db, po)


@router.post(PO + "/return", response_model=PurchaseOrderOut)
def return_inventory(po_id: uuid.UUID, body: ReturnIn, user_id: uuid.UUID = Depends(current_user_id)):
    with session_scope() as db:
        po = inventory.return_inventory(db=db, user_id=user_id, po_id=po_id, now=utcnow(), seat_ids=body.seat_ids,
                                        quantity=body.quantity, ticket_type_id=body.ticket_type_id,
                                        version=body.version)
        return _po_out(db, po)


@router.post(PO + "/cancel", response_model=PurchaseOrderOut)
def cancel_purchase_order(po_id: uuid.UUID, body: VersionIn | None = None,
                          user_id: uuid.UUID = Depends(current_user_id)):
    with session_scope() as db:
        po = inventory.cancel_purchase_order(db=db, user_id=user_id, po_id=po_id, now=utcnow(),
                                             version=body.version if body else None)
        return _po_out(db, po)


@router.post(PO + "/payments", status_code=201, response_model=PaymentOut)
def pay_supplier(po_id: uuid.UUID, body: PaymentIn, user_id: uuid.UUID = Depends(current_user_id)):
    with session_scope() as db:
        payment = supplier_payments.pay_supplier(db=db, user_id=user_id, po_id=po_id, amount=body.amount,
                                                 reference=body.reference, now=utcnow())
        return payment_out(payment, purchase_orders.get_purchase_order(db=db, user_id=user_id, po_id=po_id))


@router.get(PO + "/payments", response_model=list[PaymentOut])
def list_payments(po_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)):
    with session_scope(readonly=True) as db:
        v = purchase_orders.get_purchase_order(db=db, user_id=user_id, po_id=po_id)
        return [payment_out(p, v) for p in supplier_payments.list_payments(db=db, user_id=user_id, po_id=po_id)]


@router.post("/events/{event_id}/broker-mode", response_model=BrokerModeOut)
def enable_broker_mode(event_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)):
    """Sell only inventory bought through purchase orders (before the first sale; idempotent)."""
    with session_scope() as db:
        row = modes.enable_broker_mode(db=db, user_id=user_id, event_id=event_id, now=utcnow())
        return BrokerModeOut(event_id=row.event_id, broker_mode=True, enabled_at=row.enabled_at)


@router.put("/events/{event_id}/ticket-types/{ticket_type_id}/retail-price", response_model=RetailOut)
def set_ticket_type_retail(event_id: uuid.UUID, ticket_type_id: uuid.UUID, body: RetailIn,
                           user_id: uuid.UUID = Depends(current_user_id)):
    with session_scope() as db:
        return retail_out(pricing.set_retail_rule(db=db, user_id=user_id, event_id=event_id,
                                                  ticket_type_id=ticket_type_id, now=utcnow(), **body.model_dump()))


@router.put("/events/{event_id}/price-levels/{price_level_id}/retail-price", response_model=RetailOut)
def set_price_level_retail(event_id: uuid.UUID, price_level_id: uuid.UUID, body: RetailIn,
                           user_id: uuid.UUID = Depends(current_user_id)):
    """The rule applies to the price level's ticket type (one final price per ticket type)."""
    with session_scope() as db:
        return retail_out(pricing.set_retail_rule(db=db, user_id=user_id, event_id=event_id,
                                                  price_level_id=price_level_id, now=utcnow(), **body.model_dump()))
