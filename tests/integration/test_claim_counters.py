"""Holds granted on the claim counters (services/sales/hold_store.py) and the triggers that keep them.

The counters (claimed_held / claimed_pending on sessions and ticket types) are the sums of the
existing claims, kept by the database whatever writes the claims; most holds on PostgreSQL are
granted on them in two statements, and anything they cannot decide goes to the exact path.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.builders import T0, error_of, in_tx, load, make_buyers, make_event, make_session, make_ticket_type
from tests.conftest import migrate
from tests.factories import make_org
from tests.integration.test_concurrency_pg import build_race, hot_usage, race
from tests.spies import record_outcomes
from ticketing.db import get_engine, pg_driver, session_scope
from ticketing.models import Event, EventSession, Hold, Order, PlaceClaim, SessionPrerequisite, TicketType
from ticketing.services import catalog
from ticketing.services.errors import ServiceError
from ticketing.services.sales import hold_store, holds, orders


def shop(url: str | None = None, *, capacity: int = 10, quota: int | None = None, buyers: int = 3) -> dict:
    with session_scope(url=url) as db:
        owner = make_buyers(db, 1, name="Owner")[0]
        event = make_event(db, org=make_org(db, owner=owner, now=T0), title="Counters", hold_minutes=15)
        day = make_session(db, event=event, name="Day", capacity=capacity)
        pass_ = make_ticket_type(db, event=event, name="Pass", sessions=[day], price_minor=2000, max_quantity=quota)
        return {"owner": owner.id, "event_id": event.id, "day": day.id, "type": pass_.id,
                "buyers": [u.id for u in make_buyers(db, buyers)]}


def counters(model, row_id, url: str | None = None) -> tuple[int, int]:
    row = load(model, row_id, url)
    return row.claimed_held, row.claimed_pending


def claim_sums(row_id, url: str | None = None) -> tuple[int, int]:
    with session_scope(readonly=True, url=url) as db:
        claims = db.exec(select(PlaceClaim).where(
            (PlaceClaim.session_id == row_id) | (PlaceClaim.ticket_type_id == row_id))).all()
    return (sum(c.quantity for c in claims if c.order_id is None),
            sum(c.quantity for c in claims if c.order_id is not None))


@pytest.fixture
def takes(monkeypatch):
    """The outcomes of hold_store.take in this test, in order."""
    return record_outcomes(monkeypatch, hold_store, "take", lambda taken: taken.outcome)


def test_a_simple_hold_is_granted_on_the_counters_and_they_follow_its_life(takes):
    s = shop(quota=8)
    a, b = s["buyers"][:2]
    hold_a = in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=a, items=[(s["type"], 3)], now=T0)
    hold_b = in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=b, items=[(s["type"], 2)], now=T0)
    assert takes == ["granted", "granted"]
    for row_id, model in ((s["day"], EventSession), (s["type"], TicketType)):
        assert counters(model, row_id) == claim_sums(row_id) == (5, 0)
    order = in_tx(orders.checkout, hold_id=hold_a.id, user_id=a, attendees=None, now=T0)
    assert counters(EventSession, s["day"]) == claim_sums(s["day"]) == (2, 3)
    in_tx(orders.confirm_order, order_id=order.id, now=T0)
    in_tx(holds.release_hold, hold_id=hold_b.id, user_id=b, now=T0)
    day = load(EventSession, s["day"])
    assert (day.sold, day.claimed_held, day.claimed_pending) == (3, 0, 0)
    assert counters(TicketType, s["type"]) == (0, 0) and load(TicketType, s["type"]).sold == 3


@pytest.fixture
def exact_holds(monkeypatch):
    """The outcomes of holds._hold_exactly (the locked recount) in this test, in order."""
    return record_outcomes(monkeypatch, holds, "_hold_exactly", lambda hold: "granted")


def exact_refusal(**hold_args) -> ServiceError:
    """What the exact path alone answers for the same basket, in a transaction rolled back."""
    with pytest.raises(ServiceError) as refused, session_scope() as db:
        holds._hold_exactly(db=db, seat_ids=(), reclaim=True, **hold_args)
    return refused.value


@pytest.mark.parametrize("quota, asked, code, extra", [
    (None, 2, "insufficient_capacity", lambda s: {"session_id": s["day"], "available": 1}),
    (3, 1, "quota_reached", lambda s: {"ticket_type_id": s["type"], "available": 0}),
])
def test_the_counters_refuse_when_full_finally_without_the_exact_path(takes, exact_holds, quota, asked, code,
                                                                      extra):
    """No room, and no expired claim on the short counters: the refusal is final and the same as
    the exact path's (code, words, details), and no lock is taken by a recount."""
    s = shop(capacity=4, quota=quota)
    a, b = s["buyers"][:2]
    in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=a, items=[(s["type"], 3)], now=T0)
    basket = {"event_id": s["event_id"], "user_id": b, "now": T0}
    err = error_of(holds.hold_tickets, items=[(s["type"], asked)], **basket)
    assert takes == ["granted", "full"] and exact_holds == []
    assert err.code == code and err.extra == extra(s)
    exact = exact_refusal(quantities={s["type"]: asked}, **basket)
    assert (err.code, err.message, err.extra) == (exact.code, exact.message, exact.extra)


