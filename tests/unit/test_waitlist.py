"""Waiting lists: joining only when sold out, the gate that keeps freed places for the list,
offers in line order, lapsing, buying, leaving, closing (services on PostgreSQL, explicit clock)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from tests.builders import T0, error_of, in_tx, load, make_buyers, make_event, make_session, make_ticket_type
from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.models import EntryStatus, Hold, HoldStatus, WaitlistEntry
from ticketing.services.sales import holds, orders, waitlist, waitlist_offers


@pytest.fixture
def gig():
    """One session of 2 places, one ticket type (free, so a checkout confirms at once), 5 buyers."""
    with session_scope() as db:
        owner = make_buyers(db, 1, name="Organizer")[0]
        org = make_org(db, owner=owner, now=T0)
        event = make_event(db, org=org, title="Small Gig", offer_minutes=20)
        night = make_session(db, event=event, name="Night", capacity=2)
        ga = make_ticket_type(db, event=event, name="Standing", sessions=[night])
        other = make_event(db, org=org, title="Other")
        other_type = make_ticket_type(db, event=other, name="Elsewhere",
                                      sessions=[make_session(db, event=other, name="N", capacity=5)])
        buyers = [u.id for u in make_buyers(db, 5)]
    return {"owner": owner.id, "event": event.id, "ga": ga.id, "other_type": other_type.id, "buyers": buyers}


def hold(gig, user, qty=1, now=T0):
    return in_tx(holds.hold_tickets, event_id=gig["event"], user_id=user, items=[(gig["ga"], qty)], now=now)


_clock = itertools.count(1)


def join(gig, user, qty=1):
    """Join a second later than the join before: line order is the order of joining."""
    return in_tx(waitlist.join_waitlist, event_id=gig["event"], user_id=user, ticket_type_id=gig["ga"],
                 quantity=qty, now=T0 + timedelta(microseconds=next(_clock)))


def join_error(gig, user, qty=1, now=T0, type_id=None):
    return error_of(waitlist.join_waitlist, event_id=gig["event"], user_id=user,
                    ticket_type_id=type_id or gig["ga"], quantity=qty, now=now)


def offer(gig, now=T0):
    return in_tx(waitlist_offers.offer_next, event_id=gig["event"], ticket_type_id=gig["ga"], now=now)


def settle(now):
    return in_tx(waitlist_offers.settle_offers, now=now)


def test_joining_is_refused_while_the_tickets_can_be_bought(gig):
    a, b, *_ = gig["buyers"]
    assert join_error(gig, a).code == "not_sold_out"
    hold(gig, a, 1)
    assert join_error(gig, b, 1).code == "not_sold_out"  # one place left: enough for one
    joined = join(gig, b, 2)  # but not for two: b may wait for two
    assert joined.position == 1 and joined.state == "waiting"


def test_bad_joins_change_nothing(gig):
    a, b, c, *_ = gig["buyers"]
    hold(gig, a, 2)
    assert join_error(gig, b, 0).code == "invalid_quantity"
    assert join_error(gig, b, 1, type_id=gig["other_type"]).code == "not_found"  # a type of another event
    join(gig, b)
    assert join_error(gig, b).code == "already_waiting"
    second = join(gig, c)
    assert second.position == 2
    with session_scope(readonly=True) as db:
        assert len(waitlist.event_waitlist(db=db, event_id=gig["event"], user_id=gig["owner"], now=T0)) == 2


def test_freed_places_go_to_the_list_first_then_to_the_next_in_line(gig):
    a, b, c, d, _ = gig["buyers"]
    first = hold(gig, a, 2)
    join(gig, b)
    join(gig, c)
    in_tx(holds.release_hold, hold_id=first.id, user_id=a, now=T0)
    # A direct buyer finds the freed places kept for the list.
    refused = error_of(holds.hold_tickets, event_id=gig["event"], user_id=d, items=[(gig["ga"], 1)], now=T0)
    assert refused.code == "insufficient_capacity" and refused.extra["reason"] == "waiting_list"
    made = offer(gig)
    assert made.user_id == b and made.status == "offered" and made.offers == 1
    offered_hold = load(Hold, made.hold_id)
    assert offered_hold.user_id == b and offered_hold.expires_at == T0 + timedelta(minutes=20)
    assert made.offer_expires_at == offered_hold.expires_at
    second = offer(gig)
    assert second.user_id == c
    assert offer(gig) is None  # nobody left waiting: never offered twice
    # Nobody waits any more: general sale again, and the offers count like holds (none left).
    assert error_of(holds.hold_tickets, event_id=gig["event"], user_id=d, items=[(gig["ga"], 1)],
                    now=T0).code == "insufficient_capacity"


def test_the_oldest_entry_that_fits_gets_the_offer(gig):
    a, b, c, *_ = gig["buyers"]
    first = hold(gig, a, 1)
    hold(gig, gig["buyers"][3], 1)
    join(gig, b, 2)  # needs two
    join(gig, c, 1)
    in_tx(holds.release_hold, hold_id=first.id, user_id=a, now=T0)  # one place free
    made = offer(gig)
    assert made.user_id == c  # b does not fit in one place; c does
    with session_scope(readonly=True) as db:
        assert db.get(WaitlistEntry, made.id).status == "offered"


def test_a_lapsed_offer_passes_to_the_next_entry(gig):
    a, b, c, *_ = gig["buyers"]
    first = hold(gig, a, 2)
    join(gig, b)
    join(gig, c)
    in_tx(holds.release_hold, hold_id=first.id, user_id=a, now=T0)
    to_b = offer(gig)
    to_c = offer(gig)
    assert {to_b.user_id, to_c.user_id} == {b, c}
    later = T0 + timedelta(minutes=21)
    lapsed = settle(later)
    assert {e.id for e in lapsed} == {to_b.id, to_c.id}
    with session_scope(readonly=True) as db:
        mine = waitlist.my_waitlist(db=db, user_id=b, now=later)
        assert [v.state for v in mine] == ["lapsed"] and mine[0].position is None


def test_an_offer_checked_out_is_bought(gig):
    a, b, *_ = gig["buyers"]
    first = hold(gig, a, 2)
    join(gig, b)
    in_tx(holds.release_hold, hold_id=first.id, user_id=a, now=T0)
    made = offer(gig)
    order = in_tx(orders.checkout, hold_id=made.hold_id, user_id=b, attendees=None, now=T0 + timedelta(minutes=5))
    assert order.status == "confirmed"
    with session_scope(readonly=True) as db:
        assert waitlist.my_waitlist(db=db, user_id=b, now=T0)[0].state == "bought"
    settle(T0 + timedelta(minutes=6))
    assert load(WaitlistEntry, made.id).status == EntryStatus.bought.value


def test_leaving_with_an_offer_releases_its_places(gig):
    a, b, c, *_ = gig["buyers"]
    first = hold(gig, a, 2)
    join(gig, b, 2)
    in_tx(holds.release_hold, hold_id=first.id, user_id=a, now=T0)
    made = offer(gig)
    join_c = join(gig, c, 2)  # sold out again (b's offer holds both places)
    in_tx(waitlist.leave_waitlist, entry_id=made.id, user_id=b, now=T0)
    assert load(Hold, made.hold_id).status == HoldStatus.released.value
    assert load(WaitlistEntry, made.id).status == "left"
    assert offer(gig).id == join_c.entry.id
    in_tx(waitlist.leave_waitlist, entry_id=made.id, user_id=b, now=T0)  # twice: harmless
    assert error_of(waitlist.leave_waitlist, entry_id=made.id, user_id=c, now=T0).code == "not_found"


def test_closing_the_list_stops_joins_and_opens_general_sale(gig):
    a, b, c, d, _ = gig["buyers"]
    first = hold(gig, a, 2)
    join(gig, b)
    assert in_tx(waitlist.close_waitlist, event_id=gig["event"], user_id=gig["owner"], ticket_type_id=gig["ga"], now=T0) == 1
    assert [v.state for v in in_tx(waitlist.my_waitlist, user_id=b, now=T0)] == ["closed"]
    assert join_error(gig, c).code == "waitlist_closed"
    in_tx(holds.release_hold, hold_id=first.id, user_id=a, now=T0)
    assert hold(gig, d, 1).status == "active"  # nobody waits: sold to anyone
    in_tx(waitlist.reopen_waitlist, event_id=gig["event"], user_id=gig["owner"], ticket_type_id=gig["ga"])
    assert join_error(gig, c).code == "not_sold_out"


def test_the_organizer_offers_out_of_line(gig):
    a, b, c, *_ = gig["buyers"]
    first = hold(gig, a, 2)
    join(gig, b)
    second = join(gig, c)
    assert error_of(waitlist_offers.offer_entry, event_id=gig["event"], user_id=gig["owner"], entry_id=second.entry.id,
                    now=T0).code == "insufficient_capacity"
    in_tx(holds.release_hold, hold_id=first.id, user_id=a, now=T0)
    made = in_tx(waitlist_offers.offer_entry, event_id=gig["event"], user_id=gig["owner"], entry_id=second.entry.id, now=T0)
    assert made.user_id == c and made.status == "offered"
    assert error_of(waitlist_offers.offer_entry, event_id=gig["event"], user_id=c, entry_id=second.entry.id,
                    now=T0).code == "not_found"  # a customer is no organizer
    assert error_of(waitlist_offers.offer_entry, event_id=gig["event"], user_id=gig["owner"], entry_id=second.entry.id,
                    now=T0).code == "not_offerable"
