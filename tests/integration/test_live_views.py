"""Live views: the deltas real transactions publish, applied in memory by a worker, give exactly
what a fresh database snapshot gives."""

from __future__ import annotations

from datetime import timedelta

from tests.builders import in_tx, make_buyers, make_workshop
from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.realtime.views import apply_delta, build_snapshot
from ticketing.services.sales import cancellation, holds, orders


def test_in_memory_deltas_match_a_fresh_snapshot(bus):
    with session_scope() as db:
        w = make_workshop(db)
        a, b, c = make_buyers(db, 3)
    views = frozenset({"customer", "console"})  # both are computed in memory
    version, model, shown = build_snapshot(w.event_id, views)
    now = utcnow()

    hold_a = in_tx(holds.hold_tickets, event_id=w.event_id, user_id=a.id, items=[(w.series, 2)], now=now)
    hold_b = in_tx(holds.hold_tickets, event_id=w.event_id, user_id=b.id,
                   items=[(w.day3_pass, 3), (w.weekend, 1)], now=now)
    in_tx(holds.hold_tickets, event_id=w.event_id, user_id=c.id, items=[(w.day1_pass, 4)], now=now)
    in_tx(holds.release_hold, hold_id=hold_a.id, user_id=a.id, now=now)
    order = in_tx(orders.checkout, hold_id=hold_b.id, user_id=b.id, attendees=None, now=now)
    in_tx(orders.confirm_order, order_id=order.id, now=now + timedelta(minutes=1))
    tickets = in_tx(orders.order_tickets, order_id=order.id)
    in_tx(cancellation.cancel_order, order_id=order.id, user_id=b.id, ticket_ids=[tickets[0].id],
          now=now + timedelta(minutes=2))

    deltas = [m for m in bus.messages if m["type"] == "delta" and m["event_id"] == str(w.event_id)]
    assert [d["version"] for d in deltas] == list(range(version + 1, version + 1 + len(deltas)))
    assert len(deltas) >= 6 and not any(d["structure"] for d in deltas)  # one or more per use case
    for d in deltas:
        applied = apply_delta(model, d, views)
        assert applied is not None, d
        model, shown = applied

    fresh_version, _, fresh = build_snapshot(w.event_id, views)
    assert fresh_version == deltas[-1]["version"]
    assert shown == fresh
    # And the figures moved as they should: 4 held on day 1, 2 sold on day 3 plus 1 of day 2.
    figures = shown["customer"]["figures"]
    by_name = {s["name"]: figures[s["id"]] for s in shown["customer"]["sessions"]}
    assert by_name["Day 1 - Foundations"]["available"] == 16
    assert by_name["Day 3 - Practice & Integration"]["available"] == 18 - 3  # 2 day-3 + 1 weekend left
    day3 = str(w.day3)
    assert shown["console"]["places_left"][day3] == 15 and shown["console"]["taken"][day3] == 3
    assert shown["console"]["bottlenecks"][str(w.weekend)] == day3


def test_views_that_need_the_database_and_unknown_sessions_ask_for_a_reload(bus):
    with session_scope() as db:
        w = make_workshop(db)
    version, model, _ = build_snapshot(w.event_id, frozenset({"customer"}))
    unknown = {"type": "delta", "event_id": str(w.event_id), "version": version + 1,
               "sessions": {"00000000-0000-0000-0000-000000000001": [0, 0, 1]}, "quotas": {}}
    assert apply_delta(model, unknown, frozenset({"customer"})) is None
    known = {**unknown, "sessions": {str(w.day1): [0, 0, 1]}}
    assert apply_delta(model, known, frozenset({"customer", "dashboard"})) is None
    assert apply_delta(model, known, frozenset({"customer"})) is not None
