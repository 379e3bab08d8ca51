"""Real parallel transactions on PostgreSQL racing for the last places.

Each buyer runs in its own thread and its own session_scope (its own connection), like
concurrent API requests. A control test switches the row locks off and shows the race exists,
so the locked tests are known to bite.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.builders import T0, error_of, in_tx, make_buyers, make_event, make_session, make_ticket_type
from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.models import EventSession, Order, TicketType
from ticketing.services import catalog
from ticketing.services.errors import ServiceError
from ticketing.services.sales import hold_store, holds, orders, places, usage

pytestmark = pytest.mark.postgres
WORKERS = 16


def build_race(*, capacity: int, already_sold: int, buyers: int, price_minor: int = 2500) -> dict:
    """One contested session shared by three overlapping ticket types (alone, + X, + Y)."""
    with session_scope() as db:
        org = make_org(db, owner=make_buyers(db, 1)[0], now=T0)
        event = make_event(db, org=org, title="Race", max_tickets_per_order=10)
        hot = make_session(db, event=event, name="Hot", capacity=capacity)
        x = make_session(db, event=event, name="X", capacity=10_000)
        y = make_session(db, event=event, name="Y", capacity=10_000)
        hot.sold = already_sold
        db.add(hot)
        types = [
            make_ticket_type(db, event=event, name="Hot only", sessions=[hot], price_minor=price_minor),
            make_ticket_type(db, event=event, name="Hot + X", sessions=[hot, x], price_minor=price_minor),
            make_ticket_type(db, event=event, name="Hot + Y", sessions=[hot, y], price_minor=price_minor,
                             max_quantity=10_000),
        ]
        return {"event_id": event.id, "hot": hot.id, "types": [t.id for t in types],
                "buyers": [u.id for u in make_buyers(db, buyers)]}


def retrying(fn, /, **kwargs):
    """Run a use case in its own transaction, retrying `busy` like a client would."""
    for _ in range(50):
        try:
            return in_tx(fn, **kwargs)
        except ServiceError as exc:
            if exc.code != "busy":
                raise
            time.sleep(0.01)
    raise AssertionError("still busy after 50 tries")


def race(race_data: dict, *, full_flow: bool) -> tuple[list[uuid.UUID], Counter]:
    """Every buyer tries to hold one unit (and, with full_flow, checks out and pays)."""
    start = threading.Barrier(min(WORKERS, len(race_data["buyers"])))
    started = threading.local()
    types = race_data["types"]

    def attempt(i: int, user_id: uuid.UUID):
        if not getattr(started, "done", False):  # line the workers up once, then let them run
            started.done = True
            start.wait(timeout=30)
        try:
            h = retrying(holds.hold_tickets, event_id=race_data["event_id"], user_id=user_id,
                         items=[(types[i % 3], 1)], now=T0)
        except ServiceError as exc:
            return ("refused", exc.code)
        if full_flow:
            order = retrying(orders.checkout, hold_id=h.id, user_id=user_id, attendees=None, now=T0)
            retrying(orders.confirm_order, order_id=order.id, now=T0)
        return ("won", user_id)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(lambda p: attempt(*p), enumerate(race_data["buyers"])))
    winners = [r[1] for r in results if r[0] == "won"]
    return winners, Counter(r[1] for r in results if r[0] == "refused")


def hot_usage(race_data: dict) -> tuple[int, usage.Usage]:
    with session_scope(readonly=True) as db:
        hot = db.get(EventSession, race_data["hot"])
        return hot.capacity, usage.session_usage(db=db, sessions=[hot], now=T0)[hot.id]


def test_200_buyers_for_the_last_50_places_through_three_overlapping_types():
    data = build_race(capacity=250, already_sold=200, buyers=200)
    winners, refusals = race(data, full_flow=True)
    assert len(winners) == 50
    assert refusals == Counter({"insufficient_capacity": 150})
    capacity, used = hot_usage(data)
    assert (used.sold, used.pending, used.held) == (250, 0, 0) and used.taken == capacity
    with session_scope(readonly=True) as db:
        sold_by_type = [db.get(TicketType, t).sold for t in data["types"]]
        numbers = db.exec(select(Order.number).where(Order.event_id == data["event_id"])).all()
        x_sold = db.exec(select(EventSession.sold).where(EventSession.name == "X",
                                                         EventSession.event_id == data["event_id"])).one()
    assert sum(sold_by_type) == 50 and x_sold == sold_by_type[1]
    # Order numbers come from one locked counter: no repeats, no gaps.
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 51))


def test_50_buyers_for_1_place():
    data = build_race(capacity=1, already_sold=0, buyers=50)
    winners, refusals = race(data, full_flow=False)
    assert len(winners) == 1 and refusals == Counter({"insufficient_capacity": 49})
    _, used = hot_usage(data)
    assert (used.held, used.taken) == (1, 1)


def test_one_user_racing_themselves_gets_exactly_one_hold():
    data = build_race(capacity=100, already_sold=0, buyers=1)
    user = data["buyers"][0]
    data["buyers"] = [user] * 12  # the same customer double-clicking in twelve tabs
    winners, refusals = race(data, full_flow=False)
    assert len(winners) == 1 and refusals == Counter({"active_hold_exists": 11})


def test_control_without_row_locks_the_race_oversells(monkeypatch):
    """Known to bite: the same race with FOR UPDATE switched off sells the last place many times."""

    def unlocked(db, model, ids):
        return list(db.exec(select(model).where(model.id.in_(sorted(set(ids)))).order_by(model.id)).all())

    original = usage.locked_usage

    def slow_count(**kwargs):
        counted = original(**kwargs)
        time.sleep(0.05)  # widen the gap between counting and writing
        return counted

    monkeypatch.setattr(places, "lock_rows", unlocked)
    monkeypatch.setattr(usage, "locked_usage", slow_count)
    # The exact path only: the counters' path has its own control (test_claim_counters.py).
    monkeypatch.setattr(holds, "_grant_on_counters", lambda raw, **kwargs: None)
    data = build_race(capacity=1, already_sold=0, buyers=50)
    winners, _ = race(data, full_flow=False)
    capacity, used = hot_usage(data)
    assert len(winners) > 1 and used.taken > capacity


def test_checkout_and_release_of_the_same_hold_race_to_one_outcome():
    data = build_race(capacity=10, already_sold=0, buyers=20)
    outcomes = Counter()
    for user in data["buyers"]:
        h = in_tx(holds.hold_tickets, event_id=data["event_id"], user_id=user, items=[(data["types"][0], 1)], now=T0)
        barrier = threading.Barrier(2)

        def go(fn, **kw):
            barrier.wait(timeout=10)
            try:
                retrying(fn, **kw)
                return fn.__name__
            except ServiceError as exc:
                return exc.code

        with ThreadPoolExecutor(max_workers=2) as pool:
            a = pool.submit(go, orders.checkout, hold_id=h.id, user_id=user, attendees=None,
                            now=T0 + timedelta(seconds=1))
            b = pool.submit(go, holds.release_hold, hold_id=h.id, user_id=user, now=T0 + timedelta(seconds=1))
            outcome = (a.result(), b.result())
        assert outcome in {("checkout", "hold_converted"), ("hold_expired", "release_hold")}, outcome
        outcomes[outcome] += 1
        if outcome[0] == "checkout":
            break
    _, used = hot_usage(data)
    assert used.taken == outcomes[("checkout", "hold_converted")]


def test_buyers_of_disjoint_sessions_of_one_event_never_wait_on_each_other_into_a_deadlock():
    """Every hold inserts rows referencing the event (a FOR KEY SHARE lock on its row) and then
    bumps the event's version: with SELECT ... FOR UPDATE that deadlocks pairwise; the bump must
    take a lock compatible with key-share locks. No retries allowed here."""
    with session_scope() as db:
        org = make_org(db, owner=make_buyers(db, 1)[0], now=T0)
        event = make_event(db, org=org, title="Many rooms")
        type_ids = [make_ticket_type(db, event=event, name=f"Room {i}",
                                     sessions=[make_session(db, event=event, name=f"Room {i}", capacity=5)]).id
                    for i in range(WORKERS)]
        buyers = [u.id for u in make_buyers(db, WORKERS)]
        event_id = event.id
    start = threading.Barrier(WORKERS)

    def attempt(i: int):
        start.wait(timeout=30)
        began = time.monotonic()
        try:
            in_tx(holds.hold_tickets, event_id=event_id, user_id=buyers[i], items=[(type_ids[i], 1)], now=T0)
        except ServiceError as exc:
            return exc.code, time.monotonic() - began
        return "ok", time.monotonic() - began

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(attempt, range(WORKERS)))
    # A deadlock would abort someone (40P01 surfaces as `busy`): every attempt must succeed.
    assert [r[0] for r in results] == ["ok"] * WORKERS, results
    with session_scope(readonly=True) as db:
        from ticketing.models import Event

        assert db.get(Event, event_id).version == WORKERS


def test_same_user_checking_out_while_opening_a_new_hold_does_not_deadlock():
    """Checkout inserts an order (key-share lock on the user row) while holding the hold's row;
    a new hold locks the user row, then the user's holds. The user lock must not be FOR UPDATE."""
    data = build_race(capacity=100, already_sold=0, buyers=6)
    for user in data["buyers"]:
        h = in_tx(holds.hold_tickets, event_id=data["event_id"], user_id=user, items=[(data["types"][0], 1)], now=T0)
        barrier = threading.Barrier(2)

        def go(fn, **kw):
            barrier.wait(timeout=10)
            began = time.monotonic()
            try:
                in_tx(fn, **kw)
                return "ok", time.monotonic() - began
            except ServiceError as exc:
                return exc.code, time.monotonic() - began

        later = T0 + timedelta(seconds=1)
        with ThreadPoolExecutor(max_workers=2) as pool:
            a = pool.submit(go, orders.checkout, hold_id=h.id, user_id=user, attendees=None, now=later)
            b = pool.submit(go, holds.hold_tickets, event_id=data["event_id"], user_id=user,
                            items=[(data["types"][1], 1)], now=later)
            (ca, ta), (cb, tb) = a.result(), b.result()
        # A deadlock would abort one of the two (PostgreSQL's 40P01 surfaces as `busy`): both must
        # get a real answer. No wall-clock bound: the machine may be loaded.
        assert ca == "ok" and cb in {"ok", "active_hold_exists"}, (ca, cb, ta, tb)


