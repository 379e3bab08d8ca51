"""Checkout of a live hold on the claim counters (services/sales/order_store.py), PostgreSQL: the
hold's claims move to the order in one statement; anything it cannot decide goes to the exact
checkout, which must then give the answer it always gave."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.builders import T0, error_of, in_tx, load, make_session
from tests.integration.test_claim_counters import claim_sums, counters, shop
from tests.integration.test_concurrency_pg import build_race
from tests.spies import record_outcomes
from ticketing.db import pg_driver, session_scope
from ticketing.models import Event, EventSession, Hold, Order, OrderItem, PlaceClaim, Ticket, TicketType
from ticketing.services.sales import holds, order_store, orders, ticket_holders


@pytest.fixture
def converts(monkeypatch):
    """What order_store.convert answered in this test: True (it wrote the order) or False."""
    return record_outcomes(monkeypatch, order_store, "convert", lambda done: done is not None)


def claims_of(**where) -> list[PlaceClaim]:
    with session_scope(readonly=True) as db:
        query = select(PlaceClaim)
        for column, value in where.items():
            query = query.where(getattr(PlaceClaim, column) == value)
        return list(db.exec(query).all())


def test_a_live_hold_becomes_a_pending_order_by_moving_its_claims(converts):
    s = shop(quota=8)
    a, b = s["buyers"][:2]
    hold = in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=a, items=[(s["type"], 3)], now=T0)
    in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=b, items=[(s["type"], 2)], now=T0)
    claim_ids = {c.id for c in claims_of(hold_id=hold.id)}

    order = in_tx(orders.checkout, hold_id=hold.id, user_id=a, attendees=None, now=T0 + timedelta(minutes=1))

    assert converts == [True]
    assert re.fullmatch(r"ORD-20300301-\d{4}", order.number)
    stored = load(Order, order.id)
    assert (stored.status, stored.total_minor, stored.currency, stored.hold_id) == ("pending", 6000, "EUR", hold.id)
    assert stored.payment_due_at == T0 + timedelta(minutes=1 + 15)
    assert load(Hold, hold.id).status == "converted"
    moved = claims_of(order_id=order.id)
    assert {c.id for c in moved} == claim_ids and not claims_of(hold_id=hold.id)
    assert all(c.expires_at == stored.payment_due_at for c in moved)
    for row_id, model in ((s["day"], EventSession), (s["type"], TicketType)):
        assert counters(model, row_id) == claim_sums(row_id) == (2, 3)
    with session_scope(readonly=True) as db:
        lines = db.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all()
        tickets = db.exec(select(Ticket).where(Ticket.order_id == order.id)).all()
    assert [(x.ticket_type_id, x.quantity, x.unit_price_minor) for x in lines] == [(s["type"], 3, 2000)]
    assert len(tickets) == 3 and {t.status for t in tickets} == {"pending"}
    assert {t.order_item_id for t in tickets} == {lines[0].id} and len({t.code for t in tickets}) == 3

    # The rest of the order's life is the usual one.
    in_tx(orders.confirm_order, order_id=order.id, now=T0 + timedelta(minutes=2))
    day = load(EventSession, s["day"])
    assert (day.sold, day.claimed_held, day.claimed_pending) == (3, 2, 0)


def test_order_numbers_follow_each_other_whichever_checkout_writes_them(converts):
    s = shop(capacity=20)
    a, b, c = s["buyers"]
    first, second, third = (in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=u, items=[(s["type"], 1)],
                                  now=T0) for u in (a, b, c))
    numbers = [in_tx(orders.checkout, hold_id=first.id, user_id=a, attendees=None, now=T0).number,
               # within the clock margin of its expiry: the exact checkout
               in_tx(orders.checkout, hold_id=second.id, user_id=b, attendees=None,
                     now=second.expires_at - order_store.CLOCK_MARGIN).number,
               in_tx(orders.checkout, hold_id=third.id, user_id=c, attendees=None, now=T0).number]
    assert converts == [True, True]  # the second never asked the counters
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == [1, 2, 3]


def test_a_hold_missing_a_claim_is_decided_by_the_exact_checkout(converts):
    s = shop(capacity=3)
    a, b = s["buyers"][:2]
    hold = in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=a, items=[(s["type"], 2)], now=T0)
    # As if a server whose clock runs ahead had counted it expired and reclaimed its claim,
    # then sold the places to someone else.
    with session_scope() as db:
        for claim in db.exec(select(PlaceClaim).where(PlaceClaim.hold_id == hold.id)).all():
            db.delete(claim)
    in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=b, items=[(s["type"], 2)], now=T0)

    err = error_of(orders.checkout, hold_id=hold.id, user_id=a, attendees=None, now=T0)

    assert converts == [False] and err.code == "hold_expired"
    assert load(Hold, hold.id).status == "active" and not claims_of(hold_id=hold.id)
    assert counters(EventSession, s["day"]) == claim_sums(s["day"]) == (2, 0)
    with session_scope(readonly=True) as db:
        assert db.exec(select(Order).where(Order.hold_id == hold.id)).first() is None


def test_free_orders_and_holds_at_the_edge_of_expiry_take_the_exact_checkout(converts, monkeypatch):
    s = shop(capacity=10)
    a, b = s["buyers"][:2]
    late = in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=a, items=[(s["type"], 1)], now=T0)
    order = in_tx(orders.checkout, hold_id=late.id, user_id=a, attendees=None,
                  now=late.expires_at - timedelta(seconds=5))
    assert converts == [] and load(Order, order.id).status == "pending"
    assert counters(EventSession, s["day"]) == claim_sums(s["day"]) == (0, 1)

    with session_scope() as db:
        db.get(TicketType, s["type"]).price_minor = 0
    free = in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=b, items=[(s["type"], 2)], now=T0)
    order = in_tx(orders.checkout, hold_id=free.id, user_id=b, attendees=None, now=T0)
    assert converts == [] and load(Order, order.id).status == "confirmed"
    assert load(EventSession, s["day"]).sold == 2


def test_the_checkout_read_sends_anyone_elses_hold_to_the_exact_answers_and_names_attendees(converts):
    """order_store.read_hold decides on the hold, its lines, the event and the buyer as it reads
    them under the hold's lock: someone else's hold and a cancelled event get the exact path's
    answers; attendees get their tickets in order; rows the caller's session had loaded show
    what the statement wrote."""
    s = shop(capacity=10)
    a, b, c = s["buyers"]
    hold = in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=a, items=[(s["type"], 2)], now=T0)
    assert error_of(orders.checkout, hold_id=hold.id, user_id=b, attendees=None, now=T0).code == "not_found"
    bad = [ticket_holders.Attendee("Ada", "ada@example.com"), ticket_holders.Attendee("Bob", "not-an-email")]
    assert error_of(orders.checkout, hold_id=hold.id, user_id=a, attendees=bad, now=T0).code == "invalid_attendee"
    assert converts == [] and load(Hold, hold.id).status == "active"

    named = [ticket_holders.Attendee(" Ada ", "ADA@example.com"), ticket_holders.Attendee("Bob", "bob@example.com")]
    with session_scope() as db:
        loaded = db.get(Hold, hold.id)
        order = orders.checkout(db=db, hold_id=hold.id, user_id=a, attendees=named, now=T0)
        assert loaded.status == "converted"
    assert converts == [True]
    with session_scope(readonly=True) as db:
        tickets = db.exec(select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.created_at, Ticket.id))
        assert [(t.holder_name, t.holder_email) for t in tickets] == [("Ada", "ada@example.com"),
                                                                       ("Bob", "bob@example.com")]

    other = in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=c, items=[(s["type"], 1)], now=T0)
    with session_scope() as db:
        db.get(Event, s["event_id"]).status = "cancelled"
    err = error_of(orders.checkout, hold_id=other.id, user_id=c, attendees=None, now=T0)
    assert err.code == "not_on_sale" and converts == [True]


def test_checkouts_on_the_counters_and_exact_ones_racing_never_deadlock(converts):
    """Both checkouts lock in the same order (hold, sessions, ticket types, order number, event):
    run side by side on one hot session and three overlapping ticket types, none waits into a
    deadlock (which would surface as `busy`), numbers stay gapless and the counters exact."""
    data = build_race(capacity=1_000, already_sold=0, buyers=48)
    types = data["types"]
    held = [in_tx(holds.hold_tickets, event_id=data["event_id"], user_id=u, items=[(types[i % 3], 1)], now=T0)
            for i, u in enumerate(data["buyers"])]
    start = threading.Barrier(8)

    def checkout(i: int) -> str:
        if i < 8:
            start.wait(timeout=30)
        hold = held[i]
        # Every other buyer checks out inside the clock margin: the exact path.
        now = T0 if i % 2 else hold.expires_at - timedelta(seconds=5)
        order = in_tx(orders.checkout, hold_id=hold.id, user_id=hold.user_id, attendees=None, now=now)
        return order.number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(checkout, range(len(held))))
    assert converts.count(True) == len(held) // 2 and False not in converts
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, len(held) + 1))
    assert counters(EventSession, data["hot"]) == claim_sums(data["hot"]) == (0, len(held))
    assert counters(TicketType, types[2]) == claim_sums(types[2]) == (0, len(held) // 3)


def test_a_checkout_finds_its_claims_by_their_ids_however_many_others_are_live(monkeypatch):
    """During an on-sale thousands of claims are live, and the planner's statistics lag behind
    them: the convert statement must still look the hold's claims up by index, never hash them
    and scan every claim of every event (a plan that once cost 4 ms per checkout at 30,000 live
    claims)."""
    s = shop(capacity=10)
    a = s["buyers"][0]
    with session_scope() as db:
        other = make_session(db, event=db.get(Event, s["event_id"]), name="Other", capacity=1_000_000)
        pg_driver(db).execute(
            """INSERT INTO place_claims (id, event_id, session_id, quantity, expires_at)
               SELECT gen_random_uuid(), %s, %s, 1, %s FROM generate_series(1, 20000)""",
            (s["event_id"], other.id, T0 + timedelta(hours=1)))
    hold = in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=a, items=[(s["type"], 2)], now=T0)
    calls = []
    real = order_store.convert
    monkeypatch.setattr(order_store, "convert", lambda raw, **kw: calls.append(kw) or real(raw, **kw))
    in_tx(orders.checkout, hold_id=hold.id, user_id=a, attendees=None, now=T0)

    assert len(calls) == 1
    with session_scope(readonly=True) as db:
        plan = "\n".join(row[0] for row in pg_driver(db).execute(
            "EXPLAIN " + order_store._CONVERT, order_store.convert_params(**calls[0])).fetchall())
    assert "Index" in plan and "Seq Scan on place_claims" not in plan, plan
