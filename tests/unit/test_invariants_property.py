"""Random sequences of hold / release / checkout / confirm / cancel / expire / time passing /
capacity edits, checked after every step against the capacity invariants:

1. per session: sold + pending-unexpired + held-unexpired <= capacity; per quota likewise;
2. the `sold` counters of sessions and ticket types equal the valid tickets covering them;
3. the claim counters equal the sums of the existing claims;
4. live claims belong to live owners and match them exactly (hold items, pending tickets).
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import select

from tests.builders import T0, cancel_choice, make_buyers, make_event, make_session, make_ticket_type
from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.models import (
    EventSession,
    Hold,
    HoldItem,
    Order,
    PlaceClaim,
    SessionPrerequisite,
    Ticket,
    TicketType,
    TicketTypeSession,
)
from ticketing.services import catalog
from ticketing.services.errors import ServiceError
from ticketing.services.sales import cancellation, holds, orders, sweeper, usage

# Refusals that are legitimate answers to a random request; anything else fails the test.
HOLD_REFUSALS = {"insufficient_capacity", "quota_reached", "prerequisite_missing", "active_hold_exists",
                 "max_per_order_exceeded", "quantity_out_of_range"}
CHECKOUT_REFUSALS = {"hold_expired", "hold_converted"}
CONFIRM_REFUSALS = {"order_expired_places_gone", "order_cancelled"}
CANCEL_REFUSALS = {"not_cancellable"}


class CapacityMachine(RuleBasedStateMachine):
    holds = Bundle("holds")  # (hold id, buyer)
    orders = Bundle("orders")  # (order id, buyer)

    def __init__(self) -> None:
        super().__init__()
        with session_scope() as db:
            owner = make_buyers(db, 1, name="Owner")[0]
            event = make_event(db, org=make_org(db, owner=owner, now=T0), title="Property", max_tickets_per_order=4,
                               hold_minutes=10, payment_minutes=15, cancellation_fee_percent=25,
                               cancellation_deadline_hours=1)
            s = [make_session(db, event=event, name=f"S{i}", capacity=c, starts_at=T0 + timedelta(days=i + 1))
                 for i, c in enumerate((4, 4, 3))]
            db.add(SessionPrerequisite(session_id=s[2].id, prerequisite_session_id=s[0].id))
            types = [
                make_ticket_type(db, event=event, name="A", sessions=[s[0]], price_minor=1000),
                make_ticket_type(db, event=event, name="B", sessions=[s[0], s[1]], price_minor=2500, max_quantity=4),
                make_ticket_type(db, event=event, name="C", sessions=[s[1], s[2]], price_minor=1500),
                make_ticket_type(db, event=event, name="D", sessions=[s[0], s[2]], price_minor=0),
            ]
            self.owner, self.event_id = owner.id, event.id
            self.session_ids = [x.id for x in s]
            self.type_ids = [t.id for t in types]
            self.users = [u.id for u in make_buyers(db, 6)]
        self.now = T0

    def _call(self, fn, allowed: set[str], **kwargs):
        try:
            with session_scope() as db:
                return fn(db=db, now=self.now, **kwargs)
        except ServiceError as exc:
            assert exc.code in allowed, (fn.__name__, exc.code, exc.message)
            return None

    @rule(target=holds, user=st.integers(0, 5), first=st.integers(0, 3), q1=st.integers(1, 2),
          second=st.integers(0, 3), q2=st.integers(0, 1))
    def hold(self, user, first, q1, second, q2):
        items = [(self.type_ids[first], q1)] + ([(self.type_ids[second], q2)] if q2 else [])
        h = self._call(holds.hold_tickets, HOLD_REFUSALS, event_id=self.event_id, user_id=self.users[user], items=items)
        return multiple() if h is None else (h.id, h.user_id)

    @rule(target=orders, user=st.integers(0, 5), kind=st.integers(0, 3), qty=st.integers(1, 2), pay=st.booleans())
    def buy(self, user, kind, qty, pay):
        """Hold, check out and maybe pay at once: orders are where the interesting states are."""
        h = self._call(holds.hold_tickets, HOLD_REFUSALS, event_id=self.event_id, user_id=self.users[user],
                       items=[(self.type_ids[kind], qty)])
        if h is None:
            return multiple()
        order = self._call(orders.checkout, set(), hold_id=h.id, user_id=h.user_id, attendees=None)
        if pay:
            self._call(orders.confirm_order, set(), order_id=order.id)
        return (order.id, order.user_id)

    @rule(placed=orders, user=st.integers(0, 5))
    def others_buy_then_late_payment(self, placed, user):
        """The adversarial timing: a payment arrives after the deadline, once others took places."""
        self.now += timedelta(minutes=16)
        for kind in range(4):
            for qty in (2, 1):
                self.buy(user=user, kind=kind, qty=qty, pay=True)
        self._call(orders.confirm_order, CONFIRM_REFUSALS, order_id=placed[0])

    @rule(held=consumes(holds))
    def release(self, held):
        self._call(holds.release_hold, {"hold_converted"}, hold_id=held[0], user_id=held[1])

    @rule(target=orders, held=consumes(holds))
    def checkout(self, held):
        order = self._call(orders.checkout, CHECKOUT_REFUSALS, hold_id=held[0], user_id=held[1], attendees=None)
        return multiple() if order is None else (order.id, order.user_id)

    @rule(placed=orders)
    def confirm(self, placed):
        self._call(orders.confirm_order, CONFIRM_REFUSALS, order_id=placed[0])

    @rule(placed=orders, partial=st.booleans(), by_organizer=st.booleans())
    def cancel(self, placed, partial, by_organizer):
        order_id, buyer = placed
        ticket_ids = cancel_choice(order_id, partial)
        self._call(cancellation.cancel_order, CANCEL_REFUSALS, order_id=order_id, ticket_ids=ticket_ids,
                   user_id=self.owner if by_organizer else buyer, by_organizer=by_organizer)

    @rule(minutes=st.sampled_from([1, 3, 6, 11, 16]))
    def time_passes(self, minutes):
        self.now += timedelta(minutes=minutes)

    @rule(full_sweep=st.booleans())
    def tidy(self, full_sweep):
        with session_scope() as db:
            if full_sweep:
                sweeper.sweep(db=db, now=self.now)
            else:
                orders.expire_orders(db=db, now=self.now)

    @rule(session=st.integers(0, 2), delta=st.integers(-2, 2))
    def edit_capacity(self, session, delta):
        with session_scope(readonly=True) as db:
            current = db.get(EventSession, self.session_ids[session]).capacity
        self._call(catalog.update_session, {"capacity_below_taken", "invalid_capacity"}, user_id=self.owner,
                   event_id=self.event_id, session_id=self.session_ids[session], capacity=current + delta)

    @invariant()
    def never_oversold_and_counters_reconcile(self):
        with session_scope(readonly=True) as db:
            sessions = db.exec(select(EventSession).where(EventSession.id.in_(self.session_ids))).all()
            types = db.exec(select(TicketType).where(TicketType.id.in_(self.type_ids))).all()
            s_used = usage.session_usage(db=db, sessions=sessions, now=self.now)
            t_used = usage.ticket_type_usage(db=db, ticket_types=types, now=self.now)
            includes = db.exec(select(TicketTypeSession.ticket_type_id, TicketTypeSession.session_id)
                               .where(TicketTypeSession.ticket_type_id.in_(self.type_ids))).all()
            valid = Counter(db.exec(select(Ticket.ticket_type_id).where(
                Ticket.event_id == self.event_id, Ticket.status == "valid")).all())
            for s in sessions:
                assert s_used[s.id].taken <= s.capacity, (s.name, s_used[s.id], s.capacity)
                assert s.sold == sum(valid[t] for t, sid in includes if sid == s.id), s.name
            for t in types:
                assert t.sold == valid[t.id], t.name
                if t.max_quantity is not None:
                    assert t_used[t.id].taken <= t.max_quantity, t.name

    @invariant()
    def claim_counters_are_the_sums_of_the_claims(self):
        """The database's counters (migration 0009) equal every existing claim, expired or not."""
        with session_scope(readonly=True) as db:
            held, pending = Counter(), Counter()
            for c in db.exec(select(PlaceClaim).where(PlaceClaim.event_id == self.event_id)).all():
                (held if c.order_id is None else pending)[c.session_id or c.ticket_type_id] += c.quantity
            rows = [*db.exec(select(EventSession).where(EventSession.id.in_(self.session_ids))).all(),
                    *db.exec(select(TicketType).where(TicketType.id.in_(self.type_ids))).all()]
            for row in rows:
                assert (row.claimed_held, row.claimed_pending) == (held[row.id], pending[row.id]), row.name

    @invariant()
    def live_claims_match_their_live_owners(self):
        with session_scope(readonly=True) as db:
            claims = db.exec(select(PlaceClaim).where(PlaceClaim.event_id == self.event_id,
                                                      PlaceClaim.expires_at > self.now)).all()
            includes = db.exec(select(TicketTypeSession.ticket_type_id, TicketTypeSession.session_id)
                               .where(TicketTypeSession.ticket_type_id.in_(self.type_ids))).all()
            quota_types = set(db.exec(select(TicketType.id).where(TicketType.id.in_(self.type_ids),
                                                                  TicketType.max_quantity.is_not(None))).all())
            by_owner: dict[uuid.UUID, Counter] = {}
            for c in claims:
                owner = c.hold_id or c.order_id
                by_owner.setdefault(owner, Counter())[c.session_id or c.ticket_type_id] += c.quantity
            for owner, got in by_owner.items():
                hold = db.get(Hold, owner)
                if hold is not None:
                    assert hold.status == "active" and hold.expires_at > self.now
                    units = {i.ticket_type_id: i.quantity for i in db.exec(
                        select(HoldItem).where(HoldItem.hold_id == owner)).all()}
                else:
                    order = db.get(Order, owner)
                    assert order.status == "pending" and order.payment_due_at > self.now
                    units = Counter(db.exec(select(Ticket.ticket_type_id).where(
                        Ticket.order_id == owner, Ticket.status == "pending")).all())
                want: Counter = Counter()
                for type_id, qty in units.items():
                    for t, sid in includes:
                        if t == type_id:
                            want[sid] += qty
                    if type_id in quota_types:
                        want[type_id] += qty
                assert got == +want, (owner, got, want)
            # A pending order's amount due is what its live tickets cost at the order's prices.
            for order in db.exec(select(Order).where(Order.event_id == self.event_id, Order.status == "pending")).all():
                unit_price = {i.id: i.unit_price_minor for i in orders.order_items(db=db, order_id=order.id)}
                live = db.exec(select(Ticket).where(Ticket.order_id == order.id, Ticket.status != "cancelled")).all()
                assert order.total_minor == sum(unit_price[t.order_item_id] for t in live), order.number


def test_random_sales_never_break_the_invariants():
    run_state_machine_as_test(
        CapacityMachine,
        settings=settings(max_examples=25, stateful_step_count=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]),
    )
