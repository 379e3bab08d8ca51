"""Seed 000, sections 7 and 8: the 3-day workshop (sessions 20/20/18; series pass quota 15 over
all days; day passes 10/10/8; weekend combo quota 5 over days 2+3) as service scenarios."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import T0, error_of, in_tx, make_buyers, make_workshop
from ticketing.db import session_scope
from ticketing.models import EventSession, SessionPrerequisite
from ticketing.services.sales import holds, orders
from ticketing.services.sales.availability import event_availability

MIN = timedelta(minutes=1)


@pytest.fixture
def ws():
    with session_scope() as db:
        w = make_workshop(db)
        w.extra["buyers"] = [u.id for u in make_buyers(db, 60)]
    return w


class Shop:
    """Buys as distinct customers (one hold each), advancing a clock by a minute per sale."""

    def __init__(self, ws):
        self.ws, self.buyers, self.now = ws, iter(ws.extra["buyers"]), T0

    def buy(self, items, *, pay=True):
        user = next(self.buyers)
        h = in_tx(holds.hold_tickets, event_id=self.ws.event_id, user_id=user, items=items, now=self.now)
        order = in_tx(orders.checkout, hold_id=h.id, user_id=user, attendees=None, now=self.now)
        if pay:
            order = in_tx(orders.confirm_order, order_id=order.id, now=self.now)
        self.now += MIN
        return user, order

    def refusal(self, items):
        return error_of(holds.hold_tickets, event_id=self.ws.event_id, user_id=next(self.buyers), items=items,
                        now=self.now)

    def availability(self):
        with session_scope(readonly=True) as db:
            av = event_availability(db=db, event_id=self.ws.event_id, now=self.now)
        return {s.id: s for s in av.sessions}, {t.id: t for t in av.ticket_types}


def test_scenario_1_fresh_workshop_availability(ws):
    sessions, types = Shop(ws).availability()
    assert [(s.capacity, s.available, s.status) for s in sessions.values()] == [
        (20, 20, "available"), (20, 20, "available"), (18, 18, "available")]
    assert {k: (t.available, t.is_available) for k, t in types.items()} == {
        ws.series: (15, True),  # limited by its quota, not by day 3's 18
        ws.day1_pass: (10, True), ws.day2_pass: (10, True), ws.day3_pass: (8, True), ws.weekend: (5, True)}
    assert types[ws.series].bottleneck_session_id == ws.day3
    assert types[ws.weekend].bottleneck_session_id == ws.day3
    assert types[ws.series].price_minor == 15000


def test_scenario_2_day_2_capacity_counts_every_type_including_it(ws):
    shop = Shop(ws)
    shop.buy([(ws.series, 3)])
    shop.buy([(ws.day2_pass, 4)])
    shop.buy([(ws.weekend, 2)], pay=False)  # pending counts too
    sessions, types = shop.availability()
    day2 = sessions[ws.day2]
    assert (day2.sold, day2.pending, day2.available) == (7, 2, 11)
    assert sessions[ws.day1].available == 17 and sessions[ws.day3].available == 13
    shop.buy([(ws.day2_pass, 6)])
    sessions, _ = shop.availability()
    assert (sessions[ws.day2].available, sessions[ws.day2].status) == (5, "filling_up")  # 15 of 20


def test_bottleneck_session_blocks_every_type_including_it(ws):
    shop = Shop(ws)
    shop.buy([(ws.series, 10)])  # day 3: 8 left
    shop.buy([(ws.day3_pass, 8)])  # day 3 full
    sessions, types = shop.availability()
    assert (sessions[ws.day3].available, sessions[ws.day3].status) == (0, "sold_out")
    for type_id in (ws.series, ws.weekend):
        assert (types[type_id].available, types[type_id].reason, types[type_id].bottleneck_session_id) == (
            0, "session_full", ws.day3)
    assert types[ws.day1_pass].available == 10 and types[ws.day2_pass].available == 10
    err = shop.refusal([(ws.weekend, 1)])
    assert (err.code, err.extra) == ("insufficient_capacity", {"session_id": ws.day3, "available": 0})
    shop.buy([(ws.day1_pass, 2), (ws.day2_pass, 2)])  # days 1 and 2 still sell


def test_quota_is_reached_before_the_sessions_fill(ws):
    shop = Shop(ws)
    shop.buy([(ws.series, 15)])
    sessions, types = shop.availability()
    assert sessions[ws.day3].available == 3
    assert (types[ws.series].available, types[ws.series].reason) == (0, "quota_reached")
    assert shop.refusal([(ws.series, 1)]).code == "quota_reached"
    # Day 3 pass quota 8 vs 3 places: the session now limits it.
    assert (types[ws.day3_pass].available, types[ws.day3_pass].bottleneck_session_id) == (3, ws.day3)
    err = shop.refusal([(ws.day3_pass, 4)])
    assert (err.code, err.extra["available"]) == ("insufficient_capacity", 3)


def test_weekend_combo_quota_spans_days_2_and_3(ws):
    shop = Shop(ws)
    shop.buy([(ws.weekend, 3)])
    shop.buy([(ws.weekend, 2)])
    sessions, types = shop.availability()
    assert (types[ws.weekend].available, types[ws.weekend].reason) == (0, "quota_reached")
    assert sessions[ws.day2].available == 15 and sessions[ws.day3].available == 13
    assert sessions[ws.day1].available == 20


def test_session_at_capacity_refuses_with_zero_available(ws):
    shop = Shop(ws)
    shop.buy([(ws.series, 10)])
    shop.buy([(ws.day1_pass, 10)])
    err = shop.refusal([(ws.day1_pass, 1)])
    assert err.code == "quota_reached"
    err = shop.refusal([(ws.series, 1)])
    assert (err.code, err.extra) == ("insufficient_capacity", {"session_id": ws.day1, "available": 0})


def test_partial_session_attendance_shows_correct_capacity(ws):
    shop = Shop(ws)
    for _ in range(5):
        shop.buy([(ws.day1_pass, 1)])
    sessions, types = shop.availability()
    assert (sessions[ws.day1].sold, sessions[ws.day1].available) == (5, 15)
    assert sessions[ws.day2].available == 20 and sessions[ws.day3].available == 18
    assert (types[ws.day1_pass].sold, types[ws.day1_pass].available) == (5, 5)
    assert types[ws.series].available == 15


def test_complete_purchase_flow_reduces_availability(ws):
    shop = Shop(ws)
    _, types = shop.availability()
    assert types[ws.day1_pass].is_available
    _, order = shop.buy([(ws.day1_pass, 2)])
    assert order.status == "confirmed" and order.total_minor == 12000 and order.number.startswith("ORD-2030")
    _, types = shop.availability()
    assert (types[ws.day1_pass].sold, types[ws.day1_pass].available) == (2, 8)


def test_day_2_requires_day_1(ws):
    with session_scope() as db:
        db.add(SessionPrerequisite(session_id=ws.day2, prerequisite_session_id=ws.day1))
    shop = Shop(ws)
    with_day1, _ = shop.buy([(ws.day1_pass, 1)])
    h = in_tx(holds.hold_tickets, event_id=ws.event_id, user_id=with_day1, items=[(ws.day2_pass, 1)], now=shop.now)
    assert h.total_minor == 6000
    err = shop.refusal([(ws.day2_pass, 1)])
    assert (err.code, err.extra["session_id"], err.extra["prerequisite_session_id"]) == (
        "prerequisite_missing", ws.day2, ws.day1)
    assert shop.refusal([(ws.weekend, 1)]).code == "prerequisite_missing"
    shop.buy([(ws.series, 1)])  # the series pass includes day 1 itself
    shop.buy([(ws.weekend, 1), (ws.day1_pass, 1)])
    # A lapsed pending order does not count as attending day 1.
    lapsed, _ = shop.buy([(ws.day1_pass, 1)], pay=False)
    later = shop.now + timedelta(minutes=20)
    err = error_of(holds.hold_tickets, event_id=ws.event_id, user_id=lapsed, items=[(ws.day2_pass, 1)], now=later)
    assert err.code == "prerequisite_missing"


def test_capacity_edit_changes_what_the_bottleneck_allows(ws):
    shop = Shop(ws)
    shop.buy([(ws.series, 10)])
    with session_scope() as db:
        db.get(EventSession, ws.day3).capacity = 12
    _, types = shop.availability()
    assert (types[ws.series].available, types[ws.weekend].available) == (2, 2)
    assert {t.bottleneck_session_id for t in (types[ws.series], types[ws.weekend])} == {ws.day3}
