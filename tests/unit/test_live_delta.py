"""Live-update deltas reuse the figures their transaction counted under its locks: they must
equal a fresh count, whatever the use case did after counting (claims written, sold moved)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from tests.builders import in_tx, make_buyers, make_workshop
from ticketing.db import session_scope
from ticketing.models import EventSession, TicketType
from ticketing.models.base import utcnow
from ticketing.services import live_changes
from ticketing.services.sales import cancellation, holds, orders, usage


class Recorder:
    """Stands in for the bus; remembers every published delta."""

    def __init__(self) -> None:
        self.deltas: list[dict] = []

    def publish(self, event_id: str, message: dict) -> bool:
        self.deltas.append(message)
        return True


@pytest.fixture
def bus(monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(live_changes, "get_bus", lambda: recorder)
    return recorder


@pytest.fixture
def reused(monkeypatch):
    """How many deltas came from the transaction's own figures rather than a recount."""
    calls = {"reused": 0}
    original = usage.known_usage

    def spy(*args, **kwargs):
        known = original(*args, **kwargs)
        calls["reused"] += known is not None
        return known

    monkeypatch.setattr(usage, "known_usage", spy)
    return calls


def fresh_figures(delta: dict) -> tuple[dict, dict]:
    """The usage a recount gives, at the delta's own `at`, of what the delta reports."""
    at = datetime.fromisoformat(delta["at"])
    session_ids = [uuid.UUID(k) for k in delta["sessions"]]
    type_ids = [uuid.UUID(k) for k in delta["quotas"]]
    with session_scope(readonly=True) as db:
        sessions = db.exec(select(EventSession).where(EventSession.id.in_(session_ids))).all()
        types = db.exec(select(TicketType).where(TicketType.id.in_(type_ids))).all()
        s_used = usage.session_usage(db=db, sessions=sessions, now=at)
        t_used = usage.ticket_type_usage(db=db, ticket_types=types, now=at)
    as_lists = lambda used: {str(k): [u.sold, u.pending, u.held] for k, u in used.items()}  # noqa: E731
    return as_lists(s_used), as_lists(t_used)


def test_deltas_of_holds_checkouts_confirmations_and_cancellations_match_a_recount(bus, reused):
    ws = make_and_commit_workshop()
    alice, bob = make_and_commit_buyers(2)
    checked = []

    def step(fn, **kwargs):
        result = in_tx(fn, now=utcnow(), **kwargs)
        delta = bus.deltas[-1]
        assert (delta["sessions"], delta["quotas"]) == fresh_figures(delta), (fn.__name__, delta)
        checked.append(delta)
        return result

    a = step(holds.hold_tickets, event_id=ws.event_id, user_id=alice,
             items=[(ws.series, 2), (ws.day1_pass, 1)])  # quota types and three sessions
    b = step(holds.hold_tickets, event_id=ws.event_id, user_id=bob, items=[(ws.weekend, 1)])
    order = step(orders.checkout, hold_id=a.id, user_id=alice, attendees=None)
    step(orders.confirm_order, order_id=order.id)
    step(holds.release_hold, hold_id=b.id, user_id=bob)
    step(cancellation.cancel_order, order_id=order.id, user_id=alice, ticket_ids=None)

    assert [d["version"] for d in checked] == list(range(checked[0]["version"], checked[0]["version"] + 6))
    first = checked[0]
    assert set(first["sessions"]) == {str(ws.day1), str(ws.day2), str(ws.day3)}
    assert set(first["quotas"]) == {str(ws.series), str(ws.day1_pass)}
    assert first["sessions"][str(ws.day1)] == [0, 0, 3]
    assert checked[3]["sessions"][str(ws.day1)] == [3, 0, 0]  # confirmed: sold, no claims left
    # Holds and checkouts on the claim counters stage the figures their statement read under
    # its locks; confirmation counts under its locks and reuses it; release and cancellation
    # count nothing themselves and recount.
    assert reused["reused"] == 1


def test_a_delta_far_from_the_transactions_clock_is_recounted(bus, reused):
    ws = make_and_commit_workshop()
    (alice,) = make_and_commit_buyers(1)
    in_tx(holds.hold_tickets, event_id=ws.event_id, user_id=alice, now=utcnow() + timedelta(days=1),
          items=[(ws.day2_pass, 1)])
    (delta,) = bus.deltas
    assert reused["reused"] == 0
    assert (delta["sessions"], delta["quotas"]) == fresh_figures(delta)


def make_and_commit_workshop():
    with session_scope() as db:
        return make_workshop(db)


def make_and_commit_buyers(n: int) -> list[uuid.UUID]:
    with session_scope() as db:
        return [u.id for u in make_buyers(db, n)]
