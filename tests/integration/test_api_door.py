"""Door API: POST /events/{id}/checkins, GET .../checkins/stats, GET .../door-list (contract shapes,
every red code, nonce replay, auth and tenant isolation)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from tests.builders import in_tx
from tests.checkin_helpers import LiveEvent, buy_live, cancel, make_live_event, token_for
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token
from ticketing.services.sales import ticket_holders

PROBLEM = "application/problem+json"


@pytest.fixture
def live() -> LiveEvent:
    return make_live_event()


def checkin(api, live: LiveEvent, token: str | None = None, **body):
    return api.post(f"/events/{live.event_id}/checkins", token=token or token_for(live.steward), json=body)


def test_admitted_answer_has_the_contract_shape(api, live):
    (t,) = buy_live(live, live.today_only, ["Ada Lovelace"])
    r = checkin(api, live, code=t.code, gate="North door")
    assert r.status_code == 201, r.text
    body = r.json()
    assert {k: body[k] for k in ("result", "ticket_id", "holder_name", "ticket_type", "session_id", "seat")} == {
        "result": "admitted", "ticket_id": str(t.id), "holder_name": "Ada Lovelace", "ticket_type": "Friday ticket",
        "session_id": str(live.today), "seat": None,
    }
    assert body["gate"] == "North door" and body["session_name"] == "Friday night"
    assert abs(datetime.fromisoformat(body["checked_in_at"]) - utcnow()) < timedelta(seconds=30)


def test_already_checked_in_is_a_409_problem_with_the_first_time_and_gate(api, live):
    (t,) = buy_live(live, live.today_only, ["Ada"])
    first = checkin(api, live, code=t.code, gate="North door").json()
    r = checkin(api, live, code=t.code, gate="South door")
    assert r.status_code == 409 and r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert (body["code"], body["status"], body["gate"]) == ("already_checked_in", 409, "North door")
    assert body["checked_in_at"] == first["checked_in_at"] and body["holder_name"] == "Ada"
    assert body["detail"].startswith("Already checked in at ")


def test_every_red_code_over_the_api(api, live):
    (unpaid,) = buy_live(live, live.today_only, ["Unpaid"], pay=False)
    (gone,) = buy_live(live, live.today_only, ["Gone"])
    cancel(gone.order_id, live.owner, now=utcnow(), by_organizer=True)  # past the buyer's deadline
    (given,) = buy_live(live, live.today_only, ["Given"])
    in_tx(ticket_holders.transfer_ticket, ticket_id=given.id, user_id=live.buyer, name="Friend", email="f@example.com",
          now=utcnow())
    (tomorrow_only,) = buy_live(live, live.both_days, ["Pass"])
    other = make_live_event(title="Other night")
    (foreign,) = buy_live(other, other.today_only, ["Foreign"])
    cases = [
        ({"code": "not-a-code"}, 404, "unknown_code"),
        ({"code": foreign.code}, 422, "wrong_event"),
        ({"code": tomorrow_only.code, "session_id": str(uuid.UUID(int=0))}, 404, "not_found"),
        ({"code": unpaid.code}, 422, "not_paid"),
        ({"code": gone.code}, 422, "cancelled"),
        ({"code": given.code}, 422, "revoked"),
    ]
    for body, status, code in cases:
        r = checkin(api, live, **body)
        assert (r.status_code, r.json()["code"]) == (status, code), (body, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
    # wrong_session: a Friday ticket at the Saturday session.
    (friday,) = buy_live(live, live.today_only, ["Friday"])
    r = checkin(api, live, code=friday.code, session_id=str(live.tomorrow))
    assert (r.status_code, r.json()["code"]) == (422, "wrong_session")
    assert r.json()["valid_session_ids"] == [str(live.today)]


def test_the_same_nonce_gets_the_first_answer(api, live):
    (t,) = buy_live(live, live.today_only, ["Ada"])
    first = checkin(api, live, code=t.code, nonce="scan-1")
    again = checkin(api, live, code=t.code, nonce="scan-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    red = checkin(api, live, code="junk", nonce="scan-2")
    assert checkin(api, live, code="junk", nonce="scan-2").json() == red.json()


def test_a_pass_is_admitted_to_today_by_default_and_to_tomorrow_when_chosen(api, live):
    (p,) = buy_live(live, live.both_days, ["Pass"])
    assert checkin(api, live, code=p.code).json()["session_id"] == str(live.today)
    assert checkin(api, live, code=p.code, session_id=str(live.tomorrow)).status_code == 201
    assert checkin(api, live, code=p.code, session_id=str(live.tomorrow)).status_code == 409


def test_search_admission_and_offline_sync_fields(api, live):
    a, b = buy_live(live, live.today_only, ["A", "B"])
    assert checkin(api, live, ticket_id=str(a.id)).status_code == 201
    earlier = (utcnow() - timedelta(minutes=5)).isoformat()
    r = checkin(api, live, code=b.code, scanned_at=earlier, nonce="offline-1", gate="Side")
    assert r.status_code == 201 and r.json()["checked_in_at"] == datetime.fromisoformat(earlier).isoformat()
    naive = checkin(api, live, code=b.code, scanned_at="2030-01-01T10:00:00")
    assert (naive.status_code, naive.json()["code"]) == (422, "invalid_scanned_at")


def test_bad_bodies(api, live):
    (t,) = buy_live(live, live.today_only, ["Ada"])
    for body, code in [
        ({"code": t.code, "colour": "red"}, "unknown_field"),
        ({}, "invalid_input"),
        ({"code": t.code, "ticket_id": str(t.id)}, "invalid_input"),
        ({"code": 12345}, "validation_error"),
        ({"code": t.code, "scanned_at": 1700000000}, "validation_error"),
        ({"code": t.code, "nonce": ""}, "invalid_nonce"),
    ]:
        r = checkin(api, live, **body)
        assert (r.status_code, r.json()["code"]) == (422, code), (body, r.text)
    r = api.post(f"/events/{live.event_id}/checkins", token=token_for(live.steward), content=b"{nope",
                 headers={"content-type": "application/json"})
    assert (r.status_code, r.json()["code"]) == (400, "malformed_json")


def test_only_staff_of_the_organization_get_in(api, live):
    (t,) = buy_live(live, live.today_only, ["Ada"])
    r = api.post(f"/events/{live.event_id}/checkins", json={"code": t.code})
    assert r.status_code == 401
    for user in (live.buyer, make_live_event(title="Elsewhere").steward):
        for method, path in [("POST", "/checkins"), ("GET", "/checkins/stats"), ("GET", "/door-list")]:
            r = api.request(method, f"/events/{live.event_id}{path}", token=token_for(user),
                            json={"code": t.code} if method == "POST" else None)
            assert (r.status_code, r.json()["code"]) == (404, "not_found"), (path, r.text)
    assert checkin(api, live, token=token_for(live.owner), code=t.code).status_code == 201


def test_a_void_token_is_refused_before_anything_else(api, live):
    """The scan checks the token's version in its own first read (no transaction of its own):
    a token signed out everywhere is 401, whatever else is wrong with the request."""
    from ticketing.services.accounts import accounts

    (t,) = buy_live(live, live.today_only, ["Ada"])
    old = token_for(live.steward)
    in_tx(accounts.sign_out_everywhere, user_id=live.steward)
    for path, body in [(live.event_id, {"code": t.code}), (uuid.uuid4(), {"code": t.code}),
                       (live.event_id, {"code": t.code, "nonce": ""}), (live.event_id, {})]:
        r = api.post(f"/events/{path}/checkins", token=old, json=body)
        assert (r.status_code, r.json()["code"]) == (401, "invalid_token"), (body, r.text)
    r = api.post(f"/events/{live.event_id}/checkins", token=token_for(uuid.uuid4()), json={"code": t.code})
    assert (r.status_code, r.json()["code"]) == (401, "invalid_token")  # no such user
    fresh = issue_token(user_id=live.steward, token_version=2, now=utcnow())
    assert api.post(f"/events/{live.event_id}/checkins", token=fresh, json={"code": t.code}).status_code == 201


def test_stats_count_admitted_and_expected_per_session(api, live):
    tickets = buy_live(live, live.both_days, ["A", "B", "C"])
    buy_live(live, live.today_only, ["D"])
    buy_live(live, live.today_only, ["Unpaid"], pay=False)
    for t in tickets[:2]:
        checkin(api, live, code=t.code)
    r = api.get(f"/events/{live.event_id}/checkins/stats", token=token_for(live.steward))
    assert r.status_code == 200
    rows = [{k: s[k] for k in ("session_id", "admitted", "expected")} for s in r.json()]
    assert rows == [
        {"session_id": str(live.today), "admitted": 2, "expected": 4},
        {"session_id": str(live.tomorrow), "admitted": 0, "expected": 3},
    ]


def test_the_door_list_holds_every_ticket_and_the_default_session(api, live):
    buy_live(live, live.today_only, [f"Guest {i}" for i in range(40)])
    r = api.get(f"/events/{live.event_id}/door-list", token=token_for(live.steward))
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    body = r.json()
    assert len(body["tickets"]) == 40 and body["default_session_id"] == str(live.today)
    assert {s["name"] for s in body["sessions"]} == {"Friday night", "Saturday night"}


def test_a_typed_short_code_admits_its_ticket_and_an_old_one_is_unknown_after_a_transfer(api, live):
    from ticketing.db import session_scope
    from ticketing.models import Ticket
    from ticketing.services.door.short_codes import ALPHABET, display

    (t,) = buy_live(live, live.today_only, ["Ada"])
    (kept,) = buy_live(live, live.today_only, ["Bea"])
    assert len(t.short_code) == 10 and set(t.short_code) <= set(ALPHABET)
    # As a person types it from under the QR: lower case, a space instead of the dash.
    typed = display(t.short_code).lower().replace("-", " ")
    r = checkin(api, live, code=typed, gate="North door")
    assert r.status_code == 201, r.text
    assert r.json()["ticket_id"] == str(t.id)

    old = kept.short_code
    in_tx(ticket_holders.transfer_ticket, ticket_id=kept.id, user_id=live.buyer, name="Friend",
          email="friend@example.com", now=utcnow())
    with session_scope(readonly=True) as db:
        renewed = db.get(Ticket, kept.id).short_code
    assert renewed != old and len(renewed) == 10
    r = checkin(api, live, code=old)
    assert (r.status_code, r.json()["code"]) == (404, "unknown_code")
    assert checkin(api, live, code=renewed).status_code == 201
    # Another event's gate does not find it.
    other = make_live_event(title="Other night")
    r = api.post(f"/events/{other.event_id}/checkins", token=token_for(other.steward), json={"code": renewed})
    assert r.status_code == 404
