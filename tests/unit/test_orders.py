"""checkout / confirm_order / cancel_order / expire_orders / sweep / transfer_ticket."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.builders import T0, error_of, in_tx, load, make_buyers, make_workshop
from tests.pdf_text import pdf_pages
from ticketing.db import session_scope
from ticketing.models import Event, EventSession, Hold, Order, PlaceClaim, Ticket, TicketType
from ticketing.services.door import short_codes
from ticketing.services.sales import cancellation, holds, orders, sweeper, ticket_file, ticket_holders
from ticketing.services.sales.availability import event_availability
from ticketing.services.sales.ticket_holders import Attendee

MIN = timedelta(minutes=1)


@pytest.fixture
def ws():
    with session_scope() as db:
        w = make_workshop(db, payment_minutes=30, cancellation_deadline_hours=48, cancellation_fee_percent=10)
        w.extra["buyers"] = [u.id for u in make_buyers(db, 4)]
    return w


def hold(ws, user, items, now=T0):
    return in_tx(holds.hold_tickets, event_id=ws.event_id, user_id=user, items=items, now=now)


def buy(ws, user, items, now=T0, attendees=None, confirm=True):
    h = hold(ws, user, items, now)
    order = in_tx(orders.checkout, hold_id=h.id, user_id=user, attendees=attendees, now=now)
    if confirm and order.status == "pending":
        order = in_tx(orders.confirm_order, order_id=order.id, now=now, payment_reference="pi_test")
    return order


def taken(ws, now):
    with session_scope(readonly=True) as db:
        av = event_availability(db=db, event_id=ws.event_id, now=now)
    return {s.id: (s.sold, s.pending, s.held) for s in av.sessions}, {t.id: t for t in av.ticket_types}


def tickets_of(order_id):
    with session_scope(readonly=True) as db:
        return orders.order_tickets(db=db, order_id=order_id)


def test_checkout_makes_a_pending_order_that_keeps_the_places_until_the_deadline(ws):
    a, b = ws.extra["buyers"][:2]
    h = hold(ws, a, [(ws.weekend, 2)])
    order = in_tx(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=T0 + 5 * MIN)
    assert order.status == "pending" and order.total_minor == 20000 and order.currency == "EUR"
    assert order.number == "ORD-20300301-0001"
    assert order.payment_due_at == T0 + 35 * MIN  # payment_minutes, counted from checkout
    assert load(Hold, h.id).status == "converted"
    with session_scope(readonly=True) as db:
        claims = db.exec(select(PlaceClaim).where(PlaceClaim.order_id == order.id)).all()
        assert db.exec(select(func.count()).select_from(PlaceClaim).where(PlaceClaim.hold_id == h.id)).one() == 0
    assert {c.session_id or c.ticket_type_id: c.quantity for c in claims} == {ws.day2: 2, ws.day3: 2, ws.weekend: 2}
    assert all(c.expires_at == order.payment_due_at and c.hold_id is None for c in claims)
    sessions, types = taken(ws, T0 + 34 * MIN)
    assert sessions[ws.day2] == (0, 2, 0) and types[ws.weekend].available == 3
    # The hold's own expiry (T0+15) does not matter any more; the payment deadline does.
    err = error_of(holds.hold_tickets, event_id=ws.event_id, user_id=b, items=[(ws.weekend, 4)], now=T0 + 34 * MIN)
    assert err.code == "quota_reached" and err.extra["available"] == 3
    sessions, types = taken(ws, T0 + 35 * MIN)
    assert sessions[ws.day2] == (0, 0, 0) and types[ws.weekend].available == 5
    tickets = tickets_of(order.id)
    assert len(tickets) == 2 and {t.status for t in tickets} == {"pending"}
    assert len({t.code for t in tickets}) == 2 and all(len(t.code) >= 20 for t in tickets)


def test_order_numbers_count_per_utc_day(ws):
    a, b, c = ws.extra["buyers"][:3]
    numbers = [buy(ws, u, [(ws.day1_pass, 1)], now=T0 + i * MIN, confirm=False).number for i, u in enumerate([a, b])]
    numbers.append(buy(ws, c, [(ws.day1_pass, 1)], now=T0 + timedelta(days=1), confirm=False).number)
    assert numbers == ["ORD-20300301-0001", "ORD-20300301-0002", "ORD-20300302-0001"]


def test_tickets_carry_the_named_attendees_or_the_buyer(ws):
    a, b = ws.extra["buyers"][:2]
    attendees = [Attendee("Ann", " ANN@example.com"), Attendee("Bo", "bo@example.com")]
    order = buy(ws, a, [(ws.day1_pass, 2)], attendees=attendees)
    assert sorted((t.holder_name, t.holder_email) for t in tickets_of(order.id)) == [
        ("Ann", "ann@example.com"), ("Bo", "bo@example.com")]
    order = buy(ws, b, [(ws.day1_pass, 1)])
    (t,) = tickets_of(order.id)
    assert t.holder_name == "Buyer 1" and t.holder_email.startswith("buyer-")


@pytest.mark.parametrize(
    ("attendees", "code"),
    [([Attendee("Ann", "ann@example.com")], "attendees_mismatch"),
     ([Attendee(" ", "a@example.com"), Attendee("B", "b@example.com")], "invalid_attendee"),
     ([Attendee("A", "not-an-email"), Attendee("B", "b@example.com")], "invalid_attendee")],
)
def test_bad_attendees_are_refused_and_the_hold_stays(ws, attendees, code):
    a = ws.extra["buyers"][0]
    h = hold(ws, a, [(ws.day1_pass, 2)])
    err = error_of(orders.checkout, hold_id=h.id, user_id=a, attendees=attendees, now=T0)
    assert (err.code, err.status) == (code, 422)
    assert load(Hold, h.id).status == "active"


def test_zero_total_confirms_at_once(ws):
    a = ws.extra["buyers"][0]
    with session_scope() as db:
        t = db.get(TicketType, ws.day2_pass)
        t.price_minor = 0
        db.add(t)
    order = buy(ws, a, [(ws.day2_pass, 3)], confirm=False)
    assert order.status == "confirmed" and order.total_minor == 0 and order.confirmed_at == T0
    assert load(EventSession, ws.day2).sold == 3 and load(TicketType, ws.day2_pass).sold == 3
    assert {t.status for t in tickets_of(order.id)} == {"valid"}
    with session_scope(readonly=True) as db:
        assert db.exec(select(func.count()).select_from(PlaceClaim)).one() == 0


def test_checkout_twice_or_by_someone_else_is_refused(ws):
    a, b = ws.extra["buyers"][:2]
    h = hold(ws, a, [(ws.day1_pass, 1)])
    assert error_of(orders.checkout, hold_id=h.id, user_id=b, attendees=None, now=T0).code == "not_found"
    order = in_tx(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=T0)
    err = error_of(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=T0)
    assert (err.code, err.extra["order_id"]) == ("hold_converted", order.id)


def test_price_is_locked_at_hold_time(ws):
    a = ws.extra["buyers"][0]
    h = hold(ws, a, [(ws.series, 1)])
    with session_scope() as db:
        t = db.get(TicketType, ws.series)
        t.price_minor = 99900
        db.add(t)
    order = in_tx(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=T0 + 14 * MIN)
    assert order.total_minor == 15000


def test_expired_hold_is_retaken_at_the_current_price_when_places_are_free(ws):
    a = ws.extra["buyers"][0]
    h = hold(ws, a, [(ws.series, 2)])
    with session_scope() as db:
        t = db.get(TicketType, ws.series)
        t.price_minor = 17500
        db.add(t)
    order = in_tx(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=T0 + 20 * MIN)
    assert order.total_minor == 35000
    with session_scope(readonly=True) as db:
        (item,) = orders.order_items(db=db, order_id=order.id)
    assert item.unit_price_minor == 17500
    assert taken(ws, T0 + 20 * MIN)[0][ws.day1] == (0, 2, 0)


def test_expired_hold_whose_places_are_gone_is_hold_expired(ws):
    a, b = ws.extra["buyers"][:2]
    h = hold(ws, a, [(ws.weekend, 2)])
    hold(ws, b, [(ws.weekend, 4)], now=T0 + 16 * MIN)  # possible only because a's hold expired
    err = error_of(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=T0 + 17 * MIN)
    assert (err.code, err.status, err.extra["available"]) == ("hold_expired", 409, 1)


def test_expired_hold_of_a_type_no_longer_on_sale_is_hold_expired(ws):
    a = ws.extra["buyers"][0]
    h = hold(ws, a, [(ws.series, 1)])
    with session_scope() as db:
        t = db.get(TicketType, ws.series)
        t.sale_ends_at = T0 + 16 * MIN
        db.add(t)
    err = error_of(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=T0 + 17 * MIN)
    assert (err.code, err.extra["reason"]) == ("hold_expired", "sale_ended")


def test_a_hold_long_expired_cannot_be_retaken(ws):
    a = ws.extra["buyers"][0]
    h = hold(ws, a, [(ws.series, 1)])
    too_late = T0 + 15 * MIN + orders.RETAKE_GRACE + MIN
    err = error_of(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=too_late)
    assert err.code == "hold_expired"


def test_a_live_hold_cannot_be_checked_out_once_the_event_is_cancelled(ws):
    a = ws.extra["buyers"][0]
    h = hold(ws, a, [(ws.series, 1)])
    with session_scope() as db:
        db.get(Event, ws.event_id).status = "cancelled"
    err = error_of(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=T0 + MIN)
    assert (err.code, err.status, err.extra["reason"]) == ("not_on_sale", 422, "event_cancelled")


def test_confirm_moves_places_to_sold_and_is_idempotent(ws):
    a = ws.extra["buyers"][0]
    order = buy(ws, a, [(ws.series, 2), (ws.day1_pass, 1)], confirm=False)
    confirmed = in_tx(orders.confirm_order, order_id=order.id, now=T0 + MIN, payment_reference="pi_1")
    assert confirmed.status == "confirmed" and confirmed.payment_intent_id == "pi_1"
    again = in_tx(orders.confirm_order, order_id=order.id, now=T0 + 2 * MIN, payment_reference="pi_2")
    assert again.confirmed_at == T0 + MIN and again.payment_intent_id == "pi_1"
    assert [load(EventSession, s).sold for s in (ws.day1, ws.day2, ws.day3)] == [3, 2, 2]
    assert load(TicketType, ws.series).sold == 2 and load(TicketType, ws.day1_pass).sold == 1
    assert {t.status for t in tickets_of(order.id)} == {"valid"}
    sessions, _ = taken(ws, T0 + 2 * MIN)
    assert sessions[ws.day1] == (3, 0, 0)  # counted once: claims are gone, counters hold it


def test_late_confirmation_succeeds_while_places_are_free(ws):
    a = ws.extra["buyers"][0]
    order = buy(ws, a, [(ws.weekend, 5)], confirm=False)
    in_tx(orders.expire_orders, now=T0 + 31 * MIN)
    assert load(Order, order.id).status == "expired"
    late = in_tx(orders.confirm_order, order_id=order.id, now=T0 + 40 * MIN)
    assert late.status == "confirmed" and load(TicketType, ws.weekend).sold == 5


def test_late_confirmation_when_places_are_gone_is_a_distinct_error(ws):
    a, b = ws.extra["buyers"][:2]
    order = buy(ws, a, [(ws.weekend, 3)], confirm=False)
    buy(ws, b, [(ws.weekend, 4)], now=T0 + 31 * MIN)
    err = error_of(orders.confirm_order, order_id=order.id, now=T0 + 32 * MIN)
    assert (err.code, err.status) == ("order_expired_places_gone", 409)
    assert load(TicketType, ws.weekend).sold == 4 and load(Order, order.id).status == "pending"


def test_confirming_a_cancelled_order_asks_for_a_refund(ws):
    a = ws.extra["buyers"][0]
    order = buy(ws, a, [(ws.day1_pass, 1)], confirm=False)
    in_tx(cancellation.cancel_order, order_id=order.id, user_id=a, now=T0)
    assert error_of(orders.confirm_order, order_id=order.id, now=T0).code == "order_cancelled"


def test_cancel_confirmed_order_frees_places_and_refunds_minus_the_fee(ws):
    a, b = ws.extra["buyers"][:2]
    order = buy(ws, a, [(ws.weekend, 5)])
    err = error_of(holds.hold_tickets, event_id=ws.event_id, user_id=b, items=[(ws.weekend, 1)], now=T0)
    assert err.code == "quota_reached"
    result = in_tx(cancellation.cancel_order, order_id=order.id, user_id=a, now=T0 + MIN)
    assert result.order.status == "cancelled" and result.order.cancelled_at == T0 + MIN
    assert (result.refund_minor, result.fee_minor) == (5 * 9000, 5 * 1000)
    assert load(TicketType, ws.weekend).sold == 0 and load(EventSession, ws.day3).sold == 0
    assert {t.status for t in tickets_of(order.id)} == {"cancelled"}
    assert hold(ws, b, [(ws.weekend, 5)], now=T0 + MIN).id
    err = error_of(cancellation.cancel_order, order_id=order.id, user_id=a, now=T0 + MIN)
    assert (err.code, err.extra["reason"]) == ("not_cancellable", "cancelled")


def test_partial_cancellation_of_a_pending_order_shrinks_claims_and_amount_due(ws):
    a = ws.extra["buyers"][0]
    order = buy(ws, a, [(ws.series, 2), (ws.day1_pass, 1)], confirm=False)
    series_tickets = [t.id for t in tickets_of(order.id) if t.ticket_type_id == ws.series]
    result = in_tx(cancellation.cancel_order, order_id=order.id, user_id=a, ticket_ids=series_tickets[:1], now=T0)
    assert result.order.status == "pending" and result.order.total_minor == 15000 + 6000
    assert result.refund_minor == 0  # nothing was paid
    sessions, types = taken(ws, T0)
    assert sessions[ws.day1] == (0, 2, 0) and sessions[ws.day3] == (0, 1, 0)
    assert types[ws.series].available == 14
    err = error_of(cancellation.cancel_order, order_id=order.id, user_id=a, ticket_ids=series_tickets[:1], now=T0)
    assert (err.code, err.extra["ticket_id"]) == ("not_cancellable", series_tickets[0])
    # The rest confirms normally: only live tickets move to sold.
    in_tx(orders.confirm_order, order_id=order.id, now=T0 + MIN)
    assert load(TicketType, ws.series).sold == 1 and load(EventSession, ws.day1).sold == 2
    rest = in_tx(cancellation.cancel_order, order_id=order.id, user_id=a, now=T0 + 2 * MIN)
    assert rest.order.status == "cancelled" and rest.refund_minor == 13500 + 5400
    assert load(EventSession, ws.day1).sold == 0


def test_cancellation_policy_deadline_and_switch(ws):
    a = ws.extra["buyers"][0]
    order = buy(ws, a, [(ws.weekend, 1), (ws.day1_pass, 1)])
    day1_ticket = next(t.id for t in tickets_of(order.id) if t.ticket_type_id == ws.day1_pass)
    # Day 1 starts at T0+30d; the deadline is 48 h before it.
    late = T0 + timedelta(days=28, minutes=1)
    err = error_of(cancellation.cancel_order, order_id=order.id, user_id=a, ticket_ids=[day1_ticket], now=late)
    assert (err.code, err.extra["reason"]) == ("not_cancellable", "deadline_passed")
    weekend_ticket = next(t.id for t in tickets_of(order.id) if t.ticket_type_id == ws.weekend)
    done = in_tx(cancellation.cancel_order, order_id=order.id, user_id=a, ticket_ids=[weekend_ticket], now=late)
    assert done.refund_minor == 9000
    with session_scope() as db:
        e = db.get(Event, ws.event_id)
        e.allow_cancellation = False
        db.add(e)
    err = error_of(cancellation.cancel_order, order_id=order.id, user_id=a, now=T0)
    assert (err.code, err.extra["reason"]) == ("not_cancellable", "not_allowed")


def test_organizer_may_always_cancel_with_a_full_refund_strangers_may_not(ws):
    a, b = ws.extra["buyers"][:2]
    order = buy(ws, a, [(ws.day1_pass, 2)])
    after_deadline = T0 + timedelta(days=29)
    assert error_of(cancellation.cancel_order, order_id=order.id, user_id=b, now=T0).code == "not_found"
    err = error_of(cancellation.cancel_order, order_id=order.id, user_id=b, now=T0, by_organizer=True)
    assert err.code == "not_found"
    result = in_tx(cancellation.cancel_order, order_id=order.id, user_id=ws.owner_id, now=after_deadline,
                   by_organizer=True)
    assert (result.refund_minor, result.fee_minor, result.order.status) == (12000, 0, "cancelled")


def test_cancel_with_foreign_or_empty_ticket_ids(ws):
    a, b = ws.extra["buyers"][:2]
    mine = buy(ws, a, [(ws.day1_pass, 1)])
    theirs = buy(ws, b, [(ws.day1_pass, 1)])
    foreign = tickets_of(theirs.id)[0].id
    err = error_of(cancellation.cancel_order, order_id=mine.id, user_id=a, ticket_ids=[foreign], now=T0)
    assert (err.code, err.status) == ("not_found", 404)
    assert error_of(cancellation.cancel_order, order_id=mine.id, user_id=a, ticket_ids=[], now=T0).status == 422


def test_sweep_tidies_and_reports_without_changing_availability(ws):
    a, b = ws.extra["buyers"][:2]
    hold(ws, a, [(ws.day1_pass, 2)])
    pending = buy(ws, b, [(ws.day2_pass, 1)], confirm=False)
    at = T0 + 31 * MIN
    before = taken(ws, at)[0]
    result = in_tx(sweeper.sweep, now=at)
    assert result.expired_order_ids == [pending.id] and result.deleted_claims == 4
    assert result.session_ids == {ws.event_id: {ws.day1, ws.day2}}
    assert result.event_versions == {ws.event_id: load(Event, ws.event_id).version}
    assert result.released_hold_ids == []  # still re-takable within the grace period
    assert taken(ws, at)[0] == before
    later = in_tx(sweeper.sweep, now=T0 + 15 * MIN + orders.RETAKE_GRACE)
    assert len(later.released_hold_ids) == 1 and later.expired_order_ids == []
    assert in_tx(sweeper.sweep, now=T0 + timedelta(days=1)).changed is False


def test_transfer_reissues_the_code(ws):
    a, b = ws.extra["buyers"][:2]
    order = buy(ws, a, [(ws.day1_pass, 1)])
    (t,) = tickets_of(order.id)
    err = error_of(ticket_holders.transfer_ticket, ticket_id=t.id, user_id=b, name="X", email="x@example.com", now=T0)
    assert err.code == "not_found"
    moved = in_tx(ticket_holders.transfer_ticket, ticket_id=t.id, user_id=a, name="Friend",
                  email="Friend@Example.com", now=T0)
    assert (moved.holder_name, moved.holder_email, moved.code_version) == ("Friend", "friend@example.com", 2)
    assert moved.code != t.code
    in_tx(cancellation.cancel_order, order_id=order.id, user_id=a, now=T0)
    err = error_of(ticket_holders.transfer_ticket, ticket_id=t.id, user_id=a, name="Y", email="y@example.com", now=T0)
    assert err.code == "not_transferable"


def test_list_orders_newest_first_and_only_mine(ws):
    a, b = ws.extra["buyers"][:2]
    first = buy(ws, a, [(ws.day1_pass, 1)])
    in_tx(cancellation.cancel_order, order_id=first.id, user_id=a, now=T0)
    second = buy(ws, a, [(ws.day2_pass, 1)], now=T0 + MIN)
    buy(ws, b, [(ws.day2_pass, 1)])
    with session_scope(readonly=True) as db:
        assert [o.id for o in orders.list_orders_for_user(db=db, user_id=a)] == [second.id, first.id]
        assert error_of(orders.get_order, order_id=first.id, user_id=b).code == "not_found"
    with session_scope(readonly=True) as db:
        assert db.exec(select(func.count()).select_from(Ticket)).one() == 3


def _draws(seed, n):
    rng = random.Random(seed)
    return ["".join(rng.choice(short_codes.ALPHABET) for _ in range(short_codes.LENGTH)) for _ in range(n)]


@pytest.mark.parametrize("late", [False, True], ids=["on_counters", "exact_after_expiry"])
def test_a_short_code_taken_in_the_event_is_drawn_again_at_checkout(ws, monkeypatch, late):
    a, b = ws.extra["buyers"][:2]
    first, second = _draws(7, 2)
    monkeypatch.setattr(short_codes, "_random", random.Random(7))
    taken_code = tickets_of(buy(ws, a, [(ws.day1_pass, 1)]).id)[0].short_code
    assert taken_code == first
    monkeypatch.setattr(short_codes, "_random", random.Random(7))  # the same draw again: a collision
    # Checked out an hour after the hold expired, the order takes the exact path (not the counters').
    h = hold(ws, b, [(ws.day1_pass, 2)])
    order = in_tx(orders.checkout, hold_id=h.id, user_id=b, attendees=None, now=T0 + (60 * MIN if late else MIN))
    codes = sorted(t.short_code for t in tickets_of(order.id))
    assert first not in codes and len(set(codes)) == 2 and second in codes


def test_a_short_code_taken_in_the_event_is_drawn_again_on_transfer(ws, monkeypatch):
    a, b = ws.extra["buyers"][:2]
    first, second = _draws(7, 2)
    monkeypatch.setattr(short_codes, "_random", random.Random(7))
    buy(ws, a, [(ws.day1_pass, 1)])
    monkeypatch.setattr(short_codes, "_random", random.Random(99))
    mine = tickets_of(buy(ws, b, [(ws.day1_pass, 1)]).id)[0]
    monkeypatch.setattr(short_codes, "_random", random.Random(7))
    in_tx(ticket_holders.transfer_ticket, ticket_id=mine.id, user_id=b, name="Friend", email="f@example.com", now=T0)
    moved = load(Ticket, mine.id)
    assert (moved.short_code, moved.holder_name, moved.code_version) == (second, "Friend", 2)


def test_short_codes_give_up_busy_when_every_draw_collides(ws, monkeypatch):
    a, b = ws.extra["buyers"][:2]
    monkeypatch.setattr(short_codes, "new_short_code", lambda: "AAAAABBBBB")
    buy(ws, a, [(ws.day1_pass, 1)])
    h = hold(ws, b, [(ws.day1_pass, 1)])
    err = error_of(orders.checkout, hold_id=h.id, user_id=b, attendees=None, now=T0)
    assert err.code == "busy"


def test_the_ticket_file_is_for_the_buyer_and_the_organizer_once_tickets_are_valid(ws):
    a, b = ws.extra["buyers"][:2]
    paid = buy(ws, a, [(ws.weekend, 2)], attendees=[Attendee("Ada Lovelace", ""), Attendee("Grace Hopper", "")])
    unpaid = buy(ws, a, [(ws.day1_pass, 1)], confirm=False)
    for caller in (a, ws.owner_id):
        file = in_tx(ticket_file.order_tickets_pdf, order_id=paid.id, user_id=caller, now=T0)
        assert file.filename == f"ticket-{paid.number}-2.pdf"
        pages = pdf_pages(file.data)
        assert len(pages) == 2 and "Ada Lovelace" in pages[0] and "Grace Hopper" in pages[1]
        assert "Day 2 - Advanced Techniques" in pages[0] and "Day 3 - Practice & Integration" in pages[0]
        assert "General admission" in pages[0] and "Rope Workshop" in pages[0]
        codes = [t.short_code for t in tickets_of(paid.id)]
        assert short_codes.display(codes[0]) in pages[0] and short_codes.display(codes[1]) in pages[1]
    one = tickets_of(paid.id)[1]
    file = in_tx(ticket_file.order_tickets_pdf, order_id=paid.id, user_id=a, now=T0, ticket_id=one.id)
    assert len(pdf_pages(file.data)) == 1 and "Grace Hopper" in pdf_pages(file.data)[0]
    assert error_of(ticket_file.order_tickets_pdf, order_id=paid.id, user_id=b, now=T0).code == "not_found"
    assert error_of(ticket_file.order_tickets_pdf, order_id=unpaid.id, user_id=a, now=T0).code == "no_valid_tickets"
