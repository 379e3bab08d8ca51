"""The waiting room's rules on a fake clock, with the queue in the database and in Redis:
random places before the sale opens, first come first served after, one place per account,
admission tokens refused when forged, expired or of another event, the rate kept whoever
paces, absent customers dropped after the grace period."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import jwt
import pytest

from tests.builders import T0, in_tx, make_buyers, make_event, make_session, make_ticket_type
from tests.factories import make_org
from tests.services import ensure_redis
from ticketing.db import session_scope
from ticketing.models import WaitingRoom
from ticketing.services.accounts.tokens import issue_token
from ticketing.services.errors import ServiceError
from ticketing.services.waiting_room import pacing, rooms
from ticketing.services.waiting_room.admission_tokens import check_admission_token, issue_admission
from ticketing.services.waiting_room.queue_store import DatabaseQueue, RedisQueue
from ticketing.settings import get_settings

OPENS = T0 + timedelta(hours=1)
REDIS_URL = "redis://127.0.0.1:6379/5"


@pytest.fixture(params=["database", "redis"])
def queue(request):
    if request.param == "database":
        return DatabaseQueue()
    ensure_redis()
    return RedisQueue(REDIS_URL)


@pytest.fixture
def sale():
    """A published event with a room switched on (sale opens at OPENS), its owner, buyers."""
    with session_scope() as db:
        owner = make_buyers(db, 1, name="Owner")[0]
        event = make_event(db, org=make_org(db, owner=owner, now=T0), title="Big Gig")
        session = make_session(db, event=event, name="Night", capacity=100)
        make_ticket_type(db, event=event, name="Standing", sessions=[session], price_minor=5000)
        buyers = [u.id for u in make_buyers(db, 60)]
        return {"event": event.id, "owner": owner.id, "buyers": buyers}


def switch_on(sale, queue, *, rate=60, opens_at=OPENS, now=T0):
    return in_tx(rooms.configure_room, user_id=sale["owner"], event_id=sale["event"], now=now, enabled=True,
                 rate_per_minute=rate, opens_at=opens_at, queue=queue)


def join(sale, queue, user, now):
    return in_tx(rooms.join_queue, event_id=sale["event"], user_id=user, now=now, queue=queue)


def admit(sale, queue, now):
    return in_tx(pacing.admit_due, event_id=sale["event"], now=now, queue=queue)


def admitted_order(sale, queue, users, *, start, rate):
    """Pace second by second until everyone is in; the users in the order they were let in."""
    order, now = [], start
    while len(order) < len(users):
        now += timedelta(seconds=1)
        admit(sale, queue, now)
        for u in users:
            if u not in order and in_tx(rooms.queue_status, event_id=sale["event"], user_id=u, now=now,
                                        queue=queue).state == "admitted":
                order.append(u)
        assert now < start + timedelta(seconds=len(users) * 60 / rate + 30), "the queue stopped draining"
    return order


def test_arrivals_before_the_sale_get_random_places_and_come_before_later_ones(sale, queue):
    switch_on(sale, queue, rate=600)
    early, late = sale["buyers"][:40], sale["buyers"][40:45]
    for i, user in enumerate(early):  # in this order, one a second, before the sale opens
        assert join(sale, queue, user, T0 + timedelta(seconds=i)).state == "waiting"
    for user in early:  # their pages kept asking while they waited for the sale
        in_tx(rooms.queue_status, event_id=sale["event"], user_id=user, now=OPENS - timedelta(seconds=5), queue=queue)
    for i, user in enumerate(late):
        join(sale, queue, user, OPENS + timedelta(milliseconds=100 * (i + 1)))
    assert admit(sale, queue, OPENS) == 0  # nobody is let in before the sale opens
    order = admitted_order(sale, queue, early + late, start=OPENS, rate=600)
    assert set(order[:40]) == set(early) and order[40:] == late
    assert order[:40] != early  # shuffled: 1 chance in 40! to fail
    # Not biased towards the first to come: the first ten arrivals are not the first ten in.
    assert len(set(order[:10]) & set(early[:10])) < 10


def test_after_the_sale_opens_the_queue_is_first_come_first_served(sale, queue):
    switch_on(sale, queue, rate=600, opens_at=T0, now=T0)
    users = sale["buyers"][:20]
    for i, user in enumerate(users):
        status = join(sale, queue, user, T0 + timedelta(milliseconds=10 * (i + 1)))
        assert status.position == i + 1
    assert admitted_order(sale, queue, users, start=T0 + timedelta(seconds=1), rate=600) == users


def test_one_place_per_account(sale, queue):
    switch_on(sale, queue, opens_at=T0, now=T0)
    first, second = sale["buyers"][:2]
    join(sale, queue, first, T0 + timedelta(seconds=1))
    join(sale, queue, second, T0 + timedelta(seconds=2))
    again = join(sale, queue, first, T0 + timedelta(seconds=3))  # another tab, another device
    assert (again.position, again.waiting) == (1, 2)
    admit(sale, queue, T0 + timedelta(seconds=1.5))  # one a second at 60 a minute: `first`
    status = join(sale, queue, first, T0 + timedelta(seconds=2))
    assert status.state == "admitted" and in_tx(rooms.queue_status, event_id=sale["event"], user_id=second,
                                                now=T0 + timedelta(seconds=2), queue=queue).position == 1


def test_the_rate_is_kept_however_many_pacers_beat(sale, queue):
    """Three pacers (app instances) beat at uneven moments for half a minute at 240 a minute."""
    switch_on(sale, queue, rate=240, opens_at=T0, now=T0)
    with session_scope() as db:  # more waiting than half a minute can let in
        for i, user in enumerate(make_buyers(db, 200)):
            queue.join(db, event_id=sale["event"], user_id=user.id, score=T0.timestamp() + i, now=T0)
    total, beats = 0, [0.07, 0.2, 0.41]
    for tick in range(60):
        at = T0 + timedelta(seconds=tick * 0.5)
        for offset in beats:
            total += admit(sale, queue, at + timedelta(seconds=offset))
    # 29.91 s of pacing at 4 a second, give or take the last step.
    assert 119 <= total <= 120


def test_absent_customers_lose_their_place_after_the_grace_period(sale, queue):
    switch_on(sale, queue, rate=1, opens_at=T0, now=T0)
    stays, leaves = sale["buyers"][:2]
    join(sale, queue, leaves, T0 + timedelta(seconds=1))
    join(sale, queue, stays, T0 + timedelta(seconds=2))
    grace = get_settings().waiting_room_grace_seconds
    for s in range(30, grace + 60, 30):  # `stays` keeps its page open, `leaves` closed the tab
        in_tx(rooms.queue_status, event_id=sale["event"], user_id=stays, now=T0 + timedelta(seconds=s), queue=queue)
    admit(sale, queue, T0 + timedelta(seconds=grace + 60))
    status = in_tx(rooms.queue_status, event_id=sale["event"], user_id=stays,
                   now=T0 + timedelta(seconds=grace + 61), queue=queue)
    assert status.state == "admitted"  # `leaves` was dropped: the one admission went to `stays`
    assert in_tx(rooms.queue_status, event_id=sale["event"], user_id=leaves,
                 now=T0 + timedelta(seconds=grace + 61), queue=queue).state == "absent"


def test_a_closed_tab_keeps_the_place_within_the_grace_period(sale, queue):
    switch_on(sale, queue, rate=1, opens_at=T0, now=T0)
    first, second = sale["buyers"][:2]
    join(sale, queue, first, T0 + timedelta(seconds=1))
    join(sale, queue, second, T0 + timedelta(seconds=2))
    back = T0 + timedelta(seconds=get_settings().waiting_room_grace_seconds - 10)
    admit(sale, queue, back - timedelta(seconds=1))  # the pacer runs while the tab is closed...
    assert join(sale, queue, first, back).state == "admitted"  # ...and the place was kept


def test_switching_off_drops_the_queue_and_holds_need_no_admission(sale, queue):
    switch_on(sale, queue, opens_at=T0, now=T0)
    join(sale, queue, sale["buyers"][0], T0 + timedelta(seconds=1))
    view = in_tx(rooms.configure_room, user_id=sale["owner"], event_id=sale["event"], now=T0, enabled=False,
                 queue=queue)
    assert (view.enabled, view.waiting) == (False, 0)
    assert join(sale, queue, sale["buyers"][0], T0 + timedelta(seconds=2)).state == "open"
    rooms.require_admission(event_id=sale["event"], user_id=sale["buyers"][0], token=None, now=T0)


def test_only_managers_configure_and_rates_are_checked(sale, queue):
    with pytest.raises(ServiceError) as refused:
        in_tx(rooms.configure_room, user_id=sale["buyers"][0], event_id=sale["event"], now=T0, enabled=True,
              queue=queue)
    assert refused.value.code == "not_found"
    with pytest.raises(ServiceError) as bad:
        in_tx(rooms.configure_room, user_id=sale["owner"], event_id=sale["event"], now=T0, rate_per_minute=0,
              queue=queue)
    assert bad.value.code == "invalid_rate"


def test_the_estimated_wait_counts_the_time_to_the_sale_and_the_rate():
    assert rooms.estimated_wait(30, rate_per_minute=60, opens_at=T0, now=T0) == 30
    assert rooms.estimated_wait(30, rate_per_minute=60, opens_at=T0 + timedelta(minutes=5), now=T0) == 330


def test_the_queue_page_asks_less_often_the_further_back_it_is(monkeypatch):
    assert rooms.ask_again_seconds(0) == rooms.ask_again_seconds(12) == rooms.ASK_SOONEST_SECONDS  # near the front
    assert rooms.ask_again_seconds(40) == 10  # a quarter of the wait: the turn is seen at most a quarter late
    assert rooms.ask_again_seconds(3600) == rooms.ASK_LATEST_SECONDS
    short_grace = dataclasses.replace(get_settings(), waiting_room_grace_seconds=45)
    monkeypatch.setattr(rooms, "get_settings", lambda: short_grace)
    assert rooms.ask_again_seconds(3600) == 15  # never so seldom that the place lapses between two asks


# --- admission tokens -----------------------------------------------------------------------


def _code(call) -> str:
    with pytest.raises(ServiceError) as refused:
        call()
    assert refused.value.status == 403
    return refused.value.code


def test_admission_tokens_are_refused_when_forged_expired_or_of_another_event():
    event, user, until = uuid.uuid4(), uuid.uuid4(), T0 + timedelta(minutes=10)
    token = issue_admission(event_id=event, user_id=user, expires_at=until, now=T0)
    assert check_admission_token(token, event_id=event, user_id=user, now=T0) == until

    def check(tok, *, ev=event, who=user, now=T0):
        return _code(lambda: check_admission_token(tok, event_id=ev, user_id=who, now=now))

    forged = jwt.encode({"sub": str(user), "evt": str(event), "aud": "ticketing-admission",
                         "exp": int(until.timestamp())}, "a-guessed-secret-of-thirty-two-bytes!", algorithm="HS256")
    head, body, sig = token.split(".")
    tampered = ".".join([head, body, sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")])
    access = issue_token(user_id=user, token_version=0, now=T0)  # a sign-in token is no admission
    assert check(None) == "admission_required"
    assert check(forged) == "admission_invalid"
    assert check(tampered) == "admission_invalid"
    assert check("not-a-token") == "admission_invalid"
    assert check(access) == "admission_invalid"
    assert check(token, who=uuid.uuid4()) == "admission_invalid"  # another account's
    assert check(token, ev=uuid.uuid4()) == "admission_wrong_event"
    assert check(token, now=until) == "admission_expired"


def test_the_hold_path_asks_for_an_admission_only_while_the_room_is_on(sale):
    queue = DatabaseQueue()
    buyer = sale["buyers"][0]
    rooms.require_admission(event_id=sale["event"], user_id=buyer, token=None, now=T0)  # no room
    switch_on(sale, queue, opens_at=T0, now=T0)
    assert _code(lambda: rooms.require_admission(event_id=sale["event"], user_id=buyer, token=None,
                                                 now=T0)) == "admission_required"
    join(sale, queue, buyer, T0 + timedelta(seconds=1))
    admit(sale, queue, T0 + timedelta(seconds=2))
    status = in_tx(rooms.queue_status, event_id=sale["event"], user_id=buyer, now=T0 + timedelta(seconds=2),
                   queue=queue)
    rooms.require_admission(event_id=sale["event"], user_id=buyer, token=status.admission_token,
                            now=T0 + timedelta(seconds=3))


def test_a_surge_of_arrivals_switches_the_room_on(sale, monkeypatch):
    settings = dataclasses.replace(get_settings(), waiting_room_auto_arrivals=5)
    monkeypatch.setattr(rooms, "get_settings", lambda: settings)
    queue = DatabaseQueue()
    for _ in range(5):  # five in one second: what the hold path serves
        assert rooms.note_arrival(event_id=sale["event"], now=T0, queue=queue) is False
    assert rooms.note_arrival(event_id=sale["event"], now=T0 + timedelta(milliseconds=300), queue=queue) is True
    with session_scope() as db:
        room = db.get(WaitingRoom, sale["event"])
        assert room.enabled and room.auto_started and room.opens_at == T0 + timedelta(milliseconds=300)
        room.enabled, room.auto = False, False  # an organizer who forbids the automatic room
        db.add(room)
    for _ in range(10):
        rooms.note_arrival(event_id=sale["event"], now=T0 + timedelta(seconds=5), queue=queue)
    assert not rooms.room_is_on(sale["event"])


def test_a_surge_room_closes_itself_once_calm_and_empty(sale, monkeypatch):
    settings = dataclasses.replace(get_settings(), waiting_room_auto_arrivals=1)
    monkeypatch.setattr(rooms, "get_settings", lambda: settings)
    queue = DatabaseQueue()
    for _ in range(2):
        rooms.note_arrival(event_id=sale["event"], now=T0, queue=queue)
    assert rooms.room_is_on(sale["event"])
    admit(sale, queue, T0 + timedelta(minutes=1))
    assert rooms.room_is_on(sale["event"])  # the surge was a minute ago
    admit(sale, queue, T0 + pacing.AUTO_OFF_AFTER + timedelta(seconds=1))
    assert not rooms.room_is_on(sale["event"])


# --- the hold path's cost: the room's switch as last read, at most ROOM_FLAG_SECONDS old -------


def _switch_on_elsewhere(event_id, now):
    """The room switched on by another app process: this process's copy is not forgotten."""
    with session_scope() as db:
        db.add(WaitingRoom(event_id=event_id, enabled=True, rate_per_minute=60, opens_at=now, paced_at=now,
                           updated_at=now))


