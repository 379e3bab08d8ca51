"""Admission at the door: green, every red answer, nonces, sessions, offline sync, counters."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.builders import T0, error_of, in_tx, load, make_buyers, make_event, make_session, make_ticket_type
from tests.checkin_helpers import DAY1, Door, buy_tickets, cancel, make_door, scan
from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.models import CheckIn, CheckInConflict, Event, Scan, Ticket
from ticketing.services.door import admission, ticket_codes
from ticketing.services.door import door as door_service
from ticketing.services.errors import ServiceError
from ticketing.services.sales import cancellation, orders, ticket_holders

MIN = timedelta(minutes=1)
DAY = timedelta(days=1)


@pytest.fixture
def door() -> Door:
    return make_door()


def count(model, **where) -> int:
    with session_scope(readonly=True) as db:
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return db.exec(stmt).one()


def test_a_paid_ticket_is_admitted_once_then_refused_with_the_first_time_and_gate(door):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    first = scan(door, code=t.code, gate="North door", now=DAY1 + 5 * MIN)
    assert (first.result, first.status) == ("admitted", 201)
    assert first.data["holder_name"] == t.holder_name and first.data["ticket_type"] == "Day 1 Only"
    assert first.data["session_id"] == str(door.ws.day1) and first.data["session_name"] == "Day 1 - Foundations"
    assert first.data["checked_in_at"] == (DAY1 + 5 * MIN).isoformat() and first.data["seat"] is None

    again = scan(door, code=t.code, gate="South door", now=DAY1 + 9 * MIN)
    assert (again.result, again.status) == ("already_checked_in", 409)
    assert again.data["checked_in_at"] == (DAY1 + 5 * MIN).isoformat() and again.data["gate"] == "North door"
    assert again.message == "Already checked in at 12:05 by North door."
    assert again.data["holder_name"] == t.holder_name
    assert count(CheckIn) == 1 and count(Scan) == 2


def test_the_gate_defaults_to_the_stewards_name_and_times_read_in_the_events_timezone(door):
    with session_scope() as db:
        db.get(Event, door.ws.event_id).timezone = "Europe/Berlin"
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    first = scan(door, code=t.code, now=DAY1)
    assert first.data["gate"] == "Buyer 0"  # make_buyers names the steward "Buyer 0"
    # Berlin is on summer time (UTC+2) from 31 March 2030.
    assert scan(door, code=t.code, now=DAY1 + MIN).message == "Already checked in at 14:00 by Buyer 0."


def test_the_same_nonce_resent_gets_the_first_answer_and_changes_nothing(door):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    first = scan(door, code=t.code, nonce="n-1", now=DAY1)
    resent = scan(door, code=t.code, nonce="n-1", now=DAY1 + MIN)
    assert first.admitted and resent.admitted and resent.replayed and resent.data == first.data
    assert count(CheckIn) == 1 and count(Scan) == 1
    # A new nonce is a new scan: now the ticket is already in.
    assert scan(door, code=t.code, nonce="n-2", now=DAY1 + MIN).result == "already_checked_in"


def test_a_red_first_answer_is_replayed_too_even_after_the_facts_changed(door):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass, pay=False)
    assert scan(door, code=t.code, nonce="unpaid", now=DAY1).result == "not_paid"
    in_tx(orders.confirm_order, order_id=t.order_id, now=T0 + MIN)
    replay = scan(door, code=t.code, nonce="unpaid", now=DAY1 + MIN)
    assert (replay.result, replay.status, replay.replayed) == ("not_paid", 422, True)
    assert scan(door, code=t.code, nonce="paid", now=DAY1 + MIN).admitted


def test_unknown_codes(door):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    raw = bytearray(ticket_codes._unb64url(t.code))
    raw[-1] ^= 1  # one bit of the signature
    forged_version = bytearray(raw)
    forged_version[-1] ^= 1
    forged_version[21] += 1  # version 2 with version 1's signature
    for code in ["", "hello", "x" * 500, t.code[:-4], ticket_codes.b64url(bytes(raw)),
                 ticket_codes.b64url(bytes(forged_version)), ticket_codes.issue_code(uuid.uuid4(), 1)]:
        answer = scan(door, code=code, now=DAY1)
        assert (answer.result, answer.status) == ("unknown_code", 404), code
        assert "holder_name" not in answer.data
    assert count(CheckIn) == 0
    # A forgery naming a real ticket is logged as naming none (its signature is checked, as it
    # is not the ticket's stored code); the genuine code, as scanned with stray blanks, admits.
    assert count(Scan, ticket_id=t.id) == 0
    assert scan(door, code=f" {t.code}\n", now=DAY1).admitted


def test_a_code_signed_with_another_key_is_unknown(door, monkeypatch):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    from ticketing.settings import get_settings

    other = ticket_codes._keys_for("b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMDA")
    header = ticket_codes._HEADER.pack(1, ticket_codes._keys_for(get_settings().ticket_signing_key).kid,
                                       t.id.bytes, 1)
    code = ticket_codes.b64url(header + other.private.sign(header))
    assert scan(door, code=code, now=DAY1).result == "unknown_code"


def test_wrong_event_names_the_event_only_within_the_same_organization(door):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    with session_scope() as db:
        event = db.get(Event, door.ws.event_id)
        from ticketing.models import Organization
        org = db.get(Organization, event.organization_id)
        concert = make_event(db, org=org, title="Night Strings")
        make_session(db, event=concert, name="Concert", capacity=10, starts_at=DAY1)
        concert_id = concert.id
        stranger = make_buyers(db, 1)[0]
        foreign = make_event(db, org=make_org(db, owner=stranger, now=T0), title="Foreign")
        make_ticket_type(db, event=foreign, name="Entry",
                         sessions=[make_session(db, event=foreign, name="Show", capacity=5, starts_at=DAY1)])
        foreign_id, stranger_id = foreign.id, stranger.id
    same_org = scan(door, event_id=concert_id, code=t.code, now=DAY1)
    assert (same_org.result, same_org.status) == ("wrong_event", 422)
    assert same_org.message == "This ticket is for “Rope Workshop”."
    assert "holder_name" not in same_org.data
    other_org = scan(door, event_id=foreign_id, user=stranger_id, code=t.code, now=DAY1)
    assert other_org.result == "wrong_event" and other_org.message == "This ticket is for another event."
    assert "ticket_event_title" not in other_org.data
    with session_scope(readonly=True) as db:  # the foreign event's log does not link our ticket
        assert db.exec(select(Scan.ticket_id).where(Scan.event_id == foreign_id)).one() is None


def test_wrong_session_explicit_and_when_nothing_runs_today(door):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    explicit = scan(door, code=t.code, session_id=door.ws.day2, now=DAY1 + DAY)
    assert (explicit.result, explicit.status) == ("wrong_session", 422)
    assert explicit.data["session_id"] == str(door.ws.day2)
    assert explicit.data["valid_session_ids"] == [str(door.ws.day1)]
    assert explicit.message == "Not valid for Day 2 - Advanced Techniques. Valid for: Day 1 - Foundations."
    today = scan(door, code=t.code, now=DAY1 + DAY)  # Day 2 is on; the ticket's only session was yesterday
    assert today.result == "wrong_session" and today.data["session_id"] == str(door.ws.day2)
    assert today.message == "Not valid for Day 2 - Advanced Techniques. Valid for: Day 1 - Foundations."
    before = scan(door, code=t.code, now=DAY1 - DAY)  # the day before: nothing runs
    assert before.message == "No session of this event runs today. Valid for: Day 1 - Foundations."
    assert count(CheckIn) == 0


def test_without_a_session_the_door_admits_to_what_is_on_now(door):
    """Several sessions a day: a ticket for tonight waits while the matinee runs; parallel rooms
    each admit their own tickets."""
    with session_scope() as db:
        from ticketing.models import Organization
        org = db.get(Organization, door.ws.org_id)
        event = make_event(db, org=org, title="Festival day")
        matinee = make_session(db, event=event, name="Matinee", capacity=9, starts_at=DAY1)  # 12:00-15:00
        evening = make_session(db, event=event, name="Evening", capacity=9, starts_at=DAY1 + 6 * 60 * MIN)
        room_a = make_session(db, event=event, name="Room A", capacity=9, starts_at=DAY1 + DAY)
        room_b = make_session(db, event=event, name="Room B", capacity=9, starts_at=DAY1 + DAY)
        types = {name: make_ticket_type(db, event=event, name=name, sessions=[s]).id
                 for name, s in [("Evening", evening), ("Room B", room_b), ("Matinee", matinee)]}
        event_id, ids = event.id, {s.name: s.id for s in (matinee, evening, room_a, room_b)}
    live = replace(door, ws=replace(door.ws, event_id=event_id))  # the same steward, another event
    evening_t, room_b_t, matinee_t = (buy_tickets(live, door.buyers[0], types[n])[0]
                                      for n in ("Evening", "Room B", "Matinee"))
    early = scan(live, code=evening_t.code, now=DAY1 + 60 * MIN)  # 13:00, the matinee is on
    assert (early.result, early.data["session_name"]) == ("wrong_session", "Matinee")
    assert early.message == "Not valid for Matinee. Valid for: Evening."
    between = scan(live, code=evening_t.code, now=DAY1 + 4 * 60 * MIN)  # 16:00: the evening is next today
    assert between.admitted and between.data["session_id"] == str(ids["Evening"])
    assert scan(live, code=matinee_t.code, now=DAY1 + 60 * MIN).admitted
    parallel = scan(live, code=room_b_t.code, now=DAY1 + DAY + MIN)
    assert parallel.admitted and parallel.data["session_name"] == "Room B"


def test_a_session_of_another_event_is_not_found(door):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    with session_scope() as db:
        from ticketing.models import Organization
        org = db.get(Organization, door.ws.org_id)
        other = make_session(db, event=make_event(db, org=org, title="Other"), name="X", capacity=1)
        other_id = other.id
    for session_id in (other_id, uuid.uuid4()):
        err = error_of(admission.scan_ticket, event_id=door.ws.event_id, user_id=door.steward, code=t.code,
                       session_id=session_id, now=DAY1)
        assert (err.code, err.status) == ("not_found", 404)


def test_not_paid_cancelled_and_revoked(door):
    a, b = door.buyers[:2]
    (unpaid,) = buy_tickets(door, a, door.ws.day1_pass, pay=False)
    answer = scan(door, code=unpaid.code, now=DAY1)
    assert (answer.result, answer.status) == ("not_paid", 422) and answer.data["holder_name"] == unpaid.holder_name

    (gone,) = buy_tickets(door, b, door.ws.day1_pass)
    cancel(gone.order_id, b)
    assert load(Ticket, gone.id).code_version == 2  # cancellation bumps the version too
    answer = scan(door, code=gone.code, now=DAY1)
    assert (answer.result, answer.status) == ("cancelled", 422)
    assert scan(door, code=load(Ticket, gone.id).code, now=DAY1).result == "cancelled"

    (given,) = buy_tickets(door, a, door.ws.day1_pass)
    moved = in_tx(ticket_holders.transfer_ticket, ticket_id=given.id, user_id=a, name="Friend", email="f@example.com",
                  now=T0)
    old = scan(door, code=given.code, now=DAY1)
    assert (old.result, old.status) == ("revoked", 422) and old.data["holder_name"] == "Friend"
    new = scan(door, code=moved.code, now=DAY1)
    assert new.admitted and new.data["holder_name"] == "Friend"
    assert scan(door, code=given.code, now=DAY1).result == "revoked"  # still, after the admission
    assert count(CheckIn) == 1


def test_a_pass_over_three_sessions_is_admitted_once_to_each(door):
    (series,) = buy_tickets(door, door.buyers[0], door.ws.series)
    (day1_only,) = buy_tickets(door, door.buyers[1], door.ws.day1_pass)
    assert scan(door, code=series.code, now=DAY1 + MIN).data["session_id"] == str(door.ws.day1)
    assert scan(door, code=series.code, now=DAY1 + 2 * MIN).result == "already_checked_in"
    day2 = scan(door, code=series.code, now=DAY1 + DAY - 2 * 60 * MIN)  # two hours before Day 2: next today
    assert day2.admitted and day2.data["session_id"] == str(door.ws.day2)
    day3 = scan(door, code=series.code, session_id=door.ws.day3, now=DAY1 + DAY)  # chosen explicitly, early
    assert day3.admitted and day3.data["session_name"] == "Day 3 - Practice & Integration"
    assert scan(door, code=series.code, now=DAY1 + 2 * DAY).result == "already_checked_in"
    assert scan(door, code=day1_only.code, now=DAY1 + DAY).result == "wrong_session"
    with session_scope(readonly=True) as db:
        sessions = db.exec(select(CheckIn.session_id).where(CheckIn.ticket_id == series.id)).all()
    assert sorted(sessions) == sorted([door.ws.day1, door.ws.day2, door.ws.day3])


def test_admission_by_ticket_id_from_a_search(door):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    answer = scan(door, ticket_id=t.id, now=DAY1)
    assert answer.admitted and scan(door, code=t.code, now=DAY1).result == "already_checked_in"
    with session_scope(readonly=True) as db:
        assert db.exec(select(Scan.method).order_by(Scan.created_at)).all() == ["search", "code"]
    assert scan(door, ticket_id=uuid.uuid4(), now=DAY1).result == "unknown_code"
    err = error_of(admission.scan_ticket, event_id=door.ws.event_id, user_id=door.steward, code=t.code,
                   ticket_id=t.id, now=DAY1)
    assert err.code == "invalid_input"


def test_only_staff_of_the_events_organization_may_scan(door):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    customer = door.buyers[0]
    for user, event_id in [(customer, door.ws.event_id), (door.steward, uuid.uuid4())]:
        err = error_of(admission.scan_ticket, event_id=event_id, user_id=user, code=t.code, now=DAY1)
        assert (err.code, err.status) == ("not_found", 404)
    assert scan(door, user=door.ws.owner_id, code=t.code, now=DAY1).admitted  # owners scan too
    assert count(Scan) == 1


def test_bad_nonce_and_scan_times_are_refused(door):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    for nonce in ["", "x" * 101, "tab\tbed"]:
        err = error_of(admission.scan_ticket, event_id=door.ws.event_id, user_id=door.steward, code=t.code,
                       nonce=nonce, now=DAY1)
        assert err.code == "invalid_nonce"
    err = error_of(admission.scan_ticket, event_id=door.ws.event_id, user_id=door.steward, code=t.code,
                   scanned_at=DAY1 - 31 * DAY, now=DAY1)
    assert err.code == "invalid_scanned_at"
    ahead = scan(door, code=t.code, scanned_at=DAY1 + 10 * MIN, now=DAY1)  # a phone clock running ahead
    assert ahead.data["checked_in_at"] == DAY1.isoformat()


def test_every_new_scan_announces_checkins_without_touching_the_event_version(door, bus):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    before, bus.messages[:] = load(Event, door.ws.event_id).version, []
    scan(door, code=t.code, nonce="a", now=DAY1)
    scan(door, code="garbage", now=DAY1)
    scan(door, code=t.code, nonce="a", now=DAY1)  # a replay changes nothing: says nothing
    # Gates must not queue on the event row: check-ins leave the places (and the version) alone.
    assert load(Event, door.ws.event_id).version == before
    assert [(m["type"], m["event_id"]) for m in bus.messages] == [("checkins", str(door.ws.event_id))] * 2


def test_cancelling_an_admitted_ticket_is_refused_but_its_unused_neighbour_may_go(door):
    a = door.buyers[0]
    first, second = buy_tickets(door, a, door.ws.day1_pass, quantity=2)
    assert scan(door, code=first.code, now=DAY1 - 2 * DAY, session_id=door.ws.day1).admitted
    err = error_of(cancellation.cancel_order, order_id=first.order_id, user_id=a, now=T0)
    assert (err.code, err.extra["ticket_id"]) == ("already_checked_in", first.id)
    err = error_of(cancellation.cancel_order, order_id=first.order_id, user_id=door.ws.owner_id, now=T0,
                   by_organizer=True)
    assert err.code == "already_checked_in"
    done = cancel(first.order_id, a, ticket_ids=[second.id])
    assert done.ticket_ids == [second.id] and load(Ticket, second.id).status == "cancelled"


# --- offline queues synced later -------------------------------------------------------------


def test_an_offline_scan_syncs_with_its_scan_time(door):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    answer = scan(door, code=t.code, scanned_at=DAY1 + MIN, gate="Side door", nonce="q1", now=DAY1 + 30 * MIN)
    assert answer.admitted and answer.data["checked_in_at"] == (DAY1 + MIN).isoformat()
    with session_scope(readonly=True) as db:
        checkin = db.exec(select(CheckIn)).one()
        assert (checkin.offline, checkin.gate, checkin.checked_in_at) == (True, "Side door", DAY1 + MIN)
    assert count(CheckInConflict) == 0


def test_an_earlier_offline_admission_becomes_the_first_and_the_double_entry_is_reported(door):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    assert scan(door, code=t.code, gate="Main", now=DAY1 + 3 * MIN).admitted  # online, 12:03
    late_sync = scan(door, code=t.code, gate="Side", scanned_at=DAY1 + MIN, now=DAY1 + 20 * MIN)  # offline, 12:01
    assert late_sync.admitted and late_sync.data["conflict"] == "duplicate"
    with session_scope(readonly=True) as db:
        checkin = db.exec(select(CheckIn)).one()
        (conflict, session_name), = door_service.list_conflicts(db=db, event_id=door.ws.event_id)
    assert (checkin.gate, checkin.checked_in_at, checkin.offline) == ("Side", DAY1 + MIN, True)
    assert (conflict.kind, conflict.first_gate, conflict.first_at) == ("duplicate", "Side", DAY1 + MIN)
    assert (conflict.second_gate, conflict.second_at) == ("Main", DAY1 + 3 * MIN)
    assert conflict.ticket_id == t.id and conflict.holder_name == t.holder_name
    assert session_name == "Day 1 - Foundations"


def test_a_later_offline_admission_is_refused_and_reported(door):
    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    scan(door, code=t.code, gate="Main", now=DAY1)
    late = scan(door, code=t.code, gate="Side", scanned_at=DAY1 + 2 * MIN, now=DAY1 + 20 * MIN)
    assert late.result == "already_checked_in" and late.data["gate"] == "Main"
    with session_scope(readonly=True) as db:
        conflict = db.exec(select(CheckInConflict)).one()
    assert (conflict.first_gate, conflict.second_gate, conflict.second_at) == ("Main", "Side", DAY1 + 2 * MIN)


def test_an_offline_admission_of_a_ticket_cancelled_meanwhile_is_reported(door):
    a = door.buyers[0]
    (t,) = buy_tickets(door, a, door.ws.day1_pass)
    cancel(t.order_id, a)
    answer = scan(door, code=t.code, scanned_at=DAY1, gate="Side", now=DAY1 + MIN)
    assert answer.result == "cancelled"
    with session_scope(readonly=True) as db:
        conflict = db.exec(select(CheckInConflict)).one()
    assert (conflict.kind, conflict.second_gate, conflict.first_at) == ("cancelled", "Side", None)
    # An online red answer is no conflict: nobody was let in.
    scan(door, code=t.code, now=DAY1 + MIN)
    assert count(CheckInConflict) == 1


# --- what door pages read ---------------------------------------------------------------------


def test_counters_per_session_count_paid_tickets_as_expected(door):
    a, b, c = door.buyers[:3]
    series = buy_tickets(door, a, door.ws.series, quantity=2)
    (day1,) = buy_tickets(door, b, door.ws.day1_pass)
    buy_tickets(door, c, door.ws.day1_pass, pay=False)  # unpaid: not expected
    scan(door, code=series[0].code, now=DAY1)
    scan(door, code=day1.code, now=DAY1 + MIN)
    scan(door, code=day1.code, now=DAY1 + 2 * MIN)  # a duplicate counts once
    with session_scope(readonly=True) as db:
        stats = {s.session_id: (s.admitted, s.expected) for s in door_service.checkin_stats(db=db,
                                                                                          event_id=door.ws.event_id)}
        history = door_service.recent_scans(db=db, event_id=door.ws.event_id)
    assert stats == {door.ws.day1: (2, 3), door.ws.day2: (0, 2), door.ws.day3: (0, 2)}
    assert [h.result for h in history] == ["already_checked_in", "admitted", "admitted"]
    assert history[0].holder_name == day1.holder_name and history[0].session_name == "Day 1 - Foundations"


def test_the_door_list_carries_what_offline_scanning_needs(door):
    a = door.buyers[0]
    (t,) = buy_tickets(door, a, door.ws.series)
    (p,) = buy_tickets(door, door.buyers[1], door.ws.day1_pass, pay=False)
    scan(door, code=t.code, gate="Main", now=DAY1)
    with session_scope(readonly=True) as db:
        body = door_service.door_list(db=db, event=db.get(Event, door.ws.event_id), now=DAY1)
    assert body["key"]["alg"] == "Ed25519" and len(ticket_codes._unb64url(body["key"]["public_key"])) == 32
    assert body["default_session_id"] == str(door.ws.day1)
    rows = {row[0]: row for row in body["tickets"]}
    types = body["ticket_types"]
    assert rows[str(t.id)][1:3] == [1, "v"] and types[rows[str(t.id)][5]]["name"] == "Full Series Pass"
    assert sorted(types[rows[str(t.id)][5]]["session_ids"]) == sorted(
        str(s) for s in (door.ws.day1, door.ws.day2, door.ws.day3))
    assert rows[str(p.id)][2] == "p" and rows[str(p.id)][3] == p.holder_name
    assert body["checkins"] == [[str(t.id), str(door.ws.day1), DAY1.isoformat(), "Main"]]


def test_codes_are_compact_and_carry_the_ticket_and_version():
    ticket_id = uuid.uuid4()
    code = ticket_codes.issue_code(ticket_id, 7)
    assert len(code) == 115 and code.isascii()
    assert ticket_codes.read_code(code) == ticket_codes.CodeClaims(ticket_id, 7)
    assert ticket_codes.read_code(f"  {code}\n") == ticket_codes.CodeClaims(ticket_id, 7)
    with pytest.raises(ValueError):
        ticket_codes.issue_code(ticket_id, 0)
    with pytest.raises(ServiceError):
        ticket_codes.read_code(code.replace(code[30], "A" if code[30] != "A" else "B", 1))


def test_the_door_view_and_the_dashboards_conflict_lines(door):
    from ticketing.realtime.views import conflict_lines, door_view

    (t,) = buy_tickets(door, door.buyers[0], door.ws.day1_pass)
    scan(door, code=t.code, gate="Main", now=DAY1 + MIN)
    scan(door, code=t.code, gate="Side", scanned_at=DAY1 + 2 * MIN, now=DAY1 + 5 * MIN)  # offline, later
    scan(door, code="junk", gate="Main", now=DAY1 + 6 * MIN)
    with session_scope(readonly=True) as db:
        event = db.get(Event, door.ws.event_id)
        view = door_view(db, event)
        lines = conflict_lines(db, event)
    day1 = next(c for c in view["counters"] if c["id"] == str(door.ws.day1))
    assert (day1["admitted"], day1["expected"], day1["percent"]) == (1, 1, 100)
    assert [(h["result"], h["holder"]) for h in view["history"]] == [
        ("unknown_code", "Not a valid ticket code."), ("already_checked_in", t.holder_name),
        ("admitted", t.holder_name)]
    assert view["history"][1]["detail"] == "Day 1 Only · Day 1 - Foundations · Side · offline"
    assert view["conflicts"] == 1
    assert [line["what"] for line in lines] == ["Admitted twice: Main at 12:01, Side at 12:02"]


def test_a_seated_ticket_is_admitted_with_its_seat_named():
    from tests.seating_builders import make_seated_event
    from ticketing.models import EventSession
    from ticketing.services.seating import seat_sales

    with session_scope() as db:
        se = make_seated_event(db, bands=[("Free", 0, None)])
        (buyer,) = make_buyers(db, 1)
        buyer_id = buyer.id
        starts_at = db.get(EventSession, se.session_id).starts_at
    seat = se.idx("Stalls", "A", 3)
    held = in_tx(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id, user_id=buyer_id,
                 idxs=[seat], now=T0)
    order = in_tx(orders.checkout, hold_id=held.hold.id, user_id=buyer_id, attendees=None, now=T0)
    assert order.status == "confirmed"  # free: confirmed at checkout
    with session_scope(readonly=True) as db:
        ticket = db.exec(select(Ticket).where(Ticket.order_id == order.id)).one()
    at_door = starts_at + timedelta(minutes=1)
    answer = in_tx(admission.scan_ticket, event_id=se.event_id, user_id=se.owner_id, code=ticket.code, now=at_door)
    assert answer.admitted and answer.data["seat"] == "Stalls · Row A · Seat 3"
    again = in_tx(admission.scan_ticket, event_id=se.event_id, user_id=se.owner_id, code=ticket.code, now=at_door)
    assert again.result == "already_checked_in" and again.data["seat"] == "Stalls · Row A · Seat 3"