def test_a_buyer_with_an_active_hold_is_refused_by_the_exact_path_which_knows_why(takes, exact_holds):
    """Full, but the buyer holds places already: only the exact path may give their hold back or
    say it is in the way, so the counters' refusal is not final."""
    s = shop(capacity=3)
    a = s["buyers"][0]
    in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=a, items=[(s["type"], 3)], now=T0)
    err = error_of(holds.hold_tickets, event_id=s["event_id"], user_id=a, items=[(s["type"], 1)], now=T0)
    assert takes == ["granted", "short"] and err.code == "active_hold_exists"


def test_expired_claims_weigh_on_the_counters_until_the_exact_path_reclaims_them(takes):
    """Capacity 2, held twice by A, expired: B's hold is refused by the counters, granted by the
    exact recount, which deletes the expired claims so the counters are exact again."""
    s = shop(capacity=2)
    a, b, c = s["buyers"]
    in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=a, items=[(s["type"], 2)], now=T0)
    later = T0 + timedelta(minutes=16)
    in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=b, items=[(s["type"], 1)], now=later)
    assert takes == ["granted", "short"]  # not final: the counter counts an expired claim
    assert counters(EventSession, s["day"]) == claim_sums(s["day"]) == (1, 0)  # A's expired claim is gone
    in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=c, items=[(s["type"], 1)], now=later)
    assert takes[-1] == "granted"  # back on the counters
    err = error_of(holds.hold_tickets, event_id=s["event_id"], user_id=a, items=[(s["type"], 1)], now=later)
    assert err.code == "insufficient_capacity"


def test_catalog_changes_move_the_ticket_types_revision():
    s = shop()
    with session_scope() as db:
        other_id = make_session(db, event=db.get(Event, s["event_id"]), name="Other", capacity=5).id
    revisions = [load(TicketType, s["type"]).revision]

    def edit(**changes):
        in_tx(catalog.update_ticket_type, user_id=s["owner"], event_id=s["event_id"], ticket_type_id=s["type"],
              now=T0, **changes)
        revisions.append(load(TicketType, s["type"]).revision)

    edit(price="25.00")
    edit(is_active=False)
    edit(session_ids=[s["day"], other_id])
    edit(description="Only words")  # not something a sale is decided on
    assert revisions[1] > revisions[0] and revisions[2] > revisions[1] and revisions[3] > revisions[2]
    assert revisions[4] == revisions[3]
    # Claims written by sales move the counters, never the revision.
    edit(is_active=True)
    in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=s["buyers"][0], items=[(s["type"], 1)], now=T0)
    assert load(TicketType, s["type"]).revision == revisions[-1]


