"""The venue and seat-map API over HTTP (in-process ASGI) on PostgreSQL: building a seated event
from scratch, the map downloads, holding seats through the buying API, tickets with seats,
best available, organizer actions, and tenant isolation."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.api_client import Api
from tests.builders import make_buyers, make_event, make_session, make_ticket_type
from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.models import User
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token

GENERATOR = {
    "name": "Riverside Theatre",
    "stage": {"x": 0, "y": 0, "label": "Stage"},
    "sections": [
        {"name": "Stalls", "rows": 5, "seats": 12, "y": 400, "aisles": [6], "numbering": "odd_even",
         "special": [{"type": "wheelchair", "rows": ["E"], "seats": ["11"]},
                     {"type": "companion", "rows": ["E"], "seats": ["9"]}]},
        {"name": "Circle", "rows": 3, "seats": [10, 12, 14], "shape": "curved", "radius": 1400,
         "row_labels": "numbers"},
    ],
}


def person(db, name="Buyer") -> dict:
    user = make_buyers(db, 1, name=name)[0]
    return {"id": str(user.id), "token": issue_token(user_id=user.id, token_version=user.token_version, now=utcnow())}


@pytest.fixture
def theatre():
    """A published event with one session and two ticket types; an owner, a buyer, a stranger."""
    with session_scope() as db:
        owner = person(db, "Owner")
        org = make_org(db, owner=db.get(User, uuid.UUID(owner["id"])))
        event = make_event(db, org=org, title="Hamlet", payment_minutes=30)
        show = make_session(db, event=event, name="Opening night", capacity=1,
                            starts_at=utcnow() + timedelta(days=20))
        stalls = make_ticket_type(db, event=event, name="Stalls", sessions=[show], price_minor=4500)
        circle = make_ticket_type(db, event=event, name="Circle", sessions=[show], price_minor=2500)
        stranger = person(db, "Stranger")
        make_org(db, owner=db.get(User, uuid.UUID(stranger["id"])))
        return {"org": str(org.id), "event": str(event.id), "session": str(show.id), "owner": owner,
                "buyer": person(db, "Buyer"), "stranger": stranger,
                "types": {"stalls": str(stalls.id), "circle": str(circle.id)}}


@pytest.fixture
def http(localstripe):  # checkouts create PaymentIntents: this test must not rely on another starting it
    return Api()


def seat_the_show(http, t) -> dict:
    owner = t["owner"]["token"]
    r = http.post(f"/orgs/{t['org']}/venues", token=owner, json={"generate": GENERATOR})
    assert r.status_code == 201, r.text
    venue = r.json()
    levels = {}
    for name, color in (("stalls", "#4f46e5"), ("circle", "#0d9488")):
        r = http.post(f"/events/{t['event']}/price-levels", token=owner,
                      json={"name": name.title(), "color": color, "ticket_type_id": t["types"][name]})
        assert r.status_code == 201, r.text
        levels[name] = r.json()["id"]
    r = http.post(f"/events/{t['event']}/sessions/{t['session']}/seating", token=owner,
                  json={"venue_id": venue["id"], "default_price_level_id": levels["stalls"],
                        "section_price_levels": {"Circle": levels["circle"]}})
    assert r.status_code == 201, r.text
    return {"venue": venue, "levels": levels, "seating": r.json()}


def test_build_a_seated_show_and_download_its_map(http, theatre):
    built = seat_the_show(http, theatre)
    assert built["venue"]["seat_count"] == 60 + 36
    assert built["seating"]["capacity"] == 96
    base = f"/events/{theatre['event']}/sessions/{theatre['session']}"
    r = http.get(base + "/seatmap", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    layout = r.json()  # the client undoes the gzip
    assert layout["count"] == 96 and layout["sections"] == ["Stalls", "Circle"]
    assert [lv["name"] for lv in layout["levels"]] == ["Circle", "Stalls"]
    assert sum(run[3] for run in layout["rows"]) == 96 and len(layout["rows"]) == 8
    assert layout["type"].count("w") == 1 and layout["type"].count("c") == 1
    again = http.get(base + "/seatmap", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    status = http.get(base + "/seats/status").json()
    assert status["statuses"] == "0" * 96 and isinstance(status["version"], int)
    # The availability of the session is the seats'.
    avail = http.get(f"/events/{theatre['event']}/availability").json()
    assert avail["sessions"][0]["capacity"] == 96 and avail["sessions"][0]["available"] == 96


def test_hold_seats_through_the_buying_api_and_tickets_carry_their_seats(http, theatre):
    seat_the_show(http, theatre)
    base = f"/events/{theatre['event']}/sessions/{theatre['session']}"
    seats = http.get(base + "/seats", params={"idx": [0, 1]}).json()
    assert [s["label"] for s in seats] == ["Stalls · Row A · Seat 11", "Stalls · Row A · Seat 9"]
    body = {"items": [{"ticket_type_id": theatre["types"]["stalls"], "quantity": 2}],
            "seat_ids": [s["id"] for s in seats]}
    buyer = theatre["buyer"]["token"]
    r = http.post(f"/events/{theatre['event']}/holds", token=buyer, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["total"] == "90.00"
    assert http.get(base + "/seats/status").json()["statuses"][:3] == "110"
    again = http.post(f"/events/{theatre['event']}/holds", token=theatre["stranger"]["token"], json=body)
    assert again.status_code == 409 and again.json()["code"] == "seat_unavailable"
    assert sorted(again.json()["seat_ids"]) == sorted(s["id"] for s in seats)
    order = http.post(f"/holds/{r.json()['id']}/checkout", token=buyer).json()
    got = http.get(f"/orders/{order['id']}", token=buyer).json()
    assert [(t["seat"]["section"], t["seat"]["row"], t["seat"]["number"]) for t in got["tickets"]] == [
        ("Stalls", "A", "11"), ("Stalls", "A", "9")]
    mismatch = http.post(f"/events/{theatre['event']}/holds", token=theatre["stranger"]["token"], json={
        "items": [{"ticket_type_id": theatre["types"]["circle"], "quantity": 1}], "seat_ids": [seats[0]["id"]]})
    assert mismatch.status_code == 409 and mismatch.json()["code"] == "seat_unavailable"


def test_best_available_and_wheelchair_pairing(http, theatre):
    built = seat_the_show(http, theatre)
    base = f"/events/{theatre['event']}/sessions/{theatre['session']}"
    r = http.post(base + "/seats/best", json={"count": 3, "price_level_ids": [built["levels"]["stalls"]]})
    assert r.status_code == 200, r.text
    best = r.json()
    assert best["step"] == "together" and {s["row"] for s in best["seats"]} == {"A"}
    r = http.post(base + "/seats/best", json={"count": 2, "wheelchair": 1})
    pair = r.json()["seats"]
    assert [(s["row"], s["number"], s["type"]) for s in pair] == [("E", "11", "wheelchair"), ("E", "9", "companion")]
    r = http.post(base + "/seats/best", json={"count": 30, "mode": "adjacent"})
    assert r.status_code == 409 and r.json()["code"] == "no_seats"
    r = http.post(base + "/seats/best", json={"count": 2, "mode": "sideways"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_mode"


def test_organizer_actions_and_seat_details(http, theatre):
    seat_the_show(http, theatre)
    base = f"/events/{theatre['event']}/sessions/{theatre['session']}"
    owner, buyer = theatre["owner"]["token"], theatre["buyer"]["token"]
    r = http.post(base + "/seats/actions", token=owner,
                  json={"action": "hold", "seats": [5, 6], "reason": "press", "note": "Critics"})
    assert r.status_code == 200 and r.json() == {"changed": 2}
    detail = http.get(base + "/seats/5", token=owner).json()
    assert (detail["status"], detail["reason"], detail["note"]) == ("organizer_hold", "press", "Critics")
    assert http.get(f"/events/{theatre['event']}/availability").json()["sessions"][0]["capacity"] == 94
    assert http.post(base + "/seats/actions", token=buyer, json={"action": "release", "seats": [5]}).status_code == 404
    assert http.get(base + "/seats/5", token=buyer).status_code == 404
    assert http.post(base + "/seats/actions", token=owner,
                     json={"action": "block", "seats": [7], "reason": "nope"}).json()["code"] == "invalid_reason"


def test_export_and_import_give_the_same_venue_and_other_organizations_see_nothing(http, theatre):
    built = seat_the_show(http, theatre)
    owner, stranger = theatre["owner"]["token"], theatre["stranger"]["token"]
    doc = http.get(f"/venues/{built['venue']['id']}/layout", token=owner)
    assert doc.status_code == 200 and "attachment" in doc.headers["content-disposition"]
    copy = http.post(f"/orgs/{theatre['org']}/venues", token=owner, json={"layout": doc.json()})
    assert copy.status_code == 201 and copy.json()["seat_count"] == 96
    exported_again = http.get(f"/venues/{copy.json()['id']}/layout", token=owner).json()
    assert exported_again["seats"] == doc.json()["seats"]
    assert http.get(f"/venues/{built['venue']['id']}", token=stranger).status_code == 404
    assert http.get(f"/venues/{built['venue']['id']}/layout", token=stranger).status_code == 404
    assert http.get(f"/orgs/{theatre['org']}/venues", token=stranger).status_code == 404
    # A venue in use keeps its seats.
    r = http.request("PUT", f"/venues/{built['venue']['id']}/layout", token=owner, json={"generate": GENERATOR})
    assert r.status_code == 409 and r.json()["code"] == "venue_in_use"
    bad = http.post(f"/orgs/{theatre['org']}/venues", token=owner, json={"generate": {"name": "X", "sections": []}})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_layout"


def test_a_draft_events_map_is_hidden_from_the_public(http, theatre):
    seat_the_show(http, theatre)
    with session_scope() as db:
        from ticketing.models import Event

        event = db.get(Event, uuid.UUID(theatre["event"]))
        event.status = "draft"
        db.add(event)
    base = f"/events/{theatre['event']}/sessions/{theatre['session']}"
    assert http.get(base + "/seatmap").status_code == 404
    assert http.get(base + "/seats/status").status_code == 404
    staff = http.get(base + "/seatmap", token=theatre["owner"]["token"])
    assert staff.status_code == 200 and staff.json()["count"] == 96
