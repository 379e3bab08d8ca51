"""The embedded SQLite default: a file migrated with Alembic, buyers racing from threads.

SQLite has no row locks; ticketing.db begins every write transaction IMMEDIATE, taking the
single write lock up front, so the recount inside hold_tickets is exact there too.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from tests.builders import T0, in_tx, make_buyers, make_event, make_session, make_ticket_type
from tests.conftest import migrate
from tests.factories import make_org
from ticketing.db import get_engine, session_scope
from ticketing.models import EventSession, Order
from ticketing.services.errors import ServiceError
from ticketing.services.sales import holds, orders, usage


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'embedded.db'}"
    migrate(url)
    yield url
    get_engine(url).dispose()


def retrying(fn, /, **kwargs):
    for _ in range(100):
        try:
            return in_tx(fn, **kwargs)
        except ServiceError as exc:
            if exc.code != "busy":
                raise
            time.sleep(0.01)
    raise AssertionError("still busy after 100 tries")


def test_threads_racing_on_sqlite_never_oversell(sqlite_url):
    with session_scope(url=sqlite_url) as db:
        org = make_org(db, owner=make_buyers(db, 1)[0], now=T0)
        event = make_event(db, org=org, title="Embedded")
        hot = make_session(db, event=event, name="Hot", capacity=12)
        other = make_session(db, event=event, name="Other", capacity=100)
        types = [make_ticket_type(db, event=event, name="Hot", sessions=[hot], price_minor=1000).id,
                 make_ticket_type(db, event=event, name="Both", sessions=[hot, other], price_minor=1500).id]
        buyers = [u.id for u in make_buyers(db, 40)]
        event_id, hot_id = event.id, hot.id

    def attempt(i: int):
        try:
            h = retrying(holds.hold_tickets, url=sqlite_url, event_id=event_id, user_id=buyers[i],
                         items=[(types[i % 2], 1)], now=T0)
        except ServiceError as exc:
            return exc.code
        order = retrying(orders.checkout, url=sqlite_url, hold_id=h.id, user_id=buyers[i], attendees=None, now=T0)
        retrying(orders.confirm_order, url=sqlite_url, order_id=order.id, now=T0)
        return "won"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(len(buyers))))
    assert results.count("won") == 12
    assert results.count("insufficient_capacity") == 28
    with session_scope(readonly=True, url=sqlite_url) as db:
        hot = db.get(EventSession, hot_id)
        used = usage.session_usage(db=db, sessions=[hot], now=T0)[hot_id]
        numbers = db.exec(select(Order.number).where(Order.status == "confirmed")).all()
    assert (used.sold, used.pending, used.held) == (12, 0, 0)
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 13))


def test_expiry_sweep_and_cancel_work_on_sqlite(sqlite_url):
    from datetime import timedelta

    from ticketing.services.sales import cancellation, sweeper

    with session_scope(url=sqlite_url) as db:
        org = make_org(db, owner=make_buyers(db, 1)[0], now=T0)
        event = make_event(db, org=org, title="Embedded")
        s = make_session(db, event=event, name="S", capacity=2)
        t = make_ticket_type(db, event=event, name="T", sessions=[s], price_minor=1000, max_quantity=2).id
        a, b = [u.id for u in make_buyers(db, 2)]
        event_id = event.id
    h = in_tx(holds.hold_tickets, url=sqlite_url, event_id=event_id, user_id=a, items=[(t, 2)], now=T0)
    pending = in_tx(orders.checkout, url=sqlite_url, hold_id=h.id, user_id=a, attendees=None, now=T0)
    swept = in_tx(sweeper.sweep, url=sqlite_url, now=T0 + timedelta(minutes=16))
    assert swept.expired_order_ids == [pending.id] and swept.deleted_claims == 2
    later = T0 + timedelta(minutes=16)
    h = in_tx(holds.hold_tickets, url=sqlite_url, event_id=event_id, user_id=b, items=[(t, 2)], now=later)
    order = in_tx(orders.checkout, url=sqlite_url, hold_id=h.id, user_id=b, attendees=None, now=later)
    in_tx(orders.confirm_order, url=sqlite_url, order_id=order.id, now=T0 + timedelta(minutes=17))
    err = None
    try:
        in_tx(orders.confirm_order, url=sqlite_url, order_id=pending.id, now=T0 + timedelta(minutes=18))
    except ServiceError as exc:
        err = exc.code
    assert err == "order_expired_places_gone"
    done = in_tx(cancellation.cancel_order, url=sqlite_url, order_id=order.id, user_id=b,
                 now=T0 + timedelta(minutes=19))
    assert done.order.status == "cancelled" and done.refund_minor == 2000


def test_gates_racing_on_sqlite_admit_each_ticket_once(sqlite_url):
    """The door on the embedded default: no row locks, the IMMEDIATE write lock serializes gates."""
    from collections import Counter
    from datetime import timedelta

    from ticketing.models import CheckIn
    from ticketing.services.accounts import organizations
    from ticketing.services.door import admission

    with session_scope(url=sqlite_url) as db:
        owner, steward, buyer = make_buyers(db, 3)
        org = make_org(db, owner=owner, now=T0)
        organizations.add_member(db=db, user_id=owner.id, organization_id=org.id, email=steward.email, role="door",
                                 now=T0)
        event = make_event(db, org=org, title="Embedded door")
        show = make_session(db, event=event, name="Show", capacity=50, starts_at=T0 - timedelta(hours=1))
        entry = make_ticket_type(db, event=event, name="Entry", sessions=[show]).id
        event_id, steward_id, buyer_id = event.id, steward.id, buyer.id
    h = in_tx(holds.hold_tickets, url=sqlite_url, event_id=event_id, user_id=buyer_id, items=[(entry, 5)], now=T0)
    order = in_tx(orders.checkout, url=sqlite_url, hold_id=h.id, user_id=buyer_id, attendees=None, now=T0)
    with session_scope(url=sqlite_url, readonly=True) as db:
        codes = [t.code for t in orders.order_tickets(db=db, order_id=order.id)]

    def gate(i: int):  # what the API route runs, on SQLite's connection scope
        for _ in range(100):
            try:
                return admission.scan_at_door(url=sqlite_url, event_id=event_id, user_id=steward_id,
                                              code=codes[i % 5], nonce=f"n{i}", gate=f"Gate {i % 4}", now=T0).result
            except ServiceError as exc:
                if exc.code != "busy":
                    raise
                time.sleep(0.01)
        raise AssertionError("still busy after 100 tries")

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = Counter(pool.map(gate, range(20)))
    assert results == Counter({"admitted": 5, "already_checked_in": 15})
    replay = in_tx(admission.scan_ticket, url=sqlite_url, event_id=event_id, user_id=steward_id, code=codes[0],
                   nonce="n0", now=T0)
    assert replay.replayed and replay.result in {"admitted", "already_checked_in"}
    with session_scope(url=sqlite_url, readonly=True) as db:
        assert len(db.exec(select(CheckIn)).all()) == 5
