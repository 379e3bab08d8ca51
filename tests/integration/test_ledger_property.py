"""Random sequences of holds, checkouts, card payments, webhooks (late, out of order,
delivered twice), partial and whole cancellations, refunds made in Stripe's dashboard (also
while a refund of ours is still pending: the refund jobs run when a rule says so), late
payments and an event cancellation, against PostgreSQL and the real localstripe (with fees).
After every step:

1. every entry balances per currency and the trial balance is zero;
2. revenue minus discounts minus refunds equals what the payments and refunds say was kept;
3. the fees posted equal what Stripe reported on each payment's balance transaction;
4. nothing is posted twice: one payment and one fee entry per succeeded payment, one refund
   entry per refund Stripe made.
At the end, once every intent's webhook has arrived, the reconciliation with Stripe's balance
transactions finds no difference.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import stripe
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, rule, run_state_machine_as_test
from sqlmodel import select

from tests.builders import cancel_choice
from tests.ledger_helpers import account_net, assert_books_balance, entries, org_of, owner_of
from tests.payments_helpers import (
    DECLINED,
    VISA,
    expire_order,
    intent_event,
    make_shop,
    open_intent,
    pay_at_stripe_only,
    signed,
    stripe_event,
)
from tests.stripe_server import tokenize_card
from ticketing.db import session_scope
from ticketing.jobs.worker import run_pending_jobs
from ticketing.models import Event, Order, Payment, Refund
from ticketing.models.base import utcnow
from ticketing.payments import intents, reconcile, refunds, stripe_api, webhooks
from ticketing.services.catalog.event_cancellation import cancel_event_with_orders
from ticketing.services.errors import ServiceError
from ticketing.services.sales import holds, orders
from ticketing.settings import get_settings

pytestmark = pytest.mark.usefixtures("localstripe")


class LedgerMachine(RuleBasedStateMachine):
    orders = Bundle("orders")  # (order id, buyer id)
    paid_at_stripe = Bundle("paid_at_stripe")  # intent ids charged at Stripe, maybe not told yet

    def __init__(self) -> None:
        super().__init__()
        self.start = utcnow() - timedelta(minutes=1)
        self.shop = make_shop(capacity=5, cancellation_fee_percent=20, max_tickets_per_order=3)
        self.org = org_of(self.shop.event_id)
        self.owner = owner_of(self.org)
        self.buyers = [self.shop.buyer_id, self.shop.other_id]
        self.fees: dict[str, int] = {}  # intent id -> fee Stripe reported
        self.deliveries: list[dict] = []

    def _try(self, fn, **kw):
        try:
            with session_scope() as db:
                return fn(db=db, now=utcnow(), **kw)
        except ServiceError:
            return None  # a legitimate refusal (sold out, cancelled...): the books must not move

    def _deliver(self, event: dict) -> str:
        payload, header = signed(event)
        self.deliveries.append(event)
        return webhooks.handle_webhook(payload, header)

    @rule(target=orders, buyer=st.integers(0, 1), qty=st.integers(1, 3),
          how=st.sampled_from(["card", "stripe_only", "declined", "unpaid"]))
    def buy(self, buyer, qty, how):
        user = self.buyers[buyer]
        hold = self._try(holds.hold_tickets, event_id=self.shop.event_id, user_id=user,
                         items=[(self.shop.type_id, qty)])
        if hold is None:
            return multiple()
        order = self._try(orders.checkout, hold_id=hold.id, user_id=user, attendees=None)
        if order is None:
            return multiple()
        if how in ("card", "declined"):
            token = tokenize_card(get_settings().stripe_api_base, VISA if how == "card" else DECLINED)
            intents.pay_with_card(order_id=order.id, user_id=user, token_id=token)
        elif how == "stripe_only":
            pay_at_stripe_only(order)
        return (order.id, user)

    @rule(placed=orders, kind=st.sampled_from(["succeeded", "payment_failed", "canceled"]), twice=st.booleans())
    def webhook(self, placed, kind, twice):
        """Any intent event, in any order: the handler re-fetches the intent and acts on its state."""
        with session_scope(readonly=True) as db:
            intent_id = db.get(Order, placed[0]).payment_intent_id
        if intent_id is None:
            return
        event = intent_event(kind, intent_id)
        self._deliver(event)
        if twice:
            assert self._deliver(event) == "duplicate"

    @rule(target=paid_at_stripe, placed=orders, others_take_the_places=st.booleans())
    def late_payment(self, placed, others_take_the_places):
        """The buyer opened the payment page in time and paid after the deadline."""
        with session_scope(readonly=True) as db:
            if db.get(Order, placed[0]).status != "pending":
                return multiple()
        try:
            intent_id = open_intent(self._order(placed[0]))
        except ServiceError:
            return multiple()
        expire_order(placed[0])
        if others_take_the_places:
            other = self.buyers[1 - self.buyers.index(placed[1])]
            self._try(holds.hold_tickets, event_id=self.shop.event_id, user_id=other, items=[(self.shop.type_id, 3)])
        pay_at_stripe_only(self._order(placed[0]), intent_id=intent_id)
        return intent_id

    @rule(intent_id=paid_at_stripe, twice=st.booleans())
    def late_webhook(self, intent_id, twice):
        event = intent_event("succeeded", intent_id)
        self._deliver(event)
        if twice:
            self._deliver(event)

    @rule(placed=orders, partial=st.booleans(), by_organizer=st.booleans())
    def cancel(self, placed, partial, by_organizer):
        order_id, buyer = placed
        ticket_ids = cancel_choice(order_id, partial)
        self._try(refunds.cancel_order_with_refund, order_id=order_id, ticket_ids=ticket_ids,
                  user_id=self.owner if by_organizer else buyer, by_organizer=by_organizer)

    @rule(placed=orders, amount=st.integers(1, 500))
    def dashboard_refund(self, placed, amount):
        """Someone refunds part of a payment in Stripe's dashboard; charge.refunded tells us."""
        with session_scope(readonly=True) as db:
            payment = db.exec(select(Payment).where(Payment.order_id == placed[0],
                                                    Payment.status == "succeeded")).first()
        if payment is None:
            return
        try:
            refund = stripe_api.client().v1.refunds.create(params={"payment_intent": payment.id, "amount": amount})
        except stripe.InvalidRequestError:  # nothing left to refund at Stripe
            return
        made = refund.to_dict()
        self._deliver(stripe_event("charge.refunded", {"id": made["charge"], "object": "charge"}))
        with session_scope(readonly=True) as db:  # recorded as Stripe made it, whatever of ours is pending
            recorded = db.exec(select(Refund).where(Refund.stripe_refund_id == made["id"])).one()
        assert (recorded.amount_minor, recorded.status) == (amount, "succeeded")

    @rule()
    def cancel_event(self):
        with session_scope(readonly=True) as db:
            if db.get(Event, self.shop.event_id).status == "cancelled":
                return
        self._try(cancel_event_with_orders, user_id=self.owner, event_id=self.shop.event_id,
                  cancel_order=refunds.cancel_order_refunding)

    def _order(self, order_id) -> Order:
        with session_scope(readonly=True) as db:
            return db.get(Order, order_id)

    @rule()
    def jobs_run(self):
        """Refunds and their follow-ups are jobs queued with the change: they run at some point,
        so a dashboard refund or a webhook may come while a refund of ours is still pending."""
        run_pending_jobs()

    @invariant()
    def books_balance_and_match_the_orders(self):
        assert_books_balance(self.org)
        with session_scope(readonly=True) as db:
            event_orders = select(Order.id).where(Order.event_id == self.shop.event_id)
            paid = db.exec(select(Payment).where(Payment.order_id.in_(event_orders),
                                                 Payment.status == "succeeded")).all()
            refunded = db.exec(select(Refund).where(Refund.order_id.in_(event_orders),
                                                    Refund.status == "succeeded")).all()
        net = account_net(self.org)
        kept = sum(p.amount_minor for p in paid) - sum(r.amount_minor for r in refunded)
        assert -net["ticket_revenue"] - net["discounts"] - net["refunds"] == kept
        assert net["stripe_balance"] == kept - net["stripe_fees"]
        for p in paid:
            if p.id not in self.fees:
                self.fees[p.id] = stripe_api.retrieve_intent(p.id)[0].fee or 0
        assert net["stripe_fees"] == sum(self.fees[p.id] for p in paid)
        posted = Counter((e.kind, e.source_id) for e, _ in entries(self.org))
        assert all(n == 1 for n in posted.values()), posted
        assert {s for k, s in posted if k == "payment"} == {p.id for p in paid}
        assert {s for k, s in posted if k == "stripe_fee"} == {p.id for p in paid}
        assert {s for k, s in posted if k == "refund"} == {str(r.id) for r in refunded}

    def teardown(self):
        # Stripe delivers every event in the end: a charge we were never told about is a real
        # difference the reconciliation would (rightly) report, so tell us about every intent first.
        with session_scope(readonly=True) as db:
            intent_ids = db.exec(select(Payment.id).join(Order, Order.id == Payment.order_id)
                                 .where(Order.event_id == self.shop.event_id)).all()
        run_pending_jobs()
        for intent_id in intent_ids:
            self._deliver(intent_event("succeeded", intent_id))
        self.books_balance_and_match_the_orders()
        found = reconcile.reconcile(organization_id=self.org, date_from=self.start,
                                    date_to=utcnow() + timedelta(minutes=1))
        assert found.differences == [], found.differences


def test_the_books_stay_balanced_and_true_whatever_happens():
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=15, stateful_step_count=16, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