def test_sweeps_racing_checkouts_of_expired_holds_neither_deadlock_nor_lose_places():
    """The sweeper deletes expired claims while their owners re-take them at checkout: both
    delete claims only under the sessions' locks, so they queue instead of deadlocking."""
    from ticketing.services.sales import sweeper

    data = build_race(capacity=30, already_sold=0, buyers=12)
    held = [in_tx(holds.hold_tickets, event_id=data["event_id"], user_id=u, items=[(data["types"][i % 3], 2)], now=T0)
            for i, u in enumerate(data["buyers"])]
    later = T0 + timedelta(minutes=20)  # every hold expired, still within the re-take grace
    start = threading.Barrier(16)

    def checkout(h):
        start.wait(timeout=30)
        try:
            return in_tx(orders.checkout, hold_id=h.id, user_id=h.user_id, attendees=None, now=later).status
        except ServiceError as exc:
            return exc.code

    def sweep(_):
        start.wait(timeout=30)
        try:
            in_tx(sweeper.sweep, now=later)
            return "swept"
        except ServiceError as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(checkout, h) for h in held] + [pool.submit(sweep, i) for i in range(4)]
        outcomes = [f.result() for f in futures]
    assert outcomes == ["pending"] * 12 + ["swept"] * 4, outcomes
    _, used = hot_usage(data)
    assert (used.pending, used.held) == (24, 0)


