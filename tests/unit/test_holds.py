"""hold_tickets / release_hold / get_hold: every refusal code, all-or-nothing, locked prices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.builders import (
    T0,
    error_of,
    in_tx,
    load,
    make_buyers,
    make_event,
    make_session,
    make_ticket_type,
    make_workshop,
)
from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.models import Event, EventSession, EventStatus, Hold, PlaceClaim, TicketType
from ticketing.services.sales import holds, orders
from ticketing.services.sales.availability import event_availability


@pytest.fixture
def ws():
    with session_scope() as db:
        w = make_workshop(db)
        w.extra["buyers"] = [u.id for u in make_buyers(db, 4)]
    return w


def hold(ws, user, items, now=T0, **kw):
    return in_tx(holds.hold_tickets, event_id=ws.event_id, user_id=user, items=items, now=now, **kw)


def hold_error(ws, user, items, now=T0, **kw):
    return error_of(holds.hold_tickets, event_id=ws.event_id, user_id=user, items=items, now=now, **kw)


def claims_count() -> int:
    with session_scope(readonly=True) as db:
        return db.exec(select(func.count()).select_from(PlaceClaim)).one()


def version(ws) -> int:
    return load(Event, ws.event_id).version


def test_hold_takes_places_and_writes_one_claim_per_session_and_quota(ws):
    a = ws.extra["buyers"][0]
    h = hold(ws, a, [(ws.series, 2), (ws.day1_pass, 1)])
    assert h.expires_at == T0 + timedelta(minutes=15)
    assert h.total_minor == 2 * 15000 + 6000 and h.currency == "EUR"
    with session_scope(readonly=True) as db:
        claims = db.exec(select(PlaceClaim).where(PlaceClaim.hold_id == h.id)).all()
        items = {i.ticket_type_id: (i.quantity, i.unit_price_minor) for i in holds.hold_items(db=db, hold_id=h.id)}
    by_session = {c.session_id: c.quantity for c in claims if c.session_id}
    by_type = {c.ticket_type_id: c.quantity for c in claims if c.ticket_type_id}
    assert by_session == {ws.day1: 3, ws.day2: 2, ws.day3: 2}
    assert by_type == {ws.series: 2, ws.day1_pass: 1}
    assert items == {ws.series: (2, 15000), ws.day1_pass: (1, 6000)}
    assert all(c.expires_at == h.expires_at and c.order_id is None for c in claims)
    assert version(ws) == 1


@pytest.mark.parametrize("qty", [0, -1, -(10**12), 10**12, 1001, True])
def test_absurd_quantities_are_invalid_quantity(ws, qty):
    err = hold_error(ws, ws.extra["buyers"][0], [(ws.day1_pass, qty)])
    assert (err.code, err.status) == ("invalid_quantity", 422)
    assert claims_count() == 0


def test_empty_basket_is_invalid_quantity(ws):
    assert hold_error(ws, ws.extra["buyers"][0], []).code == "invalid_quantity"


def test_lines_of_the_same_type_are_merged(ws):
    h = hold(ws, ws.extra["buyers"][0], [(ws.day1_pass, 1), (ws.day1_pass, 2)])
    with session_scope(readonly=True) as db:
        assert [(i.ticket_type_id, i.quantity) for i in holds.hold_items(db=db, hold_id=h.id)] == [(ws.day1_pass, 3)]


def test_sale_window_and_active_flag_give_not_on_sale_with_reason(ws):
    a = ws.extra["buyers"][0]
    with session_scope() as db:
        t1 = db.get(TicketType, ws.day1_pass)
        t1.sale_starts_at = T0 + timedelta(days=1)
        t2 = db.get(TicketType, ws.day2_pass)
        t2.sale_ends_at = T0
        t3 = db.get(TicketType, ws.day3_pass)
        t3.is_active = False
        db.add_all([t1, t2, t3])
    expected = [(ws.day1_pass, "not_on_sale_yet"), (ws.day2_pass, "sale_ended"), (ws.day3_pass, "inactive")]
    for type_id, reason in expected:
        err = hold_error(ws, a, [(type_id, 1)])
        assert (err.code, err.status, err.extra["reason"]) == ("not_on_sale", 422, reason)
    # The window is half-open: on sale from sale_starts_at exactly.
    assert hold(ws, a, [(ws.day1_pass, 1)], now=T0 + timedelta(days=1)).id


def set_event_status(ws, status):
    with session_scope() as db:
        db.get(Event, ws.event_id).status = status


def test_draft_or_unsold_cancelled_event_is_not_found_a_cancelled_one_that_sold_not_on_sale(ws):
    a, b = ws.extra["buyers"][:2]
    for status in (EventStatus.draft.value, EventStatus.cancelled.value):
        set_event_status(ws, status)
        assert hold_error(ws, a, [(ws.day1_pass, 1)]).code == "not_found"
    set_event_status(ws, EventStatus.published.value)
    in_tx(orders.checkout, hold_id=hold(ws, b, [(ws.day1_pass, 1)]).id, user_id=b, attendees=None, now=T0)
    set_event_status(ws, EventStatus.cancelled.value)
    err = hold_error(ws, a, [(ws.day1_pass, 1)])
    assert (err.code, err.status, err.extra["reason"]) == ("not_on_sale", 422, "event_cancelled")


def test_per_type_min_max_and_per_order_maximum(ws):
    a = ws.extra["buyers"][0]
    with session_scope() as db:
        t = db.get(TicketType, ws.day1_pass)
        t.min_per_order, t.max_per_order = 2, 4
        db.add(t)
        e = db.get(Event, ws.event_id)
        e.max_tickets_per_order = 6
        db.add(e)
    for qty in (1, 5):
        err = hold_error(ws, a, [(ws.day1_pass, qty)])
        assert (err.code, err.status, err.extra["min"], err.extra["max"]) == ("quantity_out_of_range", 422, 2, 4)
    err = hold_error(ws, a, [(ws.day1_pass, 4), (ws.day2_pass, 3)])
    assert (err.code, err.status, err.extra["max"]) == ("max_per_order_exceeded", 422, 6)
    assert hold(ws, a, [(ws.day1_pass, 4), (ws.day2_pass, 2)]).total_minor == 6 * 6000


def test_quota_reached_reports_what_is_left(ws):
    a, b = ws.extra["buyers"][:2]
    hold(ws, a, [(ws.weekend, 4)])
    err = hold_error(ws, b, [(ws.weekend, 2)])
    assert (err.code, err.status) == ("quota_reached", 409)
    assert err.extra == {"available": 1, "ticket_type_id": ws.weekend}


def test_insufficient_capacity_names_the_session_and_is_all_or_nothing(ws):
    a, b = ws.extra["buyers"][:2]
    hold(ws, a, [(ws.series, 10), (ws.day3_pass, 6)])  # day 3: 16 of 18 taken
    before = (claims_count(), version(ws))
    err = hold_error(ws, b, [(ws.day1_pass, 1), (ws.weekend, 3)])  # day 1 fine, day 3 short
    assert (err.code, err.status) == ("insufficient_capacity", 409)
    assert err.extra == {"session_id": ws.day3, "available": 2}
    assert (claims_count(), version(ws)) == before  # nothing of the valid first line was kept


def test_one_live_hold_per_user_per_event_and_expired_ones_are_closed(ws):
    a = ws.extra["buyers"][0]
    first = hold(ws, a, [(ws.day1_pass, 1)])
    err = hold_error(ws, a, [(ws.day2_pass, 1)], now=T0 + timedelta(minutes=14))
    assert (err.code, err.extra["hold_id"]) == ("active_hold_exists", first.id)
    second = hold(ws, a, [(ws.day2_pass, 1)], now=T0 + timedelta(minutes=15))  # the first expired
    assert load(Hold, first.id).status == "released"
    assert second.id != first.id
    # The released one cannot be revived by a checkout any more.
    err = error_of(orders.checkout, hold_id=first.id, user_id=a, attendees=None, now=T0 + timedelta(minutes=16))
    assert err.code == "hold_expired"


def test_already_attending_only_when_the_event_says_so(ws):
    a, b = ws.extra["buyers"][:2]
    assert hold(ws, a, [(ws.day1_pass, 2)]).id  # setting off: buying for friends is fine
    with session_scope() as db:
        e = db.get(Event, ws.event_id)
        e.one_ticket_per_attendee = True
        db.add(e)
    err = hold_error(ws, b, [(ws.day1_pass, 1), (ws.series, 1)])  # two units in day 1
    assert (err.code, err.extra["session_id"]) == ("already_attending", ws.day1)
    h = hold(ws, b, [(ws.day2_pass, 1)])
    in_tx(orders.checkout, hold_id=h.id, user_id=b, attendees=None, now=T0)
    err = hold_error(ws, b, [(ws.weekend, 1)], now=T0 + timedelta(minutes=1))  # pending order covers day 2
    assert (err.code, err.extra["session_id"]) == ("already_attending", ws.day2)
    assert hold(ws, b, [(ws.day1_pass, 1)], now=T0 + timedelta(minutes=1)).id


def test_prerequisite_missing_unless_owned_or_in_the_same_hold(ws):
    a, b = ws.extra["buyers"][:2]
    with session_scope() as db:
        event = db.get(Event, ws.event_id)
        day0 = make_session(db, event=event, name="Safety", capacity=30, starts_at=T0 + timedelta(days=29))
        adv = make_session(db, event=event, name="Suspension", capacity=10, starts_at=T0 + timedelta(days=31),
                           prerequisites=[day0])
        safety = make_ticket_type(db, event=event, name="Safety", sessions=[day0])
        susp = make_ticket_type(db, event=event, name="Suspension", sessions=[adv], price_minor=500)
        safety_id, susp_id, adv_id, day0_id = safety.id, susp.id, adv.id, day0.id
    err = hold_error(ws, a, [(susp_id, 1)])
    assert (err.code, err.status) == ("prerequisite_missing", 409)
    assert err.extra == {"session_id": adv_id, "prerequisite_session_id": day0_id}
    assert hold(ws, a, [(susp_id, 1), (safety_id, 1)]).id  # bought together
    h = hold(ws, b, [(safety_id, 1)])
    in_tx(orders.checkout, hold_id=h.id, user_id=b, attendees=None, now=T0)  # free -> confirmed at once
    assert hold(ws, b, [(susp_id, 1)], now=T0 + timedelta(minutes=1)).id


def test_foreign_ticket_type_is_not_found(ws):
    a = ws.extra["buyers"][0]
    with session_scope() as db:
        other_org = make_org(db, owner=make_buyers(db, 1)[0], now=T0)
        other = make_event(db, org=other_org, title="Other")
        s = make_session(db, event=other, name="Only", capacity=5)
        foreign_id = make_ticket_type(db, event=other, name="Other", sessions=[s]).id
    err = hold_error(ws, a, [(ws.day1_pass, 1), (foreign_id, 1)])
    assert (err.code, err.status, err.extra["ticket_type_id"]) == ("not_found", 404, foreign_id)
    assert claims_count() == 0


def test_seats_cannot_be_held_without_a_seat_map(ws):
    import uuid

    seat = uuid.uuid4()
    err = hold_error(ws, ws.extra["buyers"][0], [(ws.day1_pass, 1)], seat_ids=[seat])
    assert (err.code, err.extra["seat_ids"]) == ("seat_unavailable", [seat])


def test_release_frees_at_once_and_only_for_the_owner(ws):
    a, b = ws.extra["buyers"][:2]
    h = hold(ws, a, [(ws.day3_pass, 8), (ws.series, 10)])
    assert hold_error(ws, b, [(ws.day3_pass, 1)]).code == "quota_reached"
    assert error_of(holds.release_hold, hold_id=h.id, user_id=b, now=T0).code == "not_found"
    assert error_of(holds.get_hold, hold_id=h.id, user_id=b).code == "not_found"
    in_tx(holds.release_hold, hold_id=h.id, user_id=a, now=T0 + timedelta(minutes=1))
    assert claims_count() == 0
    assert in_tx(holds.release_hold, hold_id=h.id, user_id=a, now=T0).status == "released"  # twice is fine
    assert hold(ws, b, [(ws.day3_pass, 8)], now=T0 + timedelta(minutes=1)).id


def test_a_checked_out_hold_cannot_be_released(ws):
    a = ws.extra["buyers"][0]
    h = hold(ws, a, [(ws.day1_pass, 1)])
    in_tx(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=T0)
    assert error_of(holds.release_hold, hold_id=h.id, user_id=a, now=T0).code == "hold_converted"


def test_expired_hold_frees_its_places_with_no_job(ws):
    a, b = ws.extra["buyers"][:2]
    hold(ws, a, [(ws.day3_pass, 8), (ws.series, 10)])
    assert hold_error(ws, b, [(ws.day3_pass, 1)], now=T0 + timedelta(minutes=14, seconds=59)).code == "quota_reached"
    assert hold(ws, b, [(ws.day3_pass, 8), (ws.series, 10)], now=T0 + timedelta(minutes=15)).id
    with session_scope(readonly=True) as db:
        av = event_availability(db=db, event_id=ws.event_id, now=T0 + timedelta(minutes=15))
    assert {s.id: s.held for s in av.sessions}[ws.day3] == 18


def test_mixed_currencies_are_refused(ws):
    with session_scope() as db:
        event = db.get(Event, ws.event_id)
        usd = make_ticket_type(db, event=event, name="USD", sessions=[db.get(EventSession, ws.day1)], currency="USD").id
    err = hold_error(ws, ws.extra["buyers"][0], [(ws.day1_pass, 1), (usd, 1)])
    assert (err.code, err.status) == ("mixed_currency", 422)