def test_a_room_switched_on_elsewhere_refuses_holds_within_the_bound(sale):
    buyer = sale["buyers"][0]
    rooms.require_admission(event_id=sale["event"], user_id=buyer, token=None, now=T0)  # no room: read, kept
    _switch_on_elsewhere(sale["event"], T0)
    # Within the bound this process may still answer with what it read at T0 ...
    rooms.require_admission(event_id=sale["event"], user_id=buyer, token=None,
                            now=T0 + timedelta(seconds=rooms.ROOM_FLAG_SECONDS / 2))
    # ... and from the bound on it refuses every hold without an admission.
    assert _code(lambda: rooms.require_admission(
        event_id=sale["event"], user_id=buyer, token=None,
        now=T0 + timedelta(seconds=rooms.ROOM_FLAG_SECONDS))) == "admission_required"


def test_a_page_load_reads_the_switch_afresh_for_the_holds_that_follow(sale):
    buyer = sale["buyers"][0]
    rooms.require_admission(event_id=sale["event"], user_id=buyer, token=None, now=T0)
    _switch_on_elsewhere(sale["event"], T0)
    assert rooms.note_arrival(event_id=sale["event"], now=T0 + timedelta(milliseconds=100),
                              queue=DatabaseQueue()) is True
    assert _code(lambda: rooms.require_admission(event_id=sale["event"], user_id=buyer, token=None,
                                                 now=T0 + timedelta(milliseconds=200))) == "admission_required"


