"""Seats on every ticket and cart line (cart, order, calendar file, resent mail), and the true
availability of seated ticket types: free seats of their own price level, kept live from the
seat codes each delta carries."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.builders import T0, in_tx, make_buyers, make_workshop
from tests.seating_builders import make_seated_event
from ticketing.db import session_scope
from ticketing.realtime.views import apply_delta, build_snapshot
from ticketing.services.reporting.attendees import tickets_to_resend
from ticketing.services.sales import orders
from ticketing.services.sales.availability import event_availability
from ticketing.services.sales.order_views import hold_view, order_calendar, order_view
from ticketing.services.seating import seat_sales

HALL = {
    "name": "Two Tier Hall",
    "stage": {"x": 0, "y": 0},
    "sections": [{"name": "Stalls", "rows": 4, "seats": 10, "y": 300},
                 {"name": "Circle", "rows": 2, "seats": 5, "y": 1200}],
}
MIN = timedelta(minutes=1)


@pytest.fixture
def se():
    with session_scope() as db:
        event = make_seated_event(db, layout=HALL, bands=[("Stalls", 4500, ["Stalls"]), ("Circle", 2500, ["Circle"])])
        event.extra["buyer"] = make_buyers(db, 1)[0].id
    return event


def _hold(se, seats):
    return in_tx(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id, user_id=se.extra["buyer"],
                 idxs=[se.idx(*s) for s in seats], now=T0)


def test_cart_order_tickets_and_calendar_name_each_seat(se):
    buyer = se.extra["buyer"]
    held = _hold(se, [("Stalls", "A", 9), ("Stalls", "A", 8), ("Circle", "A", 2)])
    with session_scope(readonly=True) as db:
        cart = hold_view(db=db, hold_id=held.hold.id, user_id=buyer, now=T0)
    by_name = {line.name: line for line in cart.lines}
    assert by_name["Stalls"].seats == ["Stalls · Row A · Seat 8", "Stalls · Row A · Seat 9"]
    assert by_name["Circle"].seats == ["Circle · Row A · Seat 2"]
    assert [s.name for s in by_name["Stalls"].sessions] == ["Show"]

    order = in_tx(orders.checkout, hold_id=held.hold.id, user_id=buyer, attendees=None, now=T0 + MIN)
    with session_scope(readonly=True) as db:
        view = order_view(db=db, order_id=order.id, user_id=buyer, now=T0 + MIN)
        ics = order_calendar(db=db, order_id=order.id, user_id=buyer, now=T0 + MIN)
        resent = tickets_to_resend(db=db, user_id=se.owner_id, event_id=se.event_id, order_id=order.id)
    items = {i.name: i for i in view.items}
    assert items["Stalls"].seats == ["Stalls · Row A · Seat 8", "Stalls · Row A · Seat 9"]
    assert items["Circle"].seats == ["Circle · Row A · Seat 2"]
    assert sorted(s for t in view.tickets for s in t.seats) == [
        "Circle · Row A · Seat 2", "Stalls · Row A · Seat 8", "Stalls · Row A · Seat 9"]
    assert all(len(t.seats) == 1 for t in view.tickets)
    description = next(line for line in ics.replace("\r\n ", "").split("\r\n") if line.startswith("DESCRIPTION:"))
    assert description.startswith(f"DESCRIPTION:Order {order.number}\\nSeats: ")
    assert all(label in description for label in ("Stalls · Row A · Seat 8", "Stalls · Row A · Seat 9",
                                                  "Circle · Row A · Seat 2"))
    assert sorted(seat for m in resent for seat in m.seats) == [
        "Circle · Row A · Seat 2", "Stalls · Row A · Seat 8", "Stalls · Row A · Seat 9"]


def test_general_admission_types_are_not_seated():
    with session_scope() as db:
        ws = make_workshop(db)
    with session_scope(readonly=True) as db:
        avail = event_availability(db=db, event_id=ws.event_id, now=T0)
    assert not any(t.seated for t in avail.ticket_types)


def test_each_category_counts_its_own_free_seats_and_stays_live(se, bus):
    with session_scope(readonly=True) as db:
        before = {t.name: t for t in event_availability(db=db, event_id=se.event_id, now=T0).ticket_types}
    assert (before["Stalls"].available, before["Circle"].available) == (40, 10)
    assert before["Stalls"].seated and before["Circle"].seated
    _, model, views = build_snapshot(se.event_id, frozenset({"customer"}))
    figures = views["customer"]["figures"]
    assert {t["name"]: figures[t["id"]]["available"] for t in views["customer"]["ticket_types"]} == {
        "Stalls": 40, "Circle": 10}
    assert all(t["seat_href"].endswith(f"/seats/{se.session_id}") for t in views["customer"]["ticket_types"])

    _hold(se, [("Circle", "A", 1), ("Circle", "A", 2), ("Circle", "B", 3)])
    with session_scope(readonly=True) as db:
        after = {t.name: t for t in event_availability(db=db, event_id=se.event_id, now=T0).ticket_types}
    assert (after["Stalls"].available, after["Circle"].available) == (40, 7)

    (delta,) = [m for m in bus.messages if m.get("seats")]
    applied = apply_delta(model, delta, frozenset({"customer"}))
    assert applied is not None
    _, live = applied
    shown = live["customer"]["figures"]
    assert {t["name"]: shown[t["id"]]["available"] for t in live["customer"]["ticket_types"]} == {
        "Stalls": 40, "Circle": 7}


def test_a_category_without_free_seats_is_sold_out_though_the_session_has_places(se):
    buyer = se.extra["buyer"]
    circle = [("Circle", r, n) for r in ("A", "B") for n in range(1, 6)]
    held = _hold(se, circle)
    in_tx(orders.checkout, hold_id=held.hold.id, user_id=buyer, attendees=None, now=T0)
    with session_scope(readonly=True) as db:
        types = {t.name: t for t in event_availability(db=db, event_id=se.event_id, now=T0).ticket_types}
    assert (types["Circle"].available, types["Circle"].reason) == (0, "session_full")
    assert (types["Stalls"].available, types["Stalls"].is_available) == (40, True)
    assert uuid.UUID(str(types["Circle"].seated_session_ids[0])) == se.session_id
