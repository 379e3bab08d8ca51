"""Seats in the hold/checkout/confirm/cancel/expire flow, organizer seat actions, and the rule
that a seated session's capacity, places and seats always agree."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.builders import T0, error_of, in_tx, load, make_buyers
from tests.seating_builders import check_consistency, make_seated_event, seat_states
from tests.spies import record_outcomes
from ticketing.db import session_scope
from ticketing.models import Event, EventSession, HoldSeat, PlaceClaim, SeatedSession
from ticketing.services import catalog
from ticketing.services.errors import ServiceError
from ticketing.services.sales import cancellation, holds, order_store, orders, sweeper
from ticketing.services.seating import seat_map, seat_sales, seating
from ticketing.services.seating.seat_status import AVAILABLE, BLOCKED, HELD, NOT_OWNED, ORGANIZER_HOLD, RESERVED, SOLD

MIN = timedelta(minutes=1)


@pytest.fixture
def se():
    with session_scope() as db:
        event = make_seated_event(db, bands=[("Front", 5000, ["Stalls"]), ("Free", 0, None)], payment_minutes=30,
                                  cancellation_deadline_hours=1)
        event.extra["buyers"] = [u.id for u in make_buyers(db, 4)]
    return event


def buyers(se):
    return se.extra["buyers"]


def hold_seats(se, user, idxs, now=T0):
    return in_tx(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id, user_id=user, idxs=idxs,
                 now=now)


def test_holding_seats_takes_their_places_in_the_same_transaction_and_publishes_their_status(se, bus):
    a = buyers(se)[0]
    row_a = [se.idx("Stalls", "A", n) for n in (3, 4)]
    held = hold_seats(se, a, row_a)
    assert held.idxs == sorted(row_a)
    assert held.hold.total_minor == 2 * 5000
    codes = seat_states(se.session_id, T0)
    assert [codes[i] for i in row_a] == [HELD, HELD]
    assert sum(1 for c in codes.values() if c == AVAILABLE) == 38
    check_consistency(se.session_id, T0)
    delta = bus.messages[-1]
    assert delta["seats"] == {str(se.session_id): [[i, HELD] for i in sorted(row_a)]}
    assert delta["version"] == load(Event, se.event_id).version


def test_a_seat_in_a_live_hold_cannot_be_held_again_and_the_refusal_changes_nothing(se):
    a, b = buyers(se)[:2]
    three, four = se.idx("Stalls", "A", 3), se.idx("Stalls", "A", 4)
    hold_seats(se, a, [three])
    err = error_of(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id, user_id=b,
                   idxs=[four, three], now=T0 + MIN)
    assert (err.code, err.extra["seat_ids"]) == ("seat_unavailable", se.ids(three))
    assert seat_states(se.session_id, T0 + MIN)[four] == AVAILABLE
    with session_scope(readonly=True) as db:
        assert db.exec(select(func.count()).select_from(PlaceClaim)).one() == 1
    check_consistency(se.session_id, T0 + MIN)


def test_seats_must_match_the_tickets_one_for_one(se):
    a = buyers(se)[0]
    front, free = se.types["Front"], se.types["Free"]
    one = se.ids(se.idx("Stalls", "A", 1))
    cases = [
        ([(front, 2)], one, "seats_mismatch"),
        ([(free, 1)], one, "seats_mismatch"),  # a Front seat sold as the Free ticket type
        ([(front, 1)], [], "seats_required"),
        ([(front, 2)], one + one, "duplicate_seat"),
    ]
    for items, seat_ids, code in cases:
        err = error_of(holds.hold_tickets, event_id=se.event_id, user_id=a, items=items, seat_ids=seat_ids, now=T0)
        assert err.code == code, (items, code, err)
    with session_scope() as db:
        other = make_seated_event(db)
    foreign = list(other.seat_ids.values())[:1]
    err = error_of(holds.hold_tickets, event_id=se.event_id, user_id=a, items=[(front, 1)], seat_ids=foreign, now=T0)
    assert (err.code, err.extra["seat_ids"]) == ("seat_unavailable", foreign)
    check_consistency(se.session_id, T0)


def test_release_gives_the_seats_back(se):
    a = buyers(se)[0]
    idxs = [se.idx("Stalls", "B", n) for n in (1, 2)]
    held = hold_seats(se, a, idxs)
    in_tx(holds.release_hold, hold_id=held.hold.id, user_id=a, now=T0 + MIN)
    assert {seat_states(se.session_id, T0)[i] for i in idxs} == {AVAILABLE}
    check_consistency(se.session_id, T0 + MIN)


def test_checkout_reserves_the_seats_for_the_tickets_and_payment_sells_them(se, monkeypatch):
    # Seats are the exact checkout's: the checkout's first read sees them, and the statement
    # on the claim counters is not even tried.
    read = record_outcomes(monkeypatch, order_store, "read_hold", lambda facts: facts.seated)
    converts = record_outcomes(monkeypatch, order_store, "convert", lambda done: done is not None)
    a = buyers(se)[0]
    idxs = [se.idx("Stalls", "C", n) for n in (6, 7, 8)]
    held = hold_seats(se, a, idxs)
    order = in_tx(orders.checkout, hold_id=held.hold.id, user_id=a, attendees=None, now=T0 + MIN)
    assert order.status == "pending"
    assert (read, converts) == ([True], [])
    assert {seat_states(se.session_id, T0 + MIN)[i] for i in idxs} == {RESERVED}
    check_consistency(se.session_id, T0 + MIN)
    in_tx(orders.confirm_order, order_id=order.id, now=T0 + 2 * MIN, payment_reference="pi_1")
    assert {seat_states(se.session_id, T0 + 2 * MIN)[i] for i in idxs} == {SOLD}
    check_consistency(se.session_id, T0 + 2 * MIN)
    with session_scope(readonly=True) as db:
        tickets = orders.order_tickets(db=db, order_id=order.id)
        seats = seat_map.seats_of_tickets(db, [t.id for t in tickets])
    # Attendees sit in map order: first ticket, first seat.
    assert [seats[t.id]["number"] for t in tickets] == ["6", "7", "8"]


def test_a_free_seat_order_is_sold_at_checkout(se):
    a = buyers(se)[0]
    with session_scope() as db:
        seating.manage_seats(db=db, user_id=se.owner_id, event_id=se.event_id, session_id=se.session_id,
                             action="price", seat_idxs=[0, 1], price_level_id=se.levels["Free"], now=T0)
    held = hold_seats(se, a, [0, 1])
    order = in_tx(orders.checkout, hold_id=held.hold.id, user_id=a, attendees=None, now=T0)
    assert order.status == "confirmed" and order.total_minor == 0
    assert [seat_states(se.session_id, T0)[i] for i in (0, 1)] == [SOLD, SOLD]
    check_consistency(se.session_id, T0)


def test_cancelling_one_ticket_frees_only_its_seat(se):
    a = buyers(se)[0]
    held = hold_seats(se, a, [10, 11])
    order = in_tx(orders.checkout, hold_id=held.hold.id, user_id=a, attendees=None, now=T0)
    in_tx(orders.confirm_order, order_id=order.id, now=T0)
    with session_scope(readonly=True) as db:
        first = orders.order_tickets(db=db, order_id=order.id)[0]
    in_tx(cancellation.cancel_order, order_id=order.id, user_id=a, ticket_ids=[first.id], now=T0)
    assert [seat_states(se.session_id, T0)[i] for i in (10, 11)] == [AVAILABLE, SOLD]
    check_consistency(se.session_id, T0)


def test_an_expired_hold_frees_its_seats_at_once_and_the_sweeper_tells_the_maps(se, bus):
    a, b = buyers(se)[:2]
    held = hold_seats(se, a, [20, 21])
    later = held.hold.expires_at + timedelta(seconds=1)
    assert [seat_states(se.session_id, later)[i] for i in (20, 21)] == [AVAILABLE, AVAILABLE]
    check_consistency(se.session_id, later)
    result = in_tx(sweeper.sweep, now=later)
    assert se.event_id in result.event_versions
    assert bus.messages[-1]["seats"] == {str(se.session_id): [[20, AVAILABLE], [21, AVAILABLE]]}
    hold_seats(se, b, [21], now=later)
    err = error_of(orders.checkout, hold_id=held.hold.id, user_id=a, attendees=None, now=later)
    assert (err.code, err.extra["seat_ids"]) == ("hold_expired", se.ids(21))
    check_consistency(se.session_id, later)


def test_checkout_of_an_expired_hold_retakes_its_seats_while_they_are_free(se):
    a = buyers(se)[0]
    held = hold_seats(se, a, [30, 31])
    later = held.hold.expires_at + 5 * MIN
    in_tx(sweeper.sweep, now=later)  # tidied away: the seats show free
    order = in_tx(orders.checkout, hold_id=held.hold.id, user_id=a, attendees=None, now=later)
    assert [seat_states(se.session_id, later)[i] for i in (30, 31)] == [RESERVED, RESERVED]
    assert order.status == "pending"
    check_consistency(se.session_id, later)


def test_a_late_payment_gets_its_seats_only_when_nobody_took_them(se):
    a, b, c = buyers(se)[:3]
    first = hold_seats(se, a, [5])
    second = hold_seats(se, c, [6])
    o1 = in_tx(orders.checkout, hold_id=first.hold.id, user_id=a, attendees=None, now=T0)
    o2 = in_tx(orders.checkout, hold_id=second.hold.id, user_id=c, attendees=None, now=T0)
    late = o1.payment_due_at + MIN
    in_tx(sweeper.sweep, now=late)
    hold_seats(se, b, [5], now=late)
    err = error_of(orders.confirm_order, order_id=o1.id, now=late)
    assert err.code == "order_expired_places_gone"
    confirmed = in_tx(orders.confirm_order, order_id=o2.id, now=late)
    assert confirmed.status == "confirmed" and seat_states(se.session_id, late)[6] == SOLD
    check_consistency(se.session_id, late)


def manage(se, action, idxs, now=T0, **kw):
    return in_tx(seating.manage_seats, user_id=se.owner_id, event_id=se.event_id, session_id=se.session_id,
                 action=action, seat_idxs=idxs, now=now, **kw)


def capacity(se) -> int:
    return load(EventSession, se.session_id).capacity


def test_organizer_holds_blocks_and_releases_move_capacity_with_the_seats(se):
    a = buyers(se)[0]
    assert capacity(se) == 40
    assert manage(se, "block", [0, 1, 2], reason="house", note="Camera platform") == 3
    assert manage(se, "hold", [3, 4], reason="press") == 2
    assert capacity(se) == 35
    codes = seat_states(se.session_id, T0)
    assert [codes[i] for i in range(5)] == [BLOCKED] * 3 + [ORGANIZER_HOLD] * 2
    err = error_of(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id, user_id=a, idxs=[3], now=T0)
    assert err.code == "seat_unavailable"
    assert manage(se, "release", [0, 1, 2, 3, 4, 5]) == 5  # seat 5 was on sale already
    assert manage(se, "disown", [7]) == 1
    assert capacity(se) == 39 and seat_states(se.session_id, T0)[7] == NOT_OWNED
    check_consistency(se.session_id, T0)
    held = hold_seats(se, a, [8])
    err = error_of(seating.manage_seats, user_id=se.owner_id, event_id=se.event_id, session_id=se.session_id,
                   action="block", seat_idxs=[8, 9], reason="house", now=T0)
    assert (err.code, err.extra["seat_idxs"]) == ("seat_taken", [8])
    # Once the customer's hold has expired the seat is the organizer's to block again.
    assert manage(se, "block", [8], reason="artist", now=held.hold.expires_at + MIN) == 1
    check_consistency(se.session_id, held.hold.expires_at + MIN)
    bad = error_of(seating.manage_seats, user_id=se.owner_id, event_id=se.event_id, session_id=se.session_id,
                   action="hold", seat_idxs=[9], reason="because", now=T0)
    assert bad.code == "invalid_reason"
    stranger = error_of(seating.manage_seats, user_id=a, event_id=se.event_id, session_id=se.session_id,
                        action="block", seat_idxs=[9], reason="house", now=T0)
    assert stranger.code == "not_found"


def test_a_seated_sessions_capacity_follows_its_seats_only(se):
    err = error_of(catalog.update_session, user_id=se.owner_id, event_id=se.event_id, session_id=se.session_id,
                   capacity=100, now=T0)
    assert err.code == "seated_capacity"
    again = error_of(seating.seat_session, user_id=se.owner_id, event_id=se.event_id, session_id=se.session_id,
                     venue_id=se.venue_id, default_level_id=se.levels["Front"], now=T0)
    assert again.code == "already_seated"


def layout_version(se) -> int:
    with session_scope(readonly=True) as db:
        return db.get(SeatedSession, se.session_id).layout_version


def test_repricing_asks_maps_for_the_layout_and_capacity_changes_are_catalog_changes(se, bus):
    before = layout_version(se)
    manage(se, "price", [0, 1], price_level_id=se.levels["Free"])
    assert layout_version(se) == before + 1
    repriced = bus.messages[-1]
    assert repriced["layouts"] == [str(se.session_id)] and repriced["structure"] is False
    manage(se, "block", [2], reason="house")
    blocked = bus.messages[-1]
    # Live hubs cache capacities: a seat leaving the inventory makes them reload the event.
    assert blocked["structure"] is True and blocked["layouts"] == []
    assert blocked["seats"] == {str(se.session_id): [[2, BLOCKED]]}


def test_best_available_is_held_in_one_go(se):
    a = buyers(se)[0]
    held = in_tx(seat_sales.hold_best, event_id=se.event_id, session_id=se.session_id, user_id=a, count=2, now=T0)
    with session_scope(readonly=True) as db:
        chosen = seat_map.describe_seats(db=db, event_id=se.event_id, session_id=se.session_id, idxs=held.idxs,
                                         now=T0)
        assert db.exec(select(func.count()).select_from(HoldSeat)).one() == 2
    # Row A is nearest the stage; both seats side by side on one side of the aisle, nearest the centre.
    assert {(s["row"], s["number"]) for s in chosen} in ({("A", "4"), ("A", "5")}, {("A", "6"), ("A", "7")})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_sequences_keep_capacity_places_and_seats_in_agreement(se, seed):
    rnd = random.Random(seed)
    now = T0
    live_holds: list[tuple] = []
    orders_made: list[tuple] = []
    owner_actions = ["block", "hold", "release", "disown", "own"]
    done: Counter = Counter()
    for _ in range(45):
        now += timedelta(minutes=rnd.choice([0, 1, 4, 9]))
        user = rnd.choice(buyers(se))
        step = rnd.choice(["hold", "hold", "release", "checkout", "confirm", "cancel", "sweep", "organizer"])
        try:
            if step == "hold":
                h = hold_seats(se, user, rnd.sample(range(40), rnd.randint(1, 4)), now=now)
                live_holds.append((h.hold.id, user))
            elif step == "release" and live_holds:
                hid, owner = rnd.choice(live_holds)
                in_tx(holds.release_hold, hold_id=hid, user_id=owner, now=now)
            elif step == "checkout" and live_holds:
                hid, owner = live_holds.pop(rnd.randrange(len(live_holds)))
                orders_made.append((in_tx(orders.checkout, hold_id=hid, user_id=owner, attendees=None, now=now).id,
                                    owner))
            elif step == "confirm" and orders_made:
                in_tx(orders.confirm_order, order_id=rnd.choice(orders_made)[0], now=now)
            elif step == "cancel" and orders_made:
                oid, owner = rnd.choice(orders_made)
                in_tx(cancellation.cancel_order, order_id=oid, user_id=owner, now=now)
            elif step == "sweep":
                in_tx(sweeper.sweep, now=now)
            elif step == "organizer":
                action = rnd.choice(owner_actions)
                manage(se, action, rnd.sample(range(40), 3), now=now,
                       reason="house" if action in ("block", "hold") else None)
            done[step] += 1
        except ServiceError:  # refusals are fine; what matters is that nothing drifts
            done["refused"] += 1
        check_consistency(se.session_id, now)
    # The sequence really went through the flows, not only through refusals.
    assert done["hold"] >= 3 and done["organizer"] >= 2 and done["refused"] >= 1, done