def test_a_clock_that_went_back_reads_the_switch_again(sale):
    buyer = sale["buyers"][0]
    rooms.require_admission(event_id=sale["event"], user_id=buyer, token=None, now=T0)
    _switch_on_elsewhere(sale["event"], T0)
    assert _code(lambda: rooms.require_admission(event_id=sale["event"], user_id=buyer, token=None,
                                                 now=T0 - timedelta(milliseconds=1))) == "admission_required"


def test_page_holds_are_not_counted_as_arrivals_but_api_arrivals_are(sale, monkeypatch):
    settings = dataclasses.replace(get_settings(), waiting_room_auto_arrivals=2)
    monkeypatch.setattr(rooms, "get_settings", lambda: settings)
    queue = DatabaseQueue()
    monkeypatch.setattr(rooms, "get_queue", lambda: queue)
    for buyer in sale["buyers"][:10]:  # holds from pages whose load was counted: no surge of their own
        rooms.require_admission(event_id=sale["event"], user_id=buyer, token=None, now=T0)
    assert not rooms.room_is_on(sale["event"])
    for _ in range(3):  # API holds are arrivals: the third in one second switches the room on
        rooms.count_arrival(event_id=sale["event"], now=T0)
    assert _code(lambda: rooms.require_admission(event_id=sale["event"], user_id=sale["buyers"][0], token=None,
                                                 now=T0)) == "admission_required"


