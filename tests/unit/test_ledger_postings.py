"""What a payment and its refunds post, from Stripe's facts as payments.apply_intent and
complete_refund receive them: a discount below list price, a fee Stripe reports on a later
delivery (posted then, once), and a fee Stripe gives back with a refund."""

from __future__ import annotations

from sqlalchemy import update

from tests.builders import T0, in_tx, load, make_buyers, make_event, make_session, make_ticket_type
from tests.factories import make_org
from tests.ledger_helpers import account_net, assert_books_balance, kinds
from ticketing.db import session_scope
from ticketing.models import Order, Payment, RefundReason
from ticketing.services.ledger import reports
from ticketing.services.sales import cancellation, holds, orders, payments


def _order(quantity: int = 2):
    with session_scope() as db:
        owner, buyer = make_buyers(db, 2)
        org = make_org(db, owner=owner, now=T0)
        event = make_event(db, org=org, title="Ledger", max_tickets_per_order=4)
        s = make_session(db, event=event, name="S", capacity=10)
        t = make_ticket_type(db, event=event, name="T", sessions=[s], price_minor=2000)
        ids = (org.id, owner.id, buyer.id, event.id, t.id)
    org_id, owner_id, buyer_id, event_id, type_id = ids
    h = in_tx(holds.hold_tickets, event_id=event_id, user_id=buyer_id, items=[(type_id, quantity)], now=T0)
    order = in_tx(orders.checkout, hold_id=h.id, user_id=buyer_id, attendees=None, now=T0)
    return org_id, owner_id, event_id, order


def _apply(order: Order, *, fee: int | None, txn: str = "", intent_id: str = "pi_ledger") -> str:
    facts = payments.IntentFacts(id=intent_id, order_id=order.id, status="succeeded", amount=order.total_minor,
                                 currency=order.currency, balance_txn=txn, fee=fee)
    return in_tx(payments.apply_intent, intent=facts, now=T0, cause="test").outcome


def test_a_discounted_order_posts_list_price_and_discount_and_a_late_fee_once():
    org, owner, event_id, order = _order()
    with session_scope() as db:  # 40.00 at list price, sold for 36.00 (a promotion)
        db.exec(update(Order).where(Order.id == order.id).values(total_minor=3600, discount_minor=400))
    order = load(Order, order.id)
    assert _apply(order, fee=None) == "confirmed"  # Stripe has no balance transaction yet
    assert kinds(org) == {"payment": 1}
    assert _apply(order, fee=79, txn="txn_1") == "already_confirmed"  # a later delivery brings the fee
    assert _apply(order, fee=79, txn="txn_1") == "already_confirmed"
    assert kinds(org) == {"payment": 1, "stripe_fee": 1}
    assert account_net(org) == {"stripe_balance": 3600 - 79, "ticket_revenue": -4000, "discounts": 400,
                                "stripe_fees": 79}
    summary = in_tx(reports.event_summary, user_id=owner, organization_id=org, event_id=event_id)
    assert (summary.gross, summary.discounts, summary.fees, summary.net) == (4000, 400, 79, 3600 - 79)
    assert_books_balance(org)


def test_a_refund_posts_when_stripe_made_it_with_the_fee_it_gave_back():
    org, owner, event_id, order = _order()
    _apply(order, fee=85, txn="txn_pay")
    with session_scope() as db:
        payment = db.get(Payment, "pi_ledger")
        refund = payments.owe_refund(db=db, order=db.get(Order, order.id), payment=payment, amount_minor=1000,
                                     reason=RefundReason.cancellation, now=T0)
        refund_id = refund.id
    assert kinds(org) == {"payment": 1, "stripe_fee": 1}  # owed is not yet given back
    in_tx(payments.complete_refund, refund_id=refund_id, now=T0, stripe_refund_id="re_1", balance_txn="txn_re",
          fee_returned=21)
    in_tx(payments.complete_refund, refund_id=refund_id, now=T0, stripe_refund_id="re_1", balance_txn="txn_re",
          fee_returned=21)  # answered twice: posted once
    assert kinds(org) == {"payment": 1, "stripe_fee": 1, "refund": 1, "fee_refund": 1}
    net = account_net(org)
    assert (net["refunds"], net["stripe_fees"], net["stripe_balance"]) == (1000, 85 - 21, 4000 - 85 - 1000 + 21)
    summary = in_tx(reports.event_summary, user_id=owner, organization_id=org, event_id=event_id)
    assert (summary.gross, summary.refunds, summary.fees, summary.net) == (4000, 1000, 64, 4000 - 1000 - 64)
    refused = in_tx(payments.owe_refund, order=load(Order, order.id), payment=load(Payment, "pi_ledger"),
                    amount_minor=500, reason=RefundReason.cancellation, now=T0)
    in_tx(payments.complete_refund, refund_id=refused.id, now=T0, error="charge disputed")
    assert kinds(org)["refund"] == 1  # a refund Stripe refused moved no money
    assert_books_balance(org)


def test_a_ticket_cancelled_before_payment_is_neither_revenue_nor_discount():
    org, owner, event_id, order = _order()
    with session_scope() as db:  # one of the two tickets cancelled while the order waits for payment
        first = orders.order_tickets(db=db, order_id=order.id)[0].id
        cancellation.cancel_order(db=db, order_id=order.id, user_id=order.user_id, ticket_ids=[first], now=T0)
    order = load(Order, order.id)
    assert order.total_minor == 2000
    assert _apply(order, fee=55, txn="txn_1") == "confirmed"
    assert account_net(org) == {"stripe_balance": 2000 - 55, "ticket_revenue": -2000, "stripe_fees": 55}
    assert_books_balance(org)
