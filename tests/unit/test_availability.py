"""event_availability: counting bands, reasons, bottlenecks, versions, constant query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event

from tests.builders import T0, in_tx, make_buyers, make_event, make_session, make_ticket_type, make_workshop
from tests.factories import make_org
from ticketing.db import get_engine, session_scope
from ticketing.models import Event, EventSession, EventStatus, TicketType
from ticketing.services.errors import ServiceError
from ticketing.services.sales import holds, orders
from ticketing.services.sales.availability import event_availability, session_status, visible_event


@pytest.fixture
def ws():
    with session_scope() as db:
        w = make_workshop(db)
        w.extra["buyers"] = [u.id for u in make_buyers(db, 3)]
    return w


def snapshot(ws, now=T0):
    with session_scope(readonly=True) as db:
        return event_availability(db=db, event_id=ws.event_id, now=now)


@pytest.mark.parametrize(
    ("capacity", "available", "status"),
    [(10, 10, "available"), (10, 4, "available"), (10, 3, "filling_up"), (10, 2, "filling_up"),
     (10, 1, "nearly_full"), (20, 2, "nearly_full"), (10, 0, "sold_out"), (0, 0, "sold_out"), (3, 1, "available")],
)
def test_status_bands_follow_the_share_taken(capacity, available, status):
    assert session_status(capacity, available) == status


def test_sold_pending_and_held_are_counted_apart(ws):
    a, b, c = ws.extra["buyers"]
    h = in_tx(holds.hold_tickets, event_id=ws.event_id, user_id=a, items=[(ws.day1_pass, 2)], now=T0)
    o = in_tx(orders.checkout, hold_id=h.id, user_id=a, attendees=None, now=T0)
    in_tx(orders.confirm_order, order_id=o.id, now=T0)
    h = in_tx(holds.hold_tickets, event_id=ws.event_id, user_id=b, items=[(ws.day1_pass, 3)], now=T0)
    in_tx(orders.checkout, hold_id=h.id, user_id=b, attendees=None, now=T0)
    in_tx(holds.hold_tickets, event_id=ws.event_id, user_id=c, items=[(ws.series, 4)], now=T0)
    av = snapshot(ws, T0 + timedelta(minutes=1))
    day1 = next(s for s in av.sessions if s.id == ws.day1)
    assert (day1.capacity, day1.sold, day1.pending, day1.held, day1.available) == (20, 2, 3, 4, 11)
    types = {t.id: t for t in av.ticket_types}
    assert (types[ws.day1_pass].sold, types[ws.day1_pass].available) == (2, 5)  # quota 10 - 5
    assert types[ws.series].available == 11  # quota 15-4=11, day 1 11, day 3 14
    assert av.version == 6 and av.as_of  # six committed changes == T0 + timedelta(minutes=1)
    # The hold lapses at T0+15, the pending order at T0+15 too (payment_minutes=15): no job ran.
    later = {s.id: s for s in snapshot(ws, T0 + timedelta(minutes=15)).sessions}
    assert (later[ws.day1].sold, later[ws.day1].pending, later[ws.day1].held, later[ws.day1].available) == (2, 0, 0, 18)


def test_reasons_and_their_precedence(ws):
    with session_scope() as db:
        t = db.get(TicketType, ws.day1_pass)
        t.sale_starts_at = T0 + timedelta(hours=1)
        t2 = db.get(TicketType, ws.day2_pass)
        t2.sale_ends_at = T0
        t3 = db.get(TicketType, ws.day3_pass)
        t3.is_active = False
        t3.sale_ends_at = T0  # inactive wins over the window
        db.add_all([t, t2, t3])
        db.get(EventSession, ws.day2).sold = 20  # day 2 full
        series = db.get(TicketType, ws.series)
        series.max_quantity = 0  # quota wins over a full session
        db.add(series)
    types = {t.id: t for t in snapshot(ws).ticket_types}
    assert {k: (types[k].reason, types[k].is_available) for k in types} == {
        ws.day1_pass: ("not_on_sale_yet", False),
        ws.day2_pass: ("sale_ended", False),
        ws.day3_pass: ("inactive", False),
        ws.series: ("quota_reached", False),
        ws.weekend: ("session_full", False),
    }
    assert types[ws.weekend].bottleneck_session_id == ws.day2 and types[ws.weekend].available == 0
    assert types[ws.day1_pass].available == 10  # capacity-wise; is_available says "not yet"


def test_cancelled_event_sells_nothing_and_cancelled_session_has_no_places(ws):
    with session_scope() as db:
        db.get(EventSession, ws.day3).status = "cancelled"
    av = snapshot(ws)
    day3 = next(s for s in av.sessions if s.id == ws.day3)
    assert (day3.available, day3.status) == (0, "sold_out")
    assert {t.id: t.reason for t in av.ticket_types}[ws.series] == "session_full"
    with session_scope() as db:
        db.get(Event, ws.event_id).status = EventStatus.cancelled.value
    assert {t.reason for t in snapshot(ws).ticket_types} == {"sale_ended"}


def test_drafts_are_visible_to_staff_only(ws):
    with session_scope() as db:
        db.get(Event, ws.event_id).status = EventStatus.draft.value
        stranger = make_buyers(db, 1)[0].id
        other_org_owner = make_buyers(db, 1)[0]
        make_org(db, owner=other_org_owner, now=T0)
    with session_scope(readonly=True) as db:
        assert visible_event(db=db, event_id=ws.event_id, user_id=ws.owner_id).id == ws.event_id
        for who in (None, stranger, other_org_owner.id):
            with pytest.raises(ServiceError) as err:
                visible_event(db=db, event_id=ws.event_id, user_id=who)
            assert err.value.code == "not_found" and err.value.status == 404


def _count_queries(event_id) -> int:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = get_engine()
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        with session_scope(readonly=True) as db:
            event_availability(db=db, event_id=event_id, now=T0)
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


def test_query_count_does_not_grow_with_sessions_and_types(ws):
    with session_scope() as db:
        org = make_org(db, owner=make_buyers(db, 1)[0], now=T0)
        big = make_event(db, org=org, title="Festival")
        sessions = [make_session(db, event=big, name=f"S{i}", capacity=50 + i,
                                 starts_at=T0 + timedelta(days=i + 1)) for i in range(24)]
        for i in range(40):
            make_ticket_type(db, event=big, name=f"T{i}", sessions=sessions[i % 24: i % 24 + 3], max_quantity=30)
        big_id = big.id
    small, large = _count_queries(ws.event_id), _count_queries(big_id)
    assert small == large <= 7  # one more: free seats per category of seated sessions
    with session_scope(readonly=True) as db:
        av = event_availability(db=db, event_id=big_id, now=T0)
    assert len(av.sessions) == 24 and len(av.ticket_types) == 40


def test_unknown_event_is_not_found():
    import uuid

    with session_scope(readonly=True) as db, pytest.raises(ServiceError) as err:
        event_availability(db=db, event_id=uuid.uuid4(), now=T0)
    assert err.value.code == "not_found"