def _bundle_moving_race(*, new_capacity: int, new_sold: int) -> dict:
    """A ticket type on session Old, and a session New the organizer is about to move it to."""
    with session_scope() as db:
        owner = make_buyers(db, 1, name="Organizer")[0]
        org = make_org(db, owner=owner, now=T0)
        event = make_event(db, org=org, title="Moving bundle")
        old = make_session(db, event=event, name="Old", capacity=100)
        new = make_session(db, event=event, name="New", capacity=new_capacity)
        new.sold = new_sold
        db.add(new)
        bundle = make_ticket_type(db, event=event, name="Bundle", sessions=[old], price_minor=1000)
        return {"owner": owner.id, "event_id": event.id, "old": old.id, "new": new.id, "bundle": bundle.id,
                "buyer": make_buyers(db, 1)[0].id}


def _move_bundle_before_the_hold_locks_sessions(monkeypatch, data: dict, *, then=None) -> None:
    """The hold has read the bundle's sessions (Old) and is about to lock them when the
    organizer's change (Old -> New) commits in its own transaction: on the claim counters'
    path (after its read) and, if the hold gets there, on the exact path (before its locks)."""
    original_lock, original_read = places.lock_rows, hold_store.read_basket
    moved = threading.Event()

    def move():
        if not moved.is_set():
            moved.set()
            in_tx(catalog.update_ticket_type, user_id=data["owner"], event_id=data["event_id"],
                  ticket_type_id=data["bundle"], session_ids=[data["new"]], now=T0)
            if then is not None:
                then()

    def read_basket(*args, **kwargs):
        basket = original_read(*args, **kwargs)
        move()
        return basket

    def lock_rows(db, model, ids, **kwargs):
        if model is EventSession:
            move()
        return original_lock(db, model, ids, **kwargs)

    monkeypatch.setattr(hold_store, "read_basket", read_basket)
    monkeypatch.setattr(places, "lock_rows", lock_rows)