def poll(sale, queue, user, now):
    return in_tx(rooms.queue_status, event_id=sale["event"], user_id=user, now=now, queue=queue)


def test_polls_read_a_published_events_room_at_most_once_a_second(sale, queue):
    """Thousands of queue pages ask every few seconds: the room as this process read it within
    ROOM_FLAG_SECONDS answers them; a change made by this process is seen by the next poll, one
    made elsewhere within the second."""
    buyer = sale["buyers"][0]
    switch_on(sale, queue, rate=60)
    join(sale, queue, buyer, T0)

    def wait_at(rate, now):  # the first in line's wait
        return rooms.estimated_wait(1, rate_per_minute=rate, opens_at=OPENS, now=now)

    assert poll(sale, queue, buyer, T0).wait_seconds == wait_at(60, T0)
    with session_scope() as db:  # the organizer's rate change, by another app process
        room = db.get(WaitingRoom, sale["event"])
        room.rate_per_minute = 6
        db.add(room)
    soon, later = T0 + timedelta(milliseconds=500), T0 + timedelta(seconds=1)
    assert poll(sale, queue, buyer, soon).wait_seconds == wait_at(60, soon)
    assert poll(sale, queue, buyer, later).wait_seconds == wait_at(6, later) != wait_at(60, later)
    in_tx(rooms.configure_room, user_id=sale["owner"], event_id=sale["event"], now=T0, enabled=False,
          rate_per_minute=None, opens_at=None, queue=queue)  # by this process: seen at once
    assert poll(sale, queue, buyer, T0 + timedelta(seconds=1, milliseconds=100)).state == "open"


