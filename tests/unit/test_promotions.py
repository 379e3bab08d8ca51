"""Promo codes: definitions, every refusal at hold time, the discount locked per line and
carried into the order and its refunds, uses taken and given back."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.builders import T0, error_of, in_tx, load, make_buyers, make_workshop
from ticketing.db import session_scope
from ticketing.models import Hold, Order, PromoRedemption
from ticketing.services.promotions import codes, redemptions
from ticketing.services.promotions.codes import CodeTerms
from ticketing.services.promotions.discounts import Line, Terms, line_discounts, paid_per_ticket
from ticketing.services.sales import cancellation, holds, orders


@pytest.fixture
def ws():
    with session_scope() as db:
        w = make_workshop(db)
        w.extra["buyers"] = [u.id for u in make_buyers(db, 4)]
    return w


def make_code(ws, **terms):
    terms.setdefault("kind", "percent")
    terms.setdefault("value", 20)
    return in_tx(codes.create_code, user_id=ws.owner_id, event_id=ws.event_id, terms=CodeTerms(**terms), now=T0)


def hold(ws, user, items, code, now=T0):
    return in_tx(holds.hold_tickets, event_id=ws.event_id, user_id=user, items=items, now=now, promo_code=code)


def hold_error(ws, user, items, code, now=T0):
    return error_of(holds.hold_tickets, event_id=ws.event_id, user_id=user, items=items, now=now, promo_code=code)


def uses(code_id, now=T0):
    with session_scope(readonly=True) as db:
        return redemptions.live_uses(db, code_id=code_id, now=now)


# --- the arithmetic ------------------------------------------------------------------------

A, B = uuid.uuid4(), uuid.uuid4()


def test_percent_fixed_and_free_discount_each_ticket_in_scope_only():
    lines = [Line(A, 2, 1999), Line(B, 1, 500)]
    assert line_discounts(Terms("percent", 15), lines, None) == {A: 2 * 300, B: 75}  # 299.85 -> 300
    assert line_discounts(Terms("fixed", 700), lines, {A, B}) == {A: 1400, B: 500}  # never below zero
    assert line_discounts(Terms("free", 0), lines, {B}) == {A: 0, B: 500}


def test_buy_two_get_one_frees_the_cheapest_of_each_complete_group():
    lines = [Line(A, 4, 1000), Line(B, 2, 400)]
    # dearest first: 1000 1000 1000 | 1000 400 400 -> the third of each group is free
    assert line_discounts(Terms("buy_x_get_y", 0, 2, 1), lines, None) == {A: 1000, B: 400}
    assert line_discounts(Terms("buy_x_get_y", 0, 2, 1), [Line(A, 2, 1000)], None) == {A: 0}


def test_a_lines_discount_is_spread_over_its_tickets_to_the_last_minor_unit():
    assert paid_per_ticket(1000, 1001, 3) == [666, 666, 667] and sum(paid_per_ticket(1000, 1001, 3)) == 1999


# --- organizer side -------------------------------------------------------------------------


def test_codes_are_unique_per_event_case_insensitively(ws):
    make_code(ws, code="Spring20")
    err = error_of(codes.create_code, user_id=ws.owner_id, event_id=ws.event_id,
                   terms=CodeTerms(code="SPRING20", kind="percent", value=10), now=T0)
    assert (err.code, err.status) == ("duplicate_code", 409)


@pytest.mark.parametrize("terms", [
    dict(kind="percent", value=0), dict(kind="percent", value=101), dict(kind="fixed", value=0),
    dict(kind="buy_x_get_y", buy_quantity=2), dict(kind="bogus"),
    dict(kind="percent", value=10, ticket_type_ids=[uuid.uuid4()]),
])
def test_bad_discounts_are_invalid_discount_and_write_nothing(ws, terms):
    err = error_of(codes.create_code, user_id=ws.owner_id, event_id=ws.event_id,
                   terms=CodeTerms(code="X1", **terms), now=T0)
    assert (err.code, err.status) == ("invalid_discount", 422)
    with session_scope(readonly=True) as db:
        assert codes.list_codes(db=db, user_id=ws.owner_id, event_id=ws.event_id, now=T0) == []


def test_a_customer_cannot_create_codes(ws):
    err = error_of(codes.create_code, user_id=ws.extra["buyers"][0], event_id=ws.event_id,
                   terms=CodeTerms(code="MINE", kind="free"), now=T0)
    assert err.code == "not_found"


def test_bulk_codes_are_single_use_distinct_and_exported(ws):
    made = in_tx(codes.bulk_create, user_id=ws.owner_id, event_id=ws.event_id, prefix="vip", count=25,
                 terms=CodeTerms(code="", kind="free"), now=T0)
    assert len({c.code_key for c in made}) == 25 and all(c.max_uses == 1 and c.code.startswith("VIP-") for c in made)
    with session_scope(readonly=True) as db:
        views = codes.list_codes(db=db, user_id=ws.owner_id, event_id=ws.event_id, now=T0, batch=made[0].batch)
    text = codes.codes_csv(views)
    assert text.splitlines()[0].startswith("code,discount") and len(text.splitlines()) == 26
    a, b = ws.extra["buyers"][:2]
    hold(ws, a, [(ws.day1_pass, 1)], made[0].code.lower())
    assert hold_error(ws, b, [(ws.day1_pass, 1)], made[0].code).code == "code_used_up"


# --- at hold time ---------------------------------------------------------------------------


def test_a_percentage_code_discounts_each_line_and_the_total(ws):
    code = make_code(ws, code="SPRING20", ticket_type_ids=[ws.series])
    h = hold(ws, ws.extra["buyers"][0], [(ws.series, 2), (ws.day1_pass, 1)], "spring20")
    assert (h.discount_minor, h.total_minor, h.promo_code_id) == (6000, 2 * 15000 + 6000 - 6000, code.id)
    with session_scope(readonly=True) as db:
        lines = {i.ticket_type_id: (i.unit_price_minor, i.discount_minor) for i in holds.hold_items(db=db, hold_id=h.id)}
    assert lines == {ws.series: (15000, 6000), ws.day1_pass: (6000, 0)}
    assert uses(code.id) == 1


def test_every_refusal_has_its_code_and_takes_nothing(ws):
    a = ws.extra["buyers"][0]
    make_code(ws, code="PAUSED", is_active=False)
    make_code(ws, code="LATER", starts_at=T0 + timedelta(days=1))
    make_code(ws, code="OVER", ends_at=T0)
    make_code(ws, code="SERIES", ticket_type_ids=[ws.series])
    make_code(ws, code="THREE", min_tickets=3)
    cases = {"NOPE": "code_invalid", "PAUSED": "code_invalid", "LATER": "code_expired", "OVER": "code_expired",
             "SERIES": "code_not_applicable", "THREE": "code_not_applicable", "bad code!": "code_invalid"}
    for text, expected in cases.items():
        err = hold_error(ws, a, [(ws.day1_pass, 2)], text)
        assert (err.code, err.status) == (expected, 422), text
    with session_scope(readonly=True) as db:
        assert db.exec(select(Hold)).all() == [] and db.exec(select(PromoRedemption)).all() == []


def test_a_code_of_another_event_is_invalid_here(ws):
    with session_scope() as db:
        other = make_workshop(db)
    in_tx(codes.create_code, user_id=other.owner_id, event_id=other.event_id,
          terms=CodeTerms(code="ELSEWHERE", kind="percent", value=50), now=T0)
    assert hold_error(ws, ws.extra["buyers"][0], [(ws.day1_pass, 1)], "ELSEWHERE").code == "code_invalid"


def test_uses_in_all_and_per_customer_are_409_code_used_up(ws):
    a, b, c = ws.extra["buyers"][:3]
    make_code(ws, code="TWICE", max_uses=2, max_uses_per_customer=1)
    h = hold(ws, a, [(ws.day1_pass, 1)], "TWICE")
    in_tx(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=T0)
    again = hold_error(ws, a, [(ws.day2_pass, 1)], "TWICE")
    assert (again.code, again.status, again.extra["reason"]) == ("code_used_up", 409, "per_customer")
    hold(ws, b, [(ws.day1_pass, 1)], "TWICE")
    assert hold_error(ws, c, [(ws.day1_pass, 1)], "TWICE").extra["reason"] == "max_uses"


def test_a_use_comes_back_when_the_hold_is_released_or_lapses(ws):
    a, b = ws.extra["buyers"][:2]
    code = make_code(ws, code="ONCE", max_uses=1)
    h = hold(ws, a, [(ws.day1_pass, 1)], "ONCE")
    in_tx(holds.release_hold, hold_id=h.id, user_id=a, now=T0)
    assert uses(code.id) == 0
    hold(ws, b, [(ws.day1_pass, 1)], "ONCE")
    assert hold_error(ws, a, [(ws.day1_pass, 1)], "ONCE").code == "code_used_up"
    later = T0 + timedelta(minutes=16)  # b's hold has lapsed
    assert uses(code.id, later) == 0
    assert hold(ws, a, [(ws.day1_pass, 1)], "ONCE", now=later).discount_minor == 1200


def test_the_order_carries_the_discount_and_a_partial_cancellation_refunds_what_was_paid(ws):
    a, b = ws.extra["buyers"][:2]
    code = make_code(ws, code="THIRD", kind="fixed", value=2001, max_uses=1)
    h = hold(ws, a, [(ws.day1_pass, 3)], "THIRD")
    order = in_tx(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=T0)
    assert (order.total_minor, order.discount_minor, order.promo_code_id) == (3 * 6000 - 3 * 2001, 6003, code.id)
    in_tx(orders.confirm_order, order_id=order.id, now=T0 + timedelta(minutes=1))
    assert uses(code.id, T0 + timedelta(days=365)) == 1  # paid: never lapses
    with session_scope(readonly=True) as db:
        tickets = orders.order_tickets(db=db, order_id=order.id)
    first = in_tx(cancellation.cancel_order, order_id=order.id, user_id=a, ticket_ids=[tickets[0].id], now=T0)
    assert first.refund_minor == 6000 - 2001
    assert uses(code.id) == 1  # a partial cancellation keeps the use
    rest = in_tx(cancellation.cancel_order, order_id=order.id, user_id=a, now=T0)
    assert first.refund_minor + rest.refund_minor == order.total_minor
    assert uses(code.id) == 0  # cancelled whole: the use comes back
    assert hold(ws, b, [(ws.day1_pass, 1)], "THIRD").discount_minor == 2001


def test_a_free_code_confirms_the_order_at_once(ws):
    a = ws.extra["buyers"][0]
    code = make_code(ws, code="COMP", kind="free", max_uses=1)
    h = hold(ws, a, [(ws.day1_pass, 2)], "COMP")
    assert h.total_minor == 0
    order = in_tx(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=T0)
    assert order.status == "confirmed" and load(Order, order.id).discount_minor == 12000
    assert uses(code.id, T0 + timedelta(days=30)) == 1


def test_an_expired_hold_is_retaken_with_its_code_redeemed_anew(ws):
    a, b = ws.extra["buyers"][:2]
    code = make_code(ws, code="RETAKE", max_uses=1)
    h = hold(ws, a, [(ws.day1_pass, 1)], "RETAKE")
    later = T0 + timedelta(minutes=20)
    hold(ws, b, [(ws.day2_pass, 1)], "RETAKE", now=later)  # the lapsed use went to b
    err = error_of(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=later)
    assert err.code == "code_used_up"
    assert uses(code.id, later) == 1


def test_a_code_put_on_a_live_hold_replaces_its_code_and_comes_off_again(ws):
    from ticketing.services.promotions.hold_codes import apply_to_hold

    a, b = ws.extra["buyers"][:2]
    first = make_code(ws, code="FIRST", value=10, max_uses=1)
    second = make_code(ws, code="SECOND", kind="fixed", value=1000)
    h = hold(ws, a, [(ws.day1_pass, 2)], None)
    on = in_tx(apply_to_hold, hold_id=h.id, user_id=a, code="first", now=T0)
    assert (on.discount_minor, on.total_minor, uses(first.id)) == (1200, 10800, 1)
    swapped = in_tx(apply_to_hold, hold_id=h.id, user_id=a, code="Second", now=T0)
    assert (swapped.discount_minor, swapped.promo_code_id, uses(first.id), uses(second.id)) == (2000, second.id, 0, 1)
    with session_scope(readonly=True) as db:
        assert [i.discount_minor for i in holds.hold_items(db=db, hold_id=h.id)] == [2000]
    assert error_of(apply_to_hold, hold_id=h.id, user_id=b, code="FIRST", now=T0).code == "not_found"
    assert error_of(apply_to_hold, hold_id=h.id, user_id=a, code="NOPE", now=T0).code == "code_invalid"
    assert load(Hold, h.id).promo_code_id == second.id  # a refusal keeps the code it had
    off = in_tx(apply_to_hold, hold_id=h.id, user_id=a, code=None, now=T0)
    assert (off.discount_minor, off.total_minor, off.promo_code_id, uses(second.id)) == (0, 12000, None, 0)
    late = T0 + timedelta(minutes=16)
    assert error_of(apply_to_hold, hold_id=h.id, user_id=a, code="FIRST", now=late).code == "hold_expired"


def test_validate_quotes_at_todays_prices_and_takes_no_use(ws):
    code = make_code(ws, code="QUOTE", kind="buy_x_get_y", buy_quantity=2, get_quantity=1, max_uses=1)
    with session_scope(readonly=True) as db:
        quote, lines, currency = redemptions.validate_code(db=db, event_id=ws.event_id, user_id=None, code="quote",
                                                            items=[(ws.day1_pass, 3)], now=T0)
    assert (quote.discount_minor, currency) == (6000, "EUR") and uses(code.id) == 0
    err = error_of(redemptions.validate_code, event_id=ws.event_id, user_id=None, code="quote",
                   items=[(uuid.uuid4(), 1)], now=T0)
    assert err.code == "not_found"


def test_a_hold_with_a_code_is_one_statement_on_the_counters_and_sees_a_paused_code_at_once(ws, monkeypatch):
    from tests.spies import record_outcomes
    from ticketing.services.sales import hold_store

    taken = record_outcomes(monkeypatch, hold_store, "take", lambda t: t.outcome)
    a, b, c = ws.extra["buyers"][:3]
    code = make_code(ws, code="FLIP", max_uses=5)
    assert hold(ws, a, [(ws.day1_pass, 1)], "flip").discount_minor == 1200
    assert taken == ["granted"]
    with session_scope(readonly=True) as db:
        assert db.get(type(code), code.id).claimed == 1  # the trigger's counter of uses
    in_tx(codes.update_code, user_id=ws.owner_id, event_id=ws.event_id, code_id=code.id,
          changes={"is_active": False}, now=T0)
    assert hold_error(ws, b, [(ws.day1_pass, 1)], "FLIP").code == "code_invalid"
    in_tx(codes.update_code, user_id=ws.owner_id, event_id=ws.event_id, code_id=code.id,
          changes={"is_active": True}, now=T0)
    assert hold(ws, c, [(ws.day1_pass, 1)], "FLIP").discount_minor == 1200
    assert taken[-1] == "granted" and uses(code.id) == 2


def test_the_report_counts_what_was_paid_and_the_discounts_apart(ws):
    from ticketing.services.reporting import sales_report

    a = ws.extra["buyers"][0]
    make_code(ws, code="REPORT", kind="fixed", value=1001)
    h = hold(ws, a, [(ws.day1_pass, 3)], "REPORT")
    order = in_tx(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=T0)
    in_tx(orders.confirm_order, order_id=order.id, now=T0)
    with session_scope(readonly=True) as db:
        report = sales_report.event_report(db=db, user_id=ws.owner_id, event_id=ws.event_id, now=T0)
    day1 = next(t for t in report.by_type if t.name == "Day 1 Only")
    assert (day1.sold, day1.revenue_minor, report.discounts_minor) == (3, 3 * 6000 - 3003, 3003)
    assert "Promo code discounts (not in gross),30.03" in sales_report.report_csv(report)


def test_a_code_scoped_to_a_price_level_discounts_that_levels_seats_only():
    from tests.seating_builders import make_seated_event
    from ticketing.services.promotions.hold_codes import apply_to_hold
    from ticketing.services.seating import seat_sales

    with session_scope() as db:
        se = make_seated_event(db, bands=[("Front", 5000, ["Stalls"]), ("Back", 3000, None)])
        (buyer,) = [u.id for u in make_buyers(db, 1)]
    in_tx(codes.create_code, user_id=se.owner_id, event_id=se.event_id, now=T0,
          terms=CodeTerms(code="FRONTROW", kind="percent", value=50, price_level_ids=[se.levels["Front"]]))
    front = [se.idx("Stalls", "A", n) for n in (3, 4)]
    held = in_tx(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id, user_id=buyer, idxs=front,
                 now=T0)
    on = in_tx(apply_to_hold, hold_id=held.hold.id, user_id=buyer, code="frontrow", now=T0)
    assert (on.discount_minor, on.total_minor) == (5000, 5000)
    with session_scope() as db:
        other = make_buyers(db, 1)[0].id
    err = error_of(holds.hold_tickets, event_id=se.event_id, user_id=other, items=[(se.types["Back"], 1)], now=T0,
                   promo_code="FRONTROW")
    assert err.code == "code_not_applicable"


def test_the_sweeper_deletes_lapsed_uses_and_the_codes_counter_falls(ws):
    from ticketing.models import PromoCode
    from ticketing.services.sales import sweeper

    code = make_code(ws, code="SWEEP", max_uses=2)
    a, b = ws.extra["buyers"][:2]
    hold(ws, a, [(ws.day1_pass, 1)], "SWEEP")
    kept = hold(ws, b, [(ws.day2_pass, 1)], "SWEEP", now=T0 + timedelta(minutes=10))
    result = in_tx(sweeper.sweep, now=T0 + timedelta(minutes=16))
    assert result.deleted_redemptions == 1
    with session_scope(readonly=True) as db:
        assert db.get(PromoCode, code.id).claimed == 1
        assert [r.hold_id for r in db.exec(select(PromoRedemption)).all()] == [kept.id]


def test_the_codes_figures_are_net_of_partial_cancellations(ws):
    a = ws.extra["buyers"][0]
    code = make_code(ws, code="NET", kind="fixed", value=1001)
    h = hold(ws, a, [(ws.day1_pass, 3)], "NET")
    order = in_tx(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=T0)
    in_tx(orders.confirm_order, order_id=order.id, now=T0)

    def figures():
        with session_scope(readonly=True) as db:
            (view,) = [v for v in codes.list_codes(db=db, user_id=ws.owner_id, event_id=ws.event_id, now=T0)
                       if v.code.id == code.id]
        return view.orders, view.discount_minor, view.revenue_minor

    assert figures() == (1, 3003, 3 * 6000 - 3003)
    with session_scope(readonly=True) as db:
        first = orders.order_tickets(db=db, order_id=order.id)[0]
    in_tx(cancellation.cancel_order, order_id=order.id, user_id=a, ticket_ids=[first.id], now=T0)
    # The first ticket carried 10.01 of the discount and was paid 49.99: neither counts any more.
    assert figures() == (1, 2002, 2 * 6000 - 2002)