@pytest.mark.parametrize("change, expect", [
    ({"is_active": False}, "not_on_sale"),
    ({"price": "35.00"}, 3500),
])
def test_a_ticket_type_edited_between_the_read_and_the_locks_is_decided_on_the_edit(monkeypatch, takes, change,
                                                                                      expect):
    """The organizer's edit commits after the hold read the ticket type and before it locked
    it: the hold sees the revision moved and decides on the edited row (the exact path)."""
    s = shop()
    original = hold_store.read_basket

    def read_then_edit(*args, **kwargs):
        basket = original(*args, **kwargs)
        in_tx(catalog.update_ticket_type, user_id=s["owner"], event_id=s["event_id"], ticket_type_id=s["type"],
              now=T0, **change)
        return basket

    monkeypatch.setattr(hold_store, "read_basket", read_then_edit)
    try:
        hold = in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=s["buyers"][0], items=[(s["type"], 1)],
                     now=T0)
        outcome = hold.total_minor
    except ServiceError as exc:
        outcome = exc.code
    assert takes == ["changed"] and outcome == expect


def test_a_remembered_basket_is_checked_under_the_locks(monkeypatch, takes):
    """The second buyer of the same basket skips the read; an edit of the ticket type, of the
    event's settings or of a session's rules made since is caught under the locks, and the hold
    is decided on the edited rows."""
    s = shop(buyers=7)
    reads = []
    original = hold_store.read_basket
    monkeypatch.setattr(hold_store, "read_basket", lambda *a, **k: reads.append(1) or original(*a, **k))
    a, b, c, d, e, f, g = s["buyers"]

    def hold(user):
        return in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=user, items=[(s["type"], 1)], now=T0)

    hold(a)
    hold(b)
    assert len(reads) == 1 and takes == ["granted", "granted"]
    in_tx(catalog.update_ticket_type, user_id=s["owner"], event_id=s["event_id"], ticket_type_id=s["type"], now=T0,
          price="40.00")
    assert hold(c).total_minor == 4000 and takes[-1] == "changed"
    hold(d)  # read afresh, then remembered again
    assert len(reads) == 2 and takes[-1] == "granted"
    in_tx(catalog.update_event, user_id=s["owner"], event_id=s["event_id"], now=T0, hold_minutes=5)
    assert hold(e).expires_at == T0 + timedelta(minutes=5) and takes[-1] == "changed"
    hold(f)
    with session_scope() as db:
        first = make_session(db, event=db.get(Event, s["event_id"]), name="Intro", capacity=5,
                             starts_at=T0 + timedelta(days=1))
        db.add(SessionPrerequisite(session_id=s["day"], prerequisite_session_id=first.id))
    err = error_of(holds.hold_tickets, event_id=s["event_id"], user_id=g, items=[(s["type"], 1)], now=T0)
    assert err.code == "prerequisite_missing" and takes[-1] == "changed"


def test_a_buyer_racing_themselves_on_the_counters_gets_one_hold_from_the_unique_index(monkeypatch):
    """Both requests decide before either inserted its hold: the partial unique index refuses
    the second, which then answers active_hold_exists on the exact path."""
    s = shop()
    buyer = s["buyers"][0]
    original = hold_store.read_basket
    both_read = threading.Barrier(2)

    def read_together(*args, **kwargs):
        basket = original(*args, **kwargs)
        both_read.wait(timeout=10)
        return basket

    monkeypatch.setattr(hold_store, "read_basket", read_together)
    results: list[str] = []

    def attempt():
        try:
            in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=buyer, items=[(s["type"], 1)], now=T0)
            results.append("won")
        except ServiceError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["active_hold_exists", "won"]
    assert counters(EventSession, s["day"]) == (1, 0)


def test_control_without_the_counters_locks_the_race_oversells(monkeypatch):
    """Known to bite: the counters' statement without its row locks (and with a pause between
    its check and its inserts) sells the last place many times."""
    unlocked = hold_store._TAKE.replace("FOR NO KEY UPDATE", "").replace(
        "SELECT count(*) = %(wanted)s", "SELECT pg_sleep(0.05) IS NOT NULL AND count(*) = %(wanted)s")
    assert unlocked != hold_store._TAKE
    monkeypatch.setattr(hold_store, "_TAKE", unlocked)
    data = build_race(capacity=1, already_sold=0, buyers=30)
    winners, _ = race(data, full_flow=False)
    capacity, used = hot_usage(data)
    assert len(winners) > 1 and used.taken > capacity


