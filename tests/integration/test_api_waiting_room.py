"""The waiting room over HTTP: the organizer switches it on, holds without an admission are
refused, a customer joins, is let in by the pacer, and holds with the admission token; forged,
another event's and expired tokens are refused with their codes (documented in the OpenAPI)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.api_client import Api
from tests.builders import make_buyers, make_event, make_session, make_ticket_type
from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.models import User, WaitingRoom
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token
from ticketing.services.waiting_room import pacing, rooms
from ticketing.services.waiting_room.admission_tokens import issue_admission

ROOM = "/events/{}/waiting-room"


def person(db, name="Buyer") -> dict:
    user = make_buyers(db, 1, name=name)[0]
    return {"id": user.id, "token": issue_token(user_id=user.id, token_version=user.token_version, now=utcnow())}


@pytest.fixture
def gig():
    with session_scope() as db:
        owner = person(db, "Owner")
        org = make_org(db, owner=db.get(User, owner["id"]))
        events = []
        for title in ("Big Gig", "Other Gig"):
            event = make_event(db, org=org, title=title)
            night = make_session(db, event=event, name="Night", capacity=50, starts_at=utcnow() + timedelta(days=9))
            standing = make_ticket_type(db, event=event, name="Standing", sessions=[night], price_minor=0)
            events.append((event.id, standing.id))
        return {"owner": owner, "buyers": [person(db) for _ in range(3)], "event": events[0][0],
                "type": events[0][1], "other": events[1][0]}


def hold(api, gig, who, **headers):
    return api.post(f"/events/{gig['event']}/holds", token=who["token"], headers=headers,
                    json={"items": [{"ticket_type_id": str(gig["type"]), "quantity": 1}]})


def test_a_customer_queues_is_let_in_and_holds_with_the_admission(api: Api, gig):
    owner, (ada, bob, cy) = gig["owner"], gig["buyers"]
    room = ROOM.format(gig["event"])
    assert api.patch(room, token=ada["token"], json={"enabled": True}).json()["code"] == "not_found"
    r = api.patch(room, token=owner["token"], json={"enabled": True, "rate_per_minute": 60})
    assert r.status_code == 200, r.text
    assert r.json()["enabled"] and r.json()["rate_per_minute"] == 60
    assert api.patch(room, token=owner["token"], json={"rate_per_minute": 0}).json()["code"] == "invalid_rate"

    refused = hold(api, gig, ada)
    assert (refused.status_code, refused.json()["code"]) == (403, "admission_required")
    first = api.post(room + "/join", token=ada["token"]).json()
    assert (first["state"], first["position"]) == ("waiting", 1)
    assert api.post(room + "/join", token=bob["token"]).json()["position"] == 2
    assert api.post(room + "/join", token=ada["token"]).json()["position"] == 1  # one place per account
    assert api.get(room, token=owner["token"]).json()["waiting"] == 2

    with session_scope(readonly=True) as db:
        clock = db.get(WaitingRoom, gig["event"]).paced_at
    pacing.tick(now=clock + timedelta(seconds=1.5))  # one a second at 60 a minute
    mine = api.get(room + "/me", token=ada["token"]).json()
    assert mine["state"] == "admitted" and mine["admission_token"]
    assert api.get(room + "/me", token=bob["token"]).json()["position"] == 1

    token = mine["admission_token"]
    assert hold(api, gig, bob, **{"Admission-Token": token}).json()["code"] == "admission_invalid"  # not Bob's
    forged = token[:-3] + ("abc" if token[-3:] != "abc" else "xyz")
    assert hold(api, gig, ada, **{"Admission-Token": forged}).json()["code"] == "admission_invalid"
    elsewhere = issue_admission(event_id=gig["other"], user_id=ada["id"], expires_at=utcnow() + timedelta(minutes=5),
                                now=utcnow())
    assert hold(api, gig, ada, **{"Admission-Token": elsewhere}).json()["code"] == "admission_wrong_event"
    stale = issue_admission(event_id=gig["event"], user_id=ada["id"], expires_at=utcnow() - timedelta(seconds=1),
                            now=utcnow() - timedelta(minutes=10))
    assert hold(api, gig, ada, **{"Admission-Token": stale}).json()["code"] == "admission_expired"
    ok = hold(api, gig, ada, **{"Admission-Token": token})
    assert ok.status_code == 201, ok.text

    # Cy gives up; switched off, the room lets everyone buy without a token.
    api.post(room + "/join", token=cy["token"])
    assert api.delete(room + "/me", token=cy["token"]).status_code == 204
    assert api.get(room + "/me", token=cy["token"]).json()["state"] == "absent"
    assert api.patch(room, token=owner["token"], json={"enabled": False}).json()["waiting"] == 0
    assert hold(api, gig, cy).status_code == 201
    assert api.post(room + "/join", token=bob["token"]).json()["state"] == "open"


def test_the_admission_problems_are_in_the_openapi(api: Api):
    doc = api.get("/openapi.json").json()
    responses = doc["paths"]["/api/v1/events/{event_id}/holds"]["post"]["responses"]
    text = str(responses["403"])
    for code in ("admission_required", "admission_invalid", "admission_wrong_event", "admission_expired"):
        assert code in text
    assert "invalid_rate" in str(doc["paths"]["/api/v1/events/{event_id}/waiting-room"]["patch"]["responses"])


def test_an_unknown_event_has_no_queue(api: Api, gig):
    who = gig["buyers"][0]
    assert api.post(ROOM.format(uuid.uuid4()) + "/join", token=who["token"]).status_code == 404


def test_the_answer_says_when_to_ask_again_by_the_turn_not_the_opening(api: Api, gig):
    owner, (ada, bob, cy) = gig["owner"], gig["buyers"]
    room = ROOM.format(gig["event"])
    opens = utcnow() + timedelta(minutes=10)
    assert api.patch(room, token=owner["token"], json={"enabled": True, "rate_per_minute": 1,
                                                       "opens_at": opens.isoformat()}).status_code == 200
    for who in (ada, bob, cy):  # before the opening: random places 1-3, one a minute after it
        api.post(room + "/join", token=who["token"])
    answers = sorted((api.get(room + "/me", token=who["token"]).json() for who in (ada, bob, cy)),
                     key=lambda a: a["position"])
    assert [a["position"] for a in answers] == [1, 2, 3]
    for a in answers:
        assert 590 <= a["opens_in_seconds"] <= 600
        assert a["wait_seconds"] - a["opens_in_seconds"] in (a["position"] * 60 - 1, a["position"] * 60)
    # A quarter of the wait for the turn (the ten minutes to the opening do not count), 3-30 s.
    assert [a["ask_again_seconds"] for a in answers] == [15, 30, 30]
    assert [a["ask_again_seconds"] for a in answers] == [rooms.ask_again_seconds(a["position"] * 60) for a in answers]

    doc = api.get("/openapi.json").json()
    fields = doc["components"]["schemas"]["QueueStatus"]["properties"]
    assert {"ask_again_seconds", "opens_in_seconds"} <= set(fields)
    assert "ask_again_seconds" in doc["paths"]["/api/v1/events/{event_id}/waiting-room/me"]["get"]["description"]