def test_arrivals_count_customers_not_requests(sale, queue):
    """An account is one arrival however often it loads the page or holds within the memory;
    visitors who are not signed in count at every load."""
    event, (ann, bob) = sale["event"], sale["buyers"][:2]
    assert [queue.count_arrival(event_id=event, now=T0, user_id=ann) for _ in range(3)] == [1, 0, 0]
    assert queue.count_arrival(event_id=event, now=T0, user_id=bob) == 2
    assert [queue.count_arrival(event_id=event, now=T0) for _ in range(2)] == [3, 4]
    other = uuid.uuid4()  # another event: Ann arrives there for the first time
    assert queue.count_arrival(event_id=other, now=T0, user_id=ann) == 1


def test_customers_who_wait_on_the_page_do_not_surge_when_they_click(sale, queue, monkeypatch):
    """The opening's clicks come from customers whose page loads were counted: no surge, however
    many click in one second; as many new customers arriving in one second do surge."""
    settings = dataclasses.replace(get_settings(), waiting_room_auto_arrivals=3)
    monkeypatch.setattr(rooms, "get_settings", lambda: settings)
    monkeypatch.setattr(rooms, "get_queue", lambda: queue)
    early, late = sale["buyers"][:10], sale["buyers"][10:14]
    for k, buyer in enumerate(early):  # one page load every other second
        rooms.note_arrival(event_id=sale["event"], now=T0 + timedelta(seconds=2 * k), user_id=buyer)
    opening = T0 + timedelta(minutes=30)
    for buyer in early:  # all ten click "Reserve" (an API hold) within the opening's second
        rooms.count_arrival(event_id=sale["event"], now=opening, user_id=buyer)
    assert not rooms.room_is_on(sale["event"])
    for buyer in late:  # four new customers in one second
        rooms.count_arrival(event_id=sale["event"], now=opening, user_id=buyer)
    assert rooms.room_is_on(sale["event"])


def test_a_surge_of_api_holds_for_an_unknown_event_switches_nothing(monkeypatch):
    settings = dataclasses.replace(get_settings(), waiting_room_auto_arrivals=1)
    monkeypatch.setattr(rooms, "get_settings", lambda: settings)
    queue, unknown = DatabaseQueue(), uuid.uuid4()
    for _ in range(3):
        rooms.count_arrival(event_id=unknown, now=T0, queue=queue)
    assert not rooms.room_is_on(unknown)