def test_sqlite_triggers_keep_the_counters_too(tmp_path):
    """The embedded default never uses the counters to sell, but they must not lie there."""
    url = f"sqlite:///{tmp_path / 'counters.db'}"
    migrate(url)
    try:
        s = shop(url, quota=5)
        a, b = s["buyers"][:2]
        hold_a = in_tx(holds.hold_tickets, url=url, event_id=s["event_id"], user_id=a, items=[(s["type"], 2)], now=T0)
        in_tx(holds.hold_tickets, url=url, event_id=s["event_id"], user_id=b, items=[(s["type"], 1)], now=T0)
        in_tx(orders.checkout, url=url, hold_id=hold_a.id, user_id=a, attendees=None, now=T0)
        for row_id, model in ((s["day"], EventSession), (s["type"], TicketType)):
            assert counters(model, row_id, url) == claim_sums(row_id, url) == (1, 2)
        revision = load(TicketType, s["type"], url).revision
        in_tx(catalog.update_ticket_type, url=url, user_id=s["owner"], event_id=s["event_id"],
              ticket_type_id=s["type"], now=T0, price="30.00")
        assert load(TicketType, s["type"], url).revision > revision
    finally:
        get_engine(url).dispose()


def test_a_claim_moving_on_its_row_updates_that_row_once(monkeypatch):
    """A checkout moves claims from held to pending: one new version of the session's and the
    quota's row each, not two (every version of the hottest row is waited on by every buyer);
    a new deadline alone writes none; a claim moved to another session still counts right."""
    s = shop(quota=8)
    a = s["buyers"][0]
    hold = in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=a, items=[(s["type"], 3)], now=T0)
    with session_scope() as db:
        other = make_session(db, event=db.get(Event, s["event_id"]), name="Other", capacity=10).id

    def versions_written(sql: str, **params) -> dict[str, int]:
        # The backend's pending statistics may still hold earlier transactions' counts: the
        # statement's own are the difference.
        written = "SELECT relname, n_tup_upd FROM pg_stat_xact_user_tables WHERE relname IN ('sessions', 'ticket_types')"
        with session_scope() as db:
            raw = pg_driver(db)
            before = dict(raw.execute(written).fetchall())
            raw.execute(sql, {"hold_id": hold.id, **params})
            after = dict(raw.execute(written).fetchall())
        return {name: after[name] - before[name] for name in after}

    assert versions_written("UPDATE place_claims SET expires_at = expires_at + interval '1 minute'"
                            " WHERE hold_id = %(hold_id)s") == {"sessions": 0, "ticket_types": 0}
    order_id = uuid.uuid4()
    with session_scope() as db:  # an order row for the claims to point at, as a checkout has
        db.add(Order(id=order_id, number="ORD-20300301-9999", event_id=s["event_id"], user_id=a, status="pending",
                     currency="EUR", total_minor=0, payment_due_at=T0, created_at=T0))
    assert versions_written("UPDATE place_claims SET hold_id = NULL, order_id = %(order_id)s"
                            " WHERE hold_id = %(hold_id)s", order_id=order_id) == {"sessions": 1, "ticket_types": 1}
    for row_id, model in ((s["day"], EventSession), (s["type"], TicketType)):
        assert counters(model, row_id) == claim_sums(row_id) == (0, 3)

    with session_scope() as db:
        pg_driver(db).execute("UPDATE place_claims SET session_id = %s WHERE session_id = %s", (other, s["day"]))
    assert counters(EventSession, s["day"]) == claim_sums(s["day"]) == (0, 0)
    assert counters(EventSession, other) == claim_sums(other) == (0, 3)


