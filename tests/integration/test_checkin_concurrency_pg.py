"""Gates racing on PostgreSQL: real parallel transactions (one thread and connection per gate).

The same ticket scanned by 4 gates at once is admitted exactly once; the same nonce sent by 4
gates at once gets one answer. Controls take the row lock away to show the race exists and
that the unique constraint alone still stops a second admission.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from tests.builders import in_tx
from tests.checkin_helpers import DAY1, buy_tickets, cancel, make_door
from ticketing.db import session_scope
from ticketing.models import CheckIn, Order, Scan, Ticket
from ticketing.services.door import admission
from ticketing.services.door import admission_store as store
from ticketing.services.door.admission import NonceRace
from ticketing.services.errors import ServiceError

pytestmark = pytest.mark.postgres
GATES = 4


def at_once(n: int, fn):
    """Run fn(i) in n threads released together; results (or exceptions) in order."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait(timeout=30)
        try:
            return fn(i)
        except Exception as exc:  # collected: the test asserts on them
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def scan_from_gate(door, code: str, gate: int, **kwargs):
    for _ in range(20):  # a gate's app retries `busy` with the same nonce
        try:
            return in_tx(admission.scan_ticket, event_id=door.ws.event_id, user_id=door.steward, code=code,
                         gate=f"Gate {gate}", now=DAY1, **kwargs)
        except ServiceError as exc:
            if exc.code != "busy":
                raise
            time.sleep(0.01)
    raise AssertionError("still busy")


@pytest.fixture
def door():
    return make_door()


def test_the_same_ticket_scanned_by_4_gates_at_once_is_admitted_exactly_once(door):
    tickets = buy_tickets(door, door.buyers[0], door.ws.day1_pass, quantity=10)
    for t in tickets:  # ten rounds of four gates
        answers = at_once(GATES, lambda g: scan_from_gate(door, t.code, g))
        assert Counter(a.result for a in answers) == Counter({"admitted": 1, "already_checked_in": 3})
        winner = next(a for a in answers if a.admitted)
        for loser in (a for a in answers if not a.admitted):
            assert loser.data["gate"] == winner.data["gate"]  # everyone names the same first gate
            assert loser.data["checked_in_at"] == winner.data["checked_in_at"]
    with session_scope(readonly=True) as db:
        assert db.exec(select(func.count()).select_from(CheckIn)).one() == 10
        assert db.exec(select(func.count()).select_from(Scan)).one() == 40


def test_the_same_nonce_from_4_gates_at_once_gets_one_answer(door):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    answers = at_once(GATES, lambda g: scan_from_gate(door, t.code, g, nonce="one-scan"))
    assert [a.result for a in answers] == ["admitted"] * GATES
    assert len({a.data["gate"] for a in answers}) == 1  # the first answer, replayed
    with session_scope(readonly=True) as db:
        assert db.exec(select(func.count()).select_from(CheckIn)).one() == 1
        assert db.exec(select(func.count()).select_from(Scan)).one() == 1


def test_a_scan_and_a_cancellation_racing_never_leave_a_cancelled_ticket_admitted(door):
    rounds = 8
    tickets = [buy_tickets(door, door.buyers[i % 4], door.ws.day1_pass)[0] for i in range(rounds)]
    for t in tickets:
        buyer = _buyer_of(t)

        def act(i, t=t, buyer=buyer):
            if i == 0:
                return scan_from_gate(door, t.code, 1)
            try:
                return cancel(t.order_id, buyer)
            except ServiceError as exc:
                return exc.code

        scanned, cancelled = at_once(2, act)
        with session_scope(readonly=True) as db:
            status = db.get(Ticket, t.id).status
            admitted = db.exec(select(func.count()).select_from(CheckIn).where(CheckIn.ticket_id == t.id)).one()
        # Exactly one of them won, and the database agrees with what each was told.
        if scanned.admitted:
            assert cancelled == "already_checked_in" and status == "valid" and admitted == 1
        else:
            assert scanned.result == "cancelled" and status == "cancelled" and admitted == 0


def _buyer_of(ticket: Ticket) -> uuid.UUID:
    with session_scope(readonly=True) as db:
        return db.get(Order, ticket.order_id).user_id


# --- controls: take the lock away ----------------------------------------------------------

def _naive_admit(seen_free: list):
    """Check, then insert (no ON CONFLICT), with time for a rival gate in between."""

    def admit(db, scan, scan_id):
        exists = db.exec(select(CheckIn.id).where(CheckIn.ticket_id == scan.ticket.id,
                                                   CheckIn.session_id == scan.target.id)).first()
        if exists is not None:
            return admission._refuse("already_checked_in", "Already checked in.", scan)
        seen_free.append(scan.gate)
        time.sleep(0.1)
        db.add(CheckIn(event_id=scan.ctx.event_id, session_id=scan.target.id, ticket_id=scan.ticket.id, scan_id=scan_id,
                       user_id=scan.user_id, gate=scan.gate, checked_in_at=scan.at))
        db.flush()
        return admission._admitted(scan)

    return admit


def test_control_without_the_row_lock_gates_race_and_only_the_unique_constraint_stops_them(door, monkeypatch):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    seen_free: list[str] = []
    monkeypatch.setattr(store, "LOCK_TICKET", "")  # the scan reads the ticket without locking it
    monkeypatch.setattr(admission, "_admit", _naive_admit(seen_free))
    answers = at_once(GATES, lambda g: scan_from_gate(door, t.code, g))
    assert len(seen_free) > 1  # several gates saw the ticket not yet admitted: the race is real
    assert sum(1 for a in answers if isinstance(a, admission.ScanAnswer) and a.admitted) == 1
    assert any(isinstance(a, IntegrityError) for a in answers)  # the constraint refused the rest
    with session_scope(readonly=True) as db:
        assert db.exec(select(func.count()).select_from(CheckIn)).one() == 1


def test_control_with_the_row_lock_the_naive_check_then_insert_is_already_exact(door, monkeypatch):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    seen_free: list[str] = []
    monkeypatch.setattr(admission, "_admit", _naive_admit(seen_free))
    answers = at_once(GATES, lambda g: scan_from_gate(door, t.code, g))
    assert len(seen_free) == 1  # the lock queued the gates: only the first saw it free
    assert Counter(a.result for a in answers) == Counter({"admitted": 1, "already_checked_in": 3})


def test_nonce_race_is_a_retryable_busy():
    assert (NonceRace().code, NonceRace().status) == ("busy", 503)
