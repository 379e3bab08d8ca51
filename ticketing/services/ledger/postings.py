"""What each money movement posts. Called inside the transaction of the change that causes it
(services/sales/payments.py applies Stripe's word there), so the books and the orders commit or
roll back together.

- payment received: Dr stripe_balance (what was charged), Cr ticket_revenue (list price),
  Dr discounts (list price - charged). A payment that is refunded at once (a second payment, a
  late one, one for a cancelled order) is posted the same way and its refund follows: the books
  show what Stripe shows, a charge and a refund.
- Stripe fee: Dr stripe_fees, Cr stripe_balance (read from the charge's balance transaction).
- refund: Dr refunds, Cr stripe_balance; a fee Stripe gives back: Dr stripe_balance, Cr stripe_fees.
- payout: Dr bank, Cr stripe_balance.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ticketing.models import Event, Order, OrderItem, Payment, Refund, Ticket, TicketStatus
from ticketing.models.ledger import Account, EntryKind
from ticketing.services.ledger.journal import EntrySpec, credit, debit, post_entry, posted_kinds, write_entries


# event id -> organization id: an event never moves to another organization, so every posting of
# a process after the first for an event reads nothing for it (bounded: cleared when full).
_ORGANIZATION_OF_EVENT: dict[uuid.UUID, uuid.UUID] = {}
_KEEP_EVENTS = 10_000


def organization_of_event(db: Session, event_id: uuid.UUID) -> uuid.UUID:
    org = _ORGANIZATION_OF_EVENT.get(event_id)
    if org is None:
        org = db.connection().execute(select(Event.organization_id).where(Event.id == event_id)).scalar_one()
        if len(_ORGANIZATION_OF_EVENT) >= _KEEP_EVENTS:
            _ORGANIZATION_OF_EVENT.clear()
        _ORGANIZATION_OF_EVENT[event_id] = org
    return org


def _list_price(db: Session, order: Order) -> int:
    """What the tickets still in the order cost at list price (one cancelled before payment is
    neither revenue nor a discount)."""
    total = db.connection().execute(
        select(func.coalesce(func.sum(OrderItem.unit_price_minor), 0))
        .join(Ticket, Ticket.order_item_id == OrderItem.id)
        .where(Ticket.order_id == order.id, Ticket.status != TicketStatus.cancelled.value)).scalar_one()
    return int(total or 0)


def _gross(db: Session, order: Order, amount: int) -> int:
    """The revenue of a payment: the order's own payment at list price when the order was
    discounted (the difference is the discount); any other payment, or an order without a
    discount (its total is its list price), as charged. Only discounted orders read."""
    if amount != order.total_minor or not (order.discount_minor or order.promo_code_id):
        return amount
    return max(amount, _list_price(db, order))


def book_payment(*, db: Session, order: Order, payment: Payment, fee: int | None, stripe_ref: str | None,
                 at: datetime, cause: str, first_success: bool = False,
                 payment_posted: bool = False) -> list[uuid.UUID]:
    """Money in, posted once: the payment (Dr stripe_balance what was charged, Cr ticket_revenue
    the list price, Dr discounts the difference) and, once Stripe reports it, its fee (Dr
    stripe_fees, Cr stripe_balance). What the caller knows under the payment's lock saves the
    look-up of what is posted: `first_success` (not succeeded yet, so nothing of it is posted:
    the paying path) or `payment_posted` (succeeded already, so its payment entry is; with no
    fee reported there is nothing to do: a replayed webhook). Otherwise one indexed read."""
    if payment_posted and not fee:
        return []
    posted = set() if first_success else posted_kinds(db, source_type="payment", source_id=payment.id)
    want_payment = EntryKind.payment.value not in posted
    want_fee = bool(fee) and EntryKind.stripe_fee.value not in posted
    if not (want_payment or want_fee):
        return []
    org = organization_of_event(db, order.event_id)
    amount, currency = payment.amount_minor, payment.currency
    specs = []
    if want_payment:
        gross = _gross(db, order, amount)
        specs.append(EntrySpec(
            org, order.event_id, EntryKind.payment.value, f"Payment of order {order.number}", "payment", payment.id,
            cause, at, [debit(Account.stripe_balance.value, currency, amount),
                        credit(Account.ticket_revenue.value, currency, gross),
                        debit(Account.discounts.value, currency, gross - amount)], stripe_ref))
    if want_fee:
        specs.append(EntrySpec(
            org, order.event_id, EntryKind.stripe_fee.value, f"Stripe fee on order {order.number}", "payment",
            payment.id, cause, at, [debit(Account.stripe_fees.value, currency, fee or 0),
                                    credit(Account.stripe_balance.value, currency, fee or 0)], stripe_ref))
    return write_entries(db, specs)


def post_refund(*, db: Session, refund: Refund, order: Order, at: datetime, cause: str,
                stripe_ref: str | None = None, fee_returned: int = 0) -> uuid.UUID | None:
    """Money back to the customer, and the part of the fee Stripe returned with it (if any)."""
    org, currency = organization_of_event(db, order.event_id), refund.currency
    entry = post_entry(
        db=db, organization_id=org, event_id=order.event_id, kind=EntryKind.refund.value,
        memo=f"Refund ({refund.reason}) on order {order.number}", source_type="refund", source_id=str(refund.id),
        cause=cause, at=at, stripe_ref=stripe_ref,
        lines=[debit(Account.refunds.value, currency, refund.amount_minor),
               credit(Account.stripe_balance.value, currency, refund.amount_minor)])
    if fee_returned > 0:
        post_entry(
            db=db, organization_id=org, event_id=order.event_id, kind=EntryKind.fee_refund.value,
            memo=f"Stripe fee returned with a refund on order {order.number}", source_type="refund",
            source_id=str(refund.id), cause=cause, at=at, stripe_ref=stripe_ref,
            lines=[debit(Account.stripe_balance.value, currency, fee_returned),
                   credit(Account.stripe_fees.value, currency, fee_returned)])
    return entry


def post_payout(*, db: Session, organization_id: uuid.UUID, payout_id: str, amount: int, currency: str,
                stripe_ref: str | None, at: datetime, cause: str) -> uuid.UUID | None:
    """Stripe paid part of the balance out to the organization's bank account."""
    return post_entry(
        db=db, organization_id=organization_id, event_id=None, kind=EntryKind.payout.value,
        memo=f"Stripe payout {payout_id}", source_type="payout", source_id=payout_id, cause=cause, at=at,
        stripe_ref=stripe_ref,
        lines=[debit(Account.bank.value, currency, amount), credit(Account.stripe_balance.value, currency, amount)])