def test_place_hold_commits_a_hold_on_the_counters_by_itself_and_publishes_its_figures(bus, takes):
    """The API's way without an Idempotency-Key: one statement in autocommit, then the delta."""
    s = shop(quota=6)
    a, b = s["buyers"][:2]
    hold, lines = holds.place_hold(event_id=s["event_id"], user_id=a, items=[(s["type"], 2)], now=T0)
    assert takes == ["granted"] and [(x.ticket_type_id, x.quantity, x.unit_price_minor) for x in lines] == [
        (s["type"], 2, 2000)]
    assert load(Hold, hold.id).status == "active" and counters(EventSession, s["day"]) == claim_sums(s["day"]) == (2, 0)
    (delta,) = [m for m in bus.messages if m["type"] == "delta"]
    assert delta["sessions"] == {str(s["day"]): [0, 0, 2]} and delta["quotas"] == {str(s["type"]): [0, 0, 2]}
    # Refused by the counters, finally: the statement's answer, no transaction after it.
    with pytest.raises(ServiceError) as refused:
        holds.place_hold(event_id=s["event_id"], user_id=b, items=[(s["type"], 5)], now=T0)
    err = refused.value
    assert takes[-1] == "full" and err.code == "quota_reached" and err.extra["available"] == 4
    with pytest.raises(ServiceError) as refused:
        holds.place_hold(event_id=s["event_id"], user_id=a, items=[(s["type"], 1)], now=T0)
    err = refused.value
    assert takes[-1] == "conflict" and err.code == "active_hold_exists"
    assert len([m for m in bus.messages if m["type"] == "delta"]) == 1  # refusals publish nothing


def test_a_refused_hold_in_autocommit_gives_its_connection_back_in_one_piece(monkeypatch):
    """A rule refusal inside the autocommit scope returns the pooled connection as it found it:
    open (not thrown away, which would mean a reconnect per refusal in a sell-out) and out of
    autocommit (so the next transaction on it still rolls back)."""
    s = shop()
    used = []
    original = hold_store.basket
    monkeypatch.setattr(hold_store, "basket", lambda raw, **kw: used.append(raw) or original(raw, **kw))
    with pytest.raises(ServiceError) as refused:  # 11 > the event's 10 tickets per order
        holds.place_hold(event_id=s["event_id"], user_id=s["buyers"][0], items=[(s["type"], 11)], now=T0)
    assert refused.value.code == "max_per_order_exceeded"
    (raw,) = used
    assert not raw.closed and not raw.broken and not raw.autocommit


def test_only_a_hold_that_is_its_own_transaction_commits_asynchronously(monkeypatch):
    """place_hold's statement commits without waiting for the WAL flush (a hold lost to a crash
    of the database costs no money); a hold taken inside a caller's transaction, which may go on
    to write an order, leaves that transaction's durability alone. Neither leaks the setting
    into the pooled connection."""
    s = shop()
    a, b = s["buyers"][:2]
    modes = []
    original = hold_store.take

    def in_explicit_transaction(raw, **kw):
        # Run place_hold's statement inside a transaction to read the mode it set for its commit.
        own = raw.autocommit
        raw.autocommit = False
        taken = original(raw, **kw)
        modes.append((kw["asynchronous"], raw.execute("SHOW synchronous_commit").fetchone()[0]))
        raw.commit()
        raw.autocommit = own
        return taken

    monkeypatch.setattr(hold_store, "take", in_explicit_transaction)
    holds.place_hold(event_id=s["event_id"], user_id=a, items=[(s["type"], 1)], now=T0)
    with session_scope() as db:
        holds.hold_tickets(db=db, event_id=s["event_id"], user_id=b, items=[(s["type"], 1)], now=T0)
    assert modes == [(True, "off"), (False, "on")]
    with get_engine().connect() as conn:
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
    assert counters(EventSession, s["day"]) == claim_sums(s["day"]) == (2, 0)


@pytest.mark.parametrize("quota, left, words", [
    (None, 0, "'Day' has no places left."), (None, 1, "'Day' has only 1 place left."),
    (None, 2, "'Day' has only 2 places left."),
    (3, 0, "No more 'Pass' tickets can be sold."), (3, 1, "Only 1 more 'Pass' ticket can be sold."),
])
def test_a_refusal_for_lack_of_room_counts_it_in_words(quota, left, words):
    """What the API's `detail` and the event page say: no "place(s)"."""
    s = shop(capacity=3, quota=quota)
    in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=s["buyers"][0], items=[(s["type"], 3 - left)], now=T0)
    err = error_of(holds.hold_tickets, event_id=s["event_id"], user_id=s["buyers"][1], items=[(s["type"], 3)], now=T0)
    assert (err.message, err.extra["available"]) == (words, left)