def _claims_by_session(data: dict) -> dict:
    with session_scope(readonly=True) as db:
        sessions = [db.get(EventSession, data["old"]), db.get(EventSession, data["new"])]
        used = usage.session_usage(db=db, sessions=sessions, now=T0)
    return {"old": used[data["old"]].held, "new": used[data["new"]].held}


def test_a_hold_racing_a_move_of_its_ticket_type_counts_the_sessions_it_moved_to(monkeypatch):
    """The hold read the bundle's sessions before locking; the bundle moved to a full session
    meanwhile. Counting the sessions read before the locks would hold a place of Old and sell a
    ticket for New beyond its capacity: under the locks the inclusions are read again."""
    data = _bundle_moving_race(new_capacity=1, new_sold=1)
    _move_bundle_before_the_hold_locks_sessions(monkeypatch, data)
    err = error_of(holds.hold_tickets, event_id=data["event_id"], user_id=data["buyer"], items=[(data["bundle"], 1)],
                   now=T0)
    assert err.code == "insufficient_capacity" and err.extra["session_id"] == data["new"]
    assert _claims_by_session(data) == {"old": 0, "new": 0}


def test_a_hold_racing_a_move_of_its_ticket_type_claims_the_sessions_it_moved_to(monkeypatch):
    data = _bundle_moving_race(new_capacity=5, new_sold=0)
    _move_bundle_before_the_hold_locks_sessions(monkeypatch, data)
    in_tx(holds.hold_tickets, event_id=data["event_id"], user_id=data["buyer"], items=[(data["bundle"], 1)], now=T0)
    assert _claims_by_session(data) == {"old": 0, "new": 1}


def test_a_hold_whose_moved_ticket_type_needs_a_session_locked_elsewhere_is_busy_not_deadlocked(monkeypatch):
    """Sessions added by the move are locked after the ticket types (out of order), so only
    without waiting: a retryable `busy` rather than a possible deadlock."""
    data = _bundle_moving_race(new_capacity=5, new_sold=0)
    locked, release = threading.Event(), threading.Event()

    def hold_new_session_lock():
        with session_scope() as db:
            places.lock_rows(db, EventSession, [data["new"]])
            locked.set()
            release.wait(timeout=30)

    other = threading.Thread(target=hold_new_session_lock)
    _move_bundle_before_the_hold_locks_sessions(
        monkeypatch, data, then=lambda: (other.start(), locked.wait(timeout=10)))
    began = time.monotonic()
    try:
        err = error_of(holds.hold_tickets, event_id=data["event_id"], user_id=data["buyer"],
                       items=[(data["bundle"], 1)], now=T0)
    finally:
        release.set()
        other.join(timeout=10)
    assert err.code == "busy"  # the lock timeout, not an endless wait (the other thread still held the lock)
    assert _claims_by_session(data) == {"old": 0, "new": 0}
