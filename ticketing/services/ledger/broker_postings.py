"""What broker mode posts (seed 002): the agency buys tickets from suppliers, stocks them, sells
them and pays the suppliers. Called inside the transaction of the change (services/broker and
the sales path), so stock, orders and books commit or roll back together.

The agency owns what a supplier confirmed and sells it at once, so stock is booked when a
purchase order is confirmed, not when tickets are delivered (receiving posts nothing):

- purchase order confirmed: Dr inventory, Cr supplier_payable (its total cost).
- inventory returned to the supplier, or a confirmed order cancelled: Dr supplier_payable,
  Cr inventory (the cost of what went back).
- supplier payment: Dr supplier_payable, Cr bank.
- tickets sold: Dr cost_of_tickets, Cr inventory (the unit costs recorded in ticket_sales);
  sold tickets cancelled: Dr inventory, Cr cost_of_tickets (they are back in stock).

All of them are `purchase_order` entries (stock moving in and out of the agency's purchase
orders) except the payment (`supplier_payment`); `source.type` says which movement it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import Order, PurchaseOrder, SupplierPayment, TicketSale
from ticketing.models.ledger import Account, EntryKind
from ticketing.services.ledger.journal import Line, credit, debit, post_entry
from ticketing.services.ledger.postings import organization_of_event

STOCK = EntryKind.purchase_order.value


def _stock_in(currency: str, amount: int) -> list[Line]:
    return [debit(Account.inventory.value, currency, amount), credit(Account.supplier_payable.value, currency, amount)]


def _stock_back(currency: str, amount: int) -> list[Line]:
    return [debit(Account.supplier_payable.value, currency, amount), credit(Account.inventory.value, currency, amount)]


def post_purchase_order(*, db: Session, po: PurchaseOrder, at: datetime, cause: str) -> uuid.UUID | None:
    """A confirmed purchase order: its tickets are stock, their cost is owed to the supplier."""
    if po.total_cost_minor <= 0:
        return None
    return post_entry(db=db, organization_id=po.organization_id, event_id=po.event_id, kind=STOCK,
                      memo=f"Purchase order {po.number} confirmed", source_type="purchase_order",
                      source_id=str(po.id), cause=cause, at=at, lines=_stock_in(po.currency, po.total_cost_minor))


def post_stock_returned(*, db: Session, po: PurchaseOrder, amount: int, at: datetime, cause: str,
                        cancelled: bool = False) -> uuid.UUID | None:
    """Stock of the order went back to the supplier (a return, or the order cancelled): its cost
    is no longer owed. A return is told apart by the order's version (every change bumps it)."""
    if amount <= 0:
        return None
    source_type, source_id, memo = (("purchase_order_cancel", str(po.id), f"Purchase order {po.number} cancelled")
                                    if cancelled else
                                    ("purchase_order_return", f"{po.id}:{po.version}",
                                     f"Inventory of {po.number} returned to the supplier"))
    return post_entry(db=db, organization_id=po.organization_id, event_id=po.event_id, kind=STOCK, memo=memo,
                      source_type=source_type, source_id=source_id, cause=cause, at=at,
                      lines=_stock_back(po.currency, amount))


def post_supplier_payment(*, db: Session, po: PurchaseOrder, payment: SupplierPayment, cause: str) -> uuid.UUID | None:
    """Money paid to the supplier from the bank: less owed."""
    return post_entry(db=db, organization_id=po.organization_id, event_id=po.event_id,
                      kind=EntryKind.supplier_payment.value, memo=f"Payment to the supplier on {po.number}",
                      source_type="supplier_payment", source_id=str(payment.id), cause=cause, at=payment.paid_at,
                      lines=[debit(Account.supplier_payable.value, payment.currency, payment.amount_minor),
                             credit(Account.bank.value, payment.currency, payment.amount_minor)])


def post_cost_of_sale(*, db: Session, order: Order, sales: Collection[TicketSale], at: datetime,
                      cause: str) -> uuid.UUID | None:
    """The cost of the tickets an order sold leaves stock (once per order: its sale is recorded
    in the transaction that confirms it)."""
    cost = sum(s.unit_cost_minor for s in sales)
    if cost <= 0:
        return None
    return post_entry(db=db, organization_id=organization_of_event(db, order.event_id), event_id=order.event_id,
                      kind=STOCK, memo=f"Cost of {len(sales)} ticket(s) sold on order {order.number}",
                      source_type="ticket_sale", source_id=str(order.id), cause=cause, at=at,
                      lines=[debit(Account.cost_of_tickets.value, order.currency, cost),
                             credit(Account.inventory.value, order.currency, cost)])


def post_cost_returned(*, db: Session, order: Order, ticket_ids: Collection[uuid.UUID], at: datetime,
                       cause: str) -> uuid.UUID | None:
    """Sold tickets were cancelled: their seats or places are back in stock, at the cost recorded
    when they were sold. A ticket is cancelled once, so the batch is named by its first ticket."""
    if not ticket_ids:
        return None
    cost = db.exec(select(func.coalesce(func.sum(TicketSale.unit_cost_minor), 0))
                   .where(TicketSale.ticket_id.in_(list(ticket_ids)))).one()
    if not cost:
        return None
    return post_entry(db=db, organization_id=organization_of_event(db, order.event_id), event_id=order.event_id,
                      kind=STOCK, memo=f"Cost of {len(ticket_ids)} cancelled ticket(s) on order {order.number} "
                      "back in stock", source_type="ticket_return", source_id=str(min(ticket_ids)), cause=cause,
                      at=at, lines=[debit(Account.inventory.value, order.currency, int(cost)),
                                    credit(Account.cost_of_tickets.value, order.currency, int(cost))])
