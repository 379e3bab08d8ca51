"""Real parallel transactions on PostgreSQL: waiting-list offers made by several passes at once
while orders are cancelled, holds released, other holds lapse, the sweeper runs and direct
buyers try to take the freed places (and the lapsed holders to re-take theirs at checkout). Never
offered twice, never oversold, and freed places go to the list: the control takes the list's gate
away and shows direct buyers then win them."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.builders import T0, error_of, in_tx, make_buyers, make_event, make_session, make_ticket_type
from tests.factories import make_org
from tests.integration.test_concurrency_pg import retrying
from ticketing.db import session_scope
from ticketing.models import EntryStatus, EventSession, Hold, HoldStatus, Order, OrderStatus, WaitlistEntry
from ticketing.services.errors import ServiceError
from ticketing.services.sales import cancellation, holds, orders, usage, waitlist, waitlist_gate, waitlist_offers
from ticketing.services.sales.sweeper import sweep

pytestmark = pytest.mark.postgres
CAPACITY = 12
WAITERS = 20
JOINED = T0 + timedelta(minutes=11)
RACE = T0 + timedelta(minutes=20)  # the holds taken at T0 have lapsed, those taken at +10 min live


def build() -> dict:
    with session_scope() as db:
        owner = make_buyers(db, 1, name="Owner")[0]
        event = make_event(db, org=make_org(db, owner=owner, now=T0), title="Full House", max_tickets_per_order=5)
        night = make_session(db, event=event, name="Night", capacity=CAPACITY)
        ga = make_ticket_type(db, event=event, name="Standing", sessions=[night])  # free: confirmed at checkout
        people = [u.id for u in make_buyers(db, 12 + WAITERS + 10)]
    data = {"event": event.id, "session": night.id, "ga": ga.id, "cancellers": people[:4], "lapsers": people[4:8],
            "releasers": people[8:12], "waiters": people[12:12 + WAITERS], "direct": people[12 + WAITERS:]}

    def take(user, now):
        return in_tx(holds.hold_tickets, event_id=event.id, user_id=user, items=[(ga.id, 1)], now=now)

    data["orders"] = {}
    for user in data["cancellers"]:
        order = in_tx(orders.checkout, hold_id=take(user, T0).id, user_id=user, attendees=None, now=T0)
        data["orders"][user] = order.id
    data["lapsed"] = {user: take(user, T0).id for user in data["lapsers"]}
    data["holds"] = {user: take(user, T0 + timedelta(minutes=10)).id for user in data["releasers"]}
    for i, user in enumerate(data["waiters"]):
        in_tx(waitlist.join_waitlist, event_id=event.id, user_id=user, ticket_type_id=ga.id, quantity=1,
              now=JOINED + timedelta(microseconds=i))
    return data


def race(data: dict) -> Counter:
    """Everything at once, at RACE: cancellations, releases, a sweep, six offer passes, direct
    buyers, and the lapsed holders checking out their expired holds."""
    jobs = ([("cancel", u) for u in data["cancellers"]] + [("release", u) for u in data["releasers"]]
            + [("offers", None)] * 6 + [("sweep", None)] + [("buy", u) for u in data["direct"]]
            + [("retake", u) for u in data["lapsers"]])
    start = threading.Barrier(len(jobs))

    def run(job) -> str:
        kind, user = job
        start.wait(timeout=30)
        if kind == "cancel":
            retrying(cancellation.cancel_order, order_id=data["orders"][user], user_id=user, now=RACE)
        elif kind == "release":
            retrying(holds.release_hold, hold_id=data["holds"][user], user_id=user, now=RACE)
        elif kind == "sweep":
            retrying(sweep, now=RACE)
        elif kind == "retake":
            try:
                retrying(orders.checkout, hold_id=data["lapsed"][user], user_id=user, attendees=None, now=RACE)
            except ServiceError as exc:
                return f"retake:{exc.code}"
            return "retake:won"
        elif kind == "offers":
            while retrying(waitlist_offers.offer_next, event_id=data["event"], ticket_type_id=data["ga"], now=RACE):
                pass
        else:
            try:
                retrying(holds.hold_tickets, event_id=data["event"], user_id=user, items=[(data["ga"], 1)], now=RACE)
            except ServiceError as exc:
                return f"buy:{exc.code}"
            return "buy:won"
        return kind

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        outcome = Counter(pool.map(run, jobs))
    while retrying(waitlist_offers.offer_next, event_id=data["event"], ticket_type_id=data["ga"], now=RACE):
        pass  # what the next pass would offer (places freed after the racing passes gave up)
    return outcome


def check_never_oversold(data: dict) -> None:
    with session_scope(readonly=True) as db:
        night = db.get(EventSession, data["session"])
        assert usage.session_usage(db=db, sessions=[night], now=RACE)[night.id].taken <= CAPACITY


def test_offers_race_cancellations_lapses_and_direct_buyers():
    data = build()
    outcome = race(data)
    check_never_oversold(data)
    assert outcome["buy:won"] == 0 and outcome["retake:won"] == 0, outcome  # the freed places were the list's
    with session_scope(readonly=True) as db:
        entries = db.exec(select(WaitlistEntry).order_by(WaitlistEntry.created_at)).all()
        offered = [e for e in entries if e.status == EntryStatus.offered.value]
        offer_holds = db.exec(select(Hold).where(Hold.id.in_([e.hold_id for e in offered]))).all()
    # Every freed place offered once: 4 lapsed + 4 released + 4 cancelled, to the first twelve in line.
    assert len(offered) == CAPACITY
    assert [e.user_id for e in offered] == data["waiters"][:CAPACITY]
    assert all(e.offers == 1 for e in entries if e.status == EntryStatus.offered.value)
    assert all(e.offers == 0 and e.status == EntryStatus.waiting.value for e in entries[CAPACITY:])
    assert len({h.user_id for h in offer_holds}) == CAPACITY
    assert all(h.status == HoldStatus.active.value and h.expires_at > RACE for h in offer_holds)


def test_control_without_the_gate_direct_buyers_take_the_freed_places(monkeypatch):
    monkeypatch.setattr(waitlist_gate, "waiting_type", lambda db, type_ids: None)
    data = build()
    outcome = race(data)
    check_never_oversold(data)  # the places' locks still hold: only the list loses
    with session_scope(readonly=True) as db:
        offered = db.exec(select(WaitlistEntry).where(WaitlistEntry.status == EntryStatus.offered.value)).all()
    won = outcome["buy:won"] + outcome["retake:won"]
    assert won > 0 and len(offered) == CAPACITY - won, outcome


def test_a_lapsed_hold_re_taken_at_checkout_does_not_jump_the_list():
    """One lapsed holder at a time, nothing racing: while anyone waits, the expired hold is not
    re-taken (409 `hold_expired`, reason `waiting_list`) and nothing changes; once nobody waits,
    the same re-take succeeds (the places were free all along: only the list refused)."""
    data = build()
    lapser = data["lapsers"][0]
    refused = error_of(orders.checkout, hold_id=data["lapsed"][lapser], user_id=lapser, attendees=None, now=RACE)
    assert (refused.code, refused.extra.get("reason")) == ("hold_expired", "waiting_list"), refused
    with session_scope(readonly=True) as db:
        assert db.get(Hold, data["lapsed"][lapser]).status == HoldStatus.active.value
        assert db.exec(select(Order).where(Order.hold_id == data["lapsed"][lapser])).first() is None
        # Nobody waits any more: the places are the lapsed holder's to re-take again.
        waiting = db.exec(select(WaitlistEntry.id, WaitlistEntry.user_id)).all()
    for entry_id, user in waiting:
        in_tx(waitlist.leave_waitlist, entry_id=entry_id, user_id=user, now=RACE)
    in_tx(orders.checkout, hold_id=data["lapsed"][lapser], user_id=lapser, attendees=None, now=RACE)
    with session_scope(readonly=True) as db:
        order = db.exec(select(Order).where(Order.hold_id == data["lapsed"][lapser])).one()
        assert order.status == OrderStatus.confirmed.value
