"""Presales: a block sold during its window only with one of its access codes; every refusal
at hold time, uses and the quota counted and given back, availability per caller, the block's
return to general sale, seat blocks."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

import pytest
from sqlmodel import select

from tests.builders import T0, error_of, in_tx, make_buyers, make_workshop
from tests.seating_builders import make_seated_event
from ticketing.db import session_scope
from ticketing.models import Event, PresaleUse
from ticketing.realtime import views
from ticketing.services.presales import access, setup
from ticketing.services.sales import cancellation, holds, orders
from ticketing.services.sales.availability import event_availability
from ticketing.services.seating import seat_map, seat_sales
from ticketing.services.seating.seat_status import AVAILABLE, BLOCKED, HELD

H = timedelta(hours=1)
START, END = T0 - H, T0 + 2 * H


@pytest.fixture
def ws():
    with session_scope() as db:
        w = make_workshop(db)
        w.extra["buyers"] = [u.id for u in make_buyers(db, 4)]
    return w


def presale(ws, **fields):
    fields = {"name": "Fan club", "starts_at": START, "ends_at": END, "release_at_end": True, **fields}
    return in_tx(setup.create_presale, user_id=ws.owner_id, event_id=ws.event_id, fields=fields, now=T0 - 2 * H)


def codes(ws, p, **kw):
    return in_tx(setup.add_codes, user_id=ws.owner_id, event_id=ws.event_id, presale_id=p.id, now=T0 - 2 * H, **kw)


def hold(ws, user, items, code=None, now=T0):
    return in_tx(holds.hold_tickets, event_id=ws.event_id, user_id=user, items=items, now=now, access_code=code)


def hold_error(ws, user, items, code=None, now=T0):
    return error_of(holds.hold_tickets, event_id=ws.event_id, user_id=user, items=items, now=now, access_code=code)


def view(ws, code=None, now=T0):
    with session_scope(readonly=True) as db:
        rows = event_availability(db=db, event_id=ws.event_id, access_code=code, now=now).ticket_types
        return {r.id: (r.is_available, r.reason, r.available) for r in rows}


def test_reserved_types_sell_only_with_a_code_of_their_presale_during_its_window(ws):
    a, b = ws.extra["buyers"][:2]
    p = presale(ws, ticket_type_ids=[ws.day1_pass])
    codes(ws, p, codes=["Fans-2030"], max_uses=5)
    assert (hold_error(ws, a, [(ws.day1_pass, 1)]).code, 422) == ("access_code_required", 422)
    assert hold_error(ws, a, [(ws.day1_pass, 1)], code="nope").code == "access_code_invalid"
    assert hold_error(ws, a, [(ws.day1_pass, 1)], code="fans-2030", now=START - H).extra["reason"] == "not_started"
    made = hold(ws, a, [(ws.day1_pass, 2)], code="FANS-2030")  # case-insensitive
    assert made.total_minor == 2 * 6000
    hold(ws, b, [(ws.day2_pass, 1)])  # not reserved: no code needed


def test_a_code_of_another_event_or_presale_opens_nothing(ws):
    a = ws.extra["buyers"][0]
    p1 = presale(ws, ticket_type_ids=[ws.day1_pass])
    p2 = presale(ws, name="Radio", ticket_type_ids=[ws.day2_pass])
    codes(ws, p1, codes=["ONE"])
    codes(ws, p2, codes=["TWO"])
    err = hold_error(ws, a, [(ws.day1_pass, 1)], code="TWO")
    assert (err.code, err.extra["presale_id"]) == ("access_code_required", p1.id)
    with session_scope() as db:
        other = make_workshop(db)
    other_p = presale(other, ticket_type_ids=[other.day1_pass])
    codes(other, other_p, codes=["ELSEWHERE"])
    assert hold_error(ws, a, [(ws.day1_pass, 1)], code="ELSEWHERE").code == "access_code_invalid"


def test_each_code_has_a_use_limit_given_back_when_the_hold_is_released(ws):
    a, b = ws.extra["buyers"][:2]
    p = presale(ws, ticket_type_ids=[ws.day1_pass])
    (code,) = codes(ws, p, count=1)  # generated, single use
    assert len(code.code) == 9 and code.max_uses == 1
    first = hold(ws, a, [(ws.day1_pass, 1)], code=code.code)
    err = hold_error(ws, b, [(ws.day1_pass, 1)], code=code.code)
    assert (err.code, err.status) == ("access_code_used_up", 409)
    in_tx(holds.release_hold, hold_id=first.id, user_id=a, now=T0)
    hold(ws, b, [(ws.day1_pass, 1)], code=code.code)


def test_a_lapsed_hold_gives_its_use_back_and_a_whole_cancellation_too(ws):
    a, b, c = ws.extra["buyers"][:3]
    p = presale(ws, ticket_type_ids=[ws.day1_pass])
    (code,) = codes(ws, p, codes=["ONCE"])
    hold(ws, a, [(ws.day1_pass, 1)], code="ONCE")
    later = T0 + timedelta(minutes=20)  # past the workshop's hold time
    made = hold(ws, b, [(ws.day1_pass, 1)], code="ONCE", now=later)
    order = in_tx(orders.checkout, hold_id=made.id, user_id=b, attendees=None, now=later)
    in_tx(orders.confirm_order, order_id=order.id, now=later)
    with session_scope(readonly=True) as db:
        assert access.live_uses(db, code_id=code.id, now=later + 100 * H) == 1  # paid: never lapses
    assert hold_error(ws, c, [(ws.day1_pass, 1)], code="ONCE", now=later).code == "access_code_used_up"
    in_tx(cancellation.cancel_order, order_id=order.id, user_id=b, now=later)
    hold(ws, c, [(ws.day1_pass, 1)], code="ONCE", now=later)


def test_the_quota_caps_the_tickets_sold_through_the_presale(ws):
    a, b = ws.extra["buyers"][:2]
    p = presale(ws, quota=3)  # no types named: the whole event is in presale
    codes(ws, p, codes=["Q1", "Q2"], max_uses=10)
    hold(ws, a, [(ws.day1_pass, 2)], code="Q1")
    err = hold_error(ws, b, [(ws.day2_pass, 2)], code="Q2")
    assert (err.code, err.extra["reason"], err.extra["available"]) == ("quota_reached", "presale_quota", 1)
    assert view(ws, "Q2")[ws.day2_pass] == (True, None, 1)
    hold(ws, b, [(ws.day2_pass, 1)], code="Q2")
    assert view(ws, "Q2")[ws.day2_pass][:2] == (False, "quota_reached")


def test_availability_says_presale_only_without_a_code_and_what_a_code_opens(ws):
    p = presale(ws, ticket_type_ids=[ws.day1_pass])
    codes(ws, p, codes=["OPEN"])
    plain = view(ws)
    assert plain[ws.day1_pass] == (False, "presale_only", 10) and plain[ws.day2_pass][:2] == (True, None)
    assert view(ws, "open")[ws.day1_pass] == (True, None, 10)
    assert view(ws, now=START - H)[ws.day1_pass][1] == "presale_only"  # reserved before it starts too
    for bad in ("unknown", "bad code!"):
        with session_scope(readonly=True) as db, pytest.raises(Exception) as exc:
            event_availability(db=db, event_id=ws.event_id, access_code=bad, now=T0)
        assert exc.value.code == "access_code_invalid"


def test_after_the_presale_the_block_returns_to_general_sale_only_when_the_organizer_chose_so(ws):
    a, b = ws.extra["buyers"][:2]
    presale(ws, ticket_type_ids=[ws.day1_pass], release_at_end=True)
    presale(ws, name="Closed", ticket_type_ids=[ws.day2_pass], release_at_end=False)
    after = END + H
    assert view(ws, now=after)[ws.day1_pass][:2] == (True, None)
    assert view(ws, now=after)[ws.day2_pass][:2] == (False, "sale_ended")
    hold(ws, a, [(ws.day1_pass, 1)], now=after)
    assert hold_error(ws, b, [(ws.day2_pass, 1)], now=after).code == "access_code_required"


def test_an_expired_hold_retaken_at_checkout_meets_the_presale_again(ws):
    a = ws.extra["buyers"][0]
    p = presale(ws, ticket_type_ids=[ws.day1_pass])
    (code,) = codes(ws, p, codes=["AGAIN"])
    made = hold(ws, a, [(ws.day1_pass, 1)], code="AGAIN")
    later = made.expires_at + timedelta(minutes=1)
    order = in_tx(orders.checkout, hold_id=made.id, user_id=a, attendees=None, now=later)
    with session_scope(readonly=True) as db:
        uses = db.exec(select(PresaleUse).where(PresaleUse.code_id == code.id)).all()
    assert [(u.order_id, u.expires_at) for u in uses] == [(order.id, order.payment_due_at)]


def test_bad_presale_definitions_are_refused_and_write_nothing(ws):
    with session_scope() as db:
        other = make_workshop(db)
    bad = [dict(name=""), dict(ends_at=START), dict(ticket_type_ids=[other.day1_pass]), dict(quota=0),
           dict(starts_at=START.replace(tzinfo=None))]
    for fields in bad:
        err = error_of(setup.create_presale, user_id=ws.owner_id, event_id=ws.event_id, now=T0,
                       fields={"name": "P", "starts_at": START, "ends_at": END, "release_at_end": True, **fields})
        assert err.status == 422, fields
    stranger = ws.extra["buyers"][0]
    err = error_of(setup.create_presale, user_id=stranger, event_id=ws.event_id, now=T0,
                   fields={"name": "P", "starts_at": START, "ends_at": END, "release_at_end": True})
    assert err.code == "not_found"
    p = presale(ws)
    codes(ws, p, codes=["Dup"])
    assert error_of(setup.add_codes, user_id=ws.owner_id, event_id=ws.event_id, presale_id=p.id, codes=["DUP"],
                    now=T0).code == "duplicate_code"
    assert error_of(setup.add_codes, user_id=ws.owner_id, event_id=ws.event_id, presale_id=p.id, now=T0,
                    codes=["ok"], max_uses=0).code == "invalid_input"
    with session_scope(readonly=True) as db:
        assert [v.presale.name for v in setup.list_presales(db=db, user_id=ws.owner_id, event_id=ws.event_id,
                                                            now=T0)] == ["Fan club"]


def test_the_organizer_sees_each_codes_uses_and_the_tickets_sold(ws):
    a = ws.extra["buyers"][0]
    p = presale(ws, ticket_type_ids=[ws.day1_pass])
    codes(ws, p, codes=["SEEN"], max_uses=3)
    hold(ws, a, [(ws.day1_pass, 2)], code="SEEN")
    with session_scope(readonly=True) as db:
        (v,) = setup.list_presales(db=db, user_id=ws.owner_id, event_id=ws.event_id, now=T0)
    assert (v.status, v.sold, [(c.code.code, c.uses) for c in v.codes]) == ("on", 2, [("SEEN", 1)])
    in_tx(setup.update_presale, user_id=ws.owner_id, event_id=ws.event_id, presale_id=p.id,
          changes={"ticket_type_ids": [ws.day2_pass]}, now=T0)
    hold(ws, ws.extra["buyers"][1], [(ws.day1_pass, 1)])  # day 1 no longer reserved


def test_a_seat_block_is_closed_to_others_and_open_to_a_code_holder():
    with session_scope() as db:
        se = make_seated_event(db)
        a, b = (u.id for u in make_buyers(db, 2))
    block = [se.idx("Stalls", "A", n) for n in (1, 2)]
    p = in_tx(setup.create_presale, user_id=se.owner_id, event_id=se.event_id, now=T0,
              fields={"name": "Front row", "starts_at": START, "ends_at": END, "release_at_end": True,
                      "seat_ids": se.ids(*block)})
    in_tx(setup.add_codes, user_id=se.owner_id, event_id=se.event_id, presale_id=p.id, codes=["ROW-A"], now=T0)
    err = error_of(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id, user_id=a,
                   idxs=block[:1], now=T0)
    assert err.code == "access_code_required"
    other = se.idx("Stalls", "B", 1)
    in_tx(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id, user_id=a, idxs=[other], now=T0)
    held = in_tx(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id, user_id=b, idxs=block,
                 now=T0, access_code="row-a")
    assert held.idxs == sorted(block)
    pick = in_tx(seat_sales.find_best, event_id=se.event_id, session_id=se.session_id, user_id=a, count=2,
                 now=T0 + 30 * timedelta(minutes=1))
    assert not set(pick.idxs) & set(block)  # best available never offers the block without its code


def test_the_seat_map_shows_a_block_blocked_to_others_and_free_to_a_code_holder():
    with session_scope() as db:
        se = make_seated_event(db)
    block = [se.idx("Stalls", "C", n) for n in (4, 5)]
    p = in_tx(setup.create_presale, user_id=se.owner_id, event_id=se.event_id, now=T0,
              fields={"name": "Block", "starts_at": START, "ends_at": END, "release_at_end": True,
                      "seat_ids": se.ids(*block)})
    in_tx(setup.add_codes, user_id=se.owner_id, event_id=se.event_id, presale_id=p.id, codes=["C-ROW"], now=T0)

    def statuses(code=None, now=T0):
        with session_scope(readonly=True) as db:
            seated = seat_map.seated_session(db, event_id=se.event_id, session_id=se.session_id)
            closed = access.locked_idxs(db, event_id=se.event_id, session_id=se.session_id, access_code=code, now=now)
            return seat_map.close_seats(seat_map.status_snapshot(db, seated=seated, now=now), closed)["statuses"]

    assert {statuses()[i] for i in block} == {str(BLOCKED)}
    assert {statuses("c-row")[i] for i in block} == {str(AVAILABLE)}
    assert {statuses(now=END + H)[i] for i in block} == {str(AVAILABLE)}  # released at its end


def test_availability_counts_a_seat_block_as_the_seat_map_shows_it():
    """The free seats availability reports for a seated type are the seats the caller's map
    shows free: without the code the block's free seats are not counted (on a read and in the
    live view), with it they are, and after a released block's end for everyone."""
    with session_scope() as db:
        se = make_seated_event(db)
        buyer, fan = (u.id for u in make_buyers(db, 2))
    stalls = se.types["Standard"]
    block = [se.idx("Stalls", "D", n) for n in (1, 2, 3)]
    p = in_tx(setup.create_presale, user_id=se.owner_id, event_id=se.event_id, now=T0,
              fields={"name": "Back row", "starts_at": START, "ends_at": END, "release_at_end": True,
                      "seat_ids": se.ids(*block)})
    in_tx(setup.add_codes, user_id=se.owner_id, event_id=se.event_id, presale_id=p.id, codes=["D-ROW"], max_uses=5,
          now=T0)
    in_tx(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id, user_id=buyer,
          idxs=[se.idx("Stalls", "A", 1)], now=T0)  # a seat outside the block, taken: counted by both

    def free_on_map(code=None, now=T0):
        with session_scope(readonly=True) as db:
            seated = seat_map.seated_session(db, event_id=se.event_id, session_id=se.session_id)
            closed = access.locked_idxs(db, event_id=se.event_id, session_id=se.session_id, access_code=code, now=now)
            return seat_map.close_seats(seat_map.status_snapshot(db, seated=seated, now=now), closed)["statuses"].count(
                str(AVAILABLE))

    def counted(code=None, now=T0):
        with session_scope(readonly=True) as db:
            rows = event_availability(db=db, event_id=se.event_id, access_code=code, now=now).ticket_types
        return next(r.available for r in rows if r.id == stalls)

    seats = len(se.seat_ids)
    assert counted() == free_on_map() == seats - 1 - len(block)
    assert counted("d-row") == free_on_map("d-row") == seats - 1
    # Released at its end (and A 1's hold has lapsed by then).
    assert counted(now=END + H) == free_on_map(now=END + H) == seats
    # The live view (what the event page is pushed) counts as a caller without the code.
    with patch.object(views, "utcnow", return_value=T0):
        _, model, out = views.build_snapshot(se.event_id, frozenset({"customer"}))
        assert out["customer"]["figures"][str(stalls)]["available"] == seats - 1 - len(block)
        # A seat of the block taken by a code holder, as the delta reports it: one fewer free in
        # the block, none fewer outside it.
        in_tx(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id,
              user_id=fan, idxs=block[:1], now=T0, access_code="d-row")
        with session_scope(readonly=True) as db:
            version = db.get(Event, se.event_id).version
        delta = {"version": version, "seats": {str(se.session_id): [[block[0], HELD]]}}
        _, pushed = views.apply_delta(model, delta, frozenset({"customer"}))
        assert pushed["customer"]["figures"][str(stalls)]["available"] == seats - 1 - len(block)
    assert counted() == free_on_map() == seats - 1 - len(block)
    assert counted("d-row") == free_on_map("d-row") == seats - 2
