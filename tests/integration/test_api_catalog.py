"""The catalog JSON API end to end over HTTP: shapes, money and time formats, every catalog
error code, problem+json for bad JSON, unknown fields, wrong types and missing auth."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from ticketing.db import session_scope
from ticketing.models import EventSession, PlaceClaim, TicketType

EVENT = {"title": "Pottery weekend", "description": "Two days at the wheel", "location": "Studio 4, Leipzig",
         "timezone": "Europe/Berlin"}


def soon(days: float, hours: float = 0) -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=days, hours=hours)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code and body["status"] == status and body["type"].endswith(code), body
    assert body["title"] and body["detail"]
    return body


@pytest.fixture
def owner(api):
    return api.register(name="Olga Owner")


@pytest.fixture
def org(api, owner):
    return api.org(owner["token"])


@pytest.fixture
def event(api, owner, org):
    r = api.post(f"/orgs/{org['id']}/events", token=owner["token"], json=EVENT)
    assert r.status_code == 201, r.text
    return r.json()


def new_session(api, token, event_id, *, name="Day 1", start=None, hours=3, capacity=10, **extra):
    start = start or soon(10)
    body = {"name": name, "starts_at": iso(start), "ends_at": iso(start + timedelta(hours=hours)),
            "capacity": capacity, **extra}
    return api.post(f"/events/{event_id}/sessions", token=token, json=body)


def new_type(api, token, event_id, session_ids, *, name="Standard", price="23.00", currency="EUR", **extra):
    body = {"name": name, "price": price, "currency": currency, "session_ids": session_ids, **extra}
    return api.post(f"/events/{event_id}/ticket-types", token=token, json=body)


def take_places(session_id: str, *, sold: int = 0, held: int = 0) -> None:
    """Confirmed places and live held places (claims on the session and the event's first
    ticket type), written as the sales services leave them."""
    with session_scope() as db:
        session = db.get(EventSession, uuid.UUID(session_id))
        session.sold += sold
        db.add(session)
        if held:
            type_id = db.exec(select(TicketType.id).where(TicketType.event_id == session.event_id)).first()
            assert type_id is not None
            expires = datetime.now(timezone.utc) + timedelta(minutes=15)
            db.add(PlaceClaim(event_id=session.event_id, session_id=session.id, quantity=held, expires_at=expires))
            db.add(PlaceClaim(event_id=session.event_id, ticket_type_id=type_id, quantity=held, expires_at=expires))


def test_organizer_builds_and_publishes_an_event_the_public_can_see(api, owner, org, event):
    token = owner["token"]
    assert event["status"] == "draft" and event["organization_id"] == org["id"]
    assert uuid.UUID(event["id"]) and event["sessions"] == [] and event["ticket_types"] == []
    assert event["timezone"] == "Europe/Berlin" and event["hold_minutes"] == 15 and event["max_tickets_per_order"] == 10
    assert datetime.fromisoformat(event["created_at"]).utcoffset() == timedelta(0)

    r = api.post(f"/events/{event['id']}/sessions", token=token, json={
        "name": "Saturday", "starts_at": "2031-06-07T10:00:00+02:00", "ends_at": "2031-06-07T17:30:00+02:00",
        "capacity": 12})
    assert r.status_code == 201, r.text
    saturday = r.json()
    assert saturday["starts_at"] == "2031-06-07T08:00:00+00:00" and saturday["ends_at"] == "2031-06-07T15:30:00+00:00"
    assert (saturday["capacity"], saturday["status"], saturday["prerequisite_session_ids"]) == (12, "scheduled", [])
    sunday = new_session(api, token, event["id"], name="Sunday", start=datetime(2031, 6, 8, 8, tzinfo=timezone.utc),
                         prerequisite_session_ids=[saturday["id"]]).json()
    assert sunday["prerequisite_session_ids"] == [saturday["id"]]

    r = new_type(api, token, event["id"], [sunday["id"], saturday["id"]], name="Weekend", price="45.5",
                 max_quantity=20, sale_ends_at="2031-06-06T22:00:00Z", max_per_order=4)
    assert r.status_code == 201, r.text
    weekend = r.json()
    assert (weekend["price"], weekend["currency"]) == ("45.50", "EUR")
    assert weekend["session_ids"] == [saturday["id"], sunday["id"]]  # by start, whatever the order sent
    assert (weekend["max_quantity"], weekend["max_per_order"], weekend["min_per_order"]) == (20, 4, 1)
    assert weekend["sale_ends_at"] == "2031-06-06T22:00:00+00:00" and weekend["sale_starts_at"] is None

    assert api.get(f"/events/{event['id']}").status_code == 404  # a draft is not public yet
    r = api.post(f"/events/{event['id']}/publish", token=token)
    assert r.status_code == 200 and r.json()["status"] == "published" and r.json()["version"] > event["version"]

    page = api.get(f"/events/{event['id']}").json()  # anonymous
    assert [s["name"] for s in page["sessions"]] == ["Saturday", "Sunday"]
    assert [(t["name"], t["price"]) for t in page["ticket_types"]] == [("Weekend", "45.50")]
    listed = api.get("/events").json()
    assert [(e["id"], e["price_from"], e["currency"]) for e in listed] == [(event["id"], "45.50", "EUR")]
    assert listed[0]["starts_at"] == "2031-06-07T08:00:00+00:00" and listed[0]["location"] == "Studio 4, Leipzig"
    assert api.get("/events", params={"search": "wheel leipzig"}).json()[0]["id"] == event["id"]
    assert api.get("/events", params={"search": "jazz"}).json() == []


@pytest.mark.parametrize(
    ("currency", "price", "shown"),
    [("EUR", "23", "23.00"), ("EUR", "0", "0.00"), ("usd", "19.9", "19.90"), ("JPY", "2300", "2300"),
     ("KWD", "1.5", "1.500")],
)
def test_money_is_a_decimal_string_in_major_units(api, owner, event, currency, price, shown):
    session = new_session(api, owner["token"], event["id"]).json()
    r = new_type(api, owner["token"], event["id"], [session["id"]], price=price, currency=currency)
    assert r.status_code == 201, r.text
    assert (r.json()["price"], r.json()["currency"]) == (shown, currency.upper())


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"price": "-5.00"}, 422, "negative_price"),
        ({"price": "1.234"}, 422, "invalid_price"),
        ({"price": "23.00", "currency": "JPY"}, 422, "invalid_price"),
        ({"price": "1e3"}, 422, "invalid_price"),
        ({"price": 23}, 422, "validation_error"),  # a JSON number is not a money string
        ({"currency": "EURO"}, 422, "invalid_currency"),
        ({"session_ids": []}, 422, "no_sessions"),
        ({"session_ids": None}, 422, "validation_error"),
        ({"session_ids": [str(uuid.uuid4())]}, 422, "foreign_session"),
        ({"session_ids": ["not-a-uuid"]}, 422, "validation_error"),
        ({"max_quantity": 0}, 422, "invalid_max_quantity"),
        ({"sale_starts_at": "2031-01-02T00:00:00Z", "sale_ends_at": "2031-01-01T00:00:00Z"}, 422,
         "invalid_sale_window"),
        ({"sale_starts_at": "2031-01-02T00:00:00"}, 422, "invalid_sale_window"),  # no offset
        ({"min_per_order": 3, "max_per_order": 2}, 422, "invalid_per_order_limits"),
    ],
)
def test_ticket_type_errors(api, owner, event, changes, status, code):
    session = new_session(api, owner["token"], event["id"]).json()
    body = {"name": "Standard", "price": "23.00", "currency": "EUR", "session_ids": [session["id"]], **changes}
    problem(api.post(f"/events/{event['id']}/ticket-types", token=owner["token"], json=body), status, code)
    assert api.get(f"/events/{event['id']}", token=owner["token"]).json()["ticket_types"] == []


def test_ticket_type_conflicts_and_updates(api, owner, event):
    token = owner["token"]
    day = new_session(api, token, event["id"], capacity=30).json()
    standard = new_type(api, token, event["id"], [day["id"]], max_quantity=10).json()
    problem(new_type(api, token, event["id"], [day["id"]]), 409, "duplicate_name")
    problem(new_type(api, token, event["id"], [day["id"]], name="Dollar", currency="USD"), 409, "currency_mismatch")

    path = f"/events/{event['id']}/ticket-types/{standard['id']}"
    r = api.patch(path, token=token, json={"price": "19.90", "is_active": False, "name": "Regular"})
    assert r.status_code == 200, r.text
    assert (r.json()["price"], r.json()["is_active"], r.json()["name"], r.json()["max_quantity"]) == (
        "19.90", False, "Regular", 10)
    take_places(day["id"], held=6)
    body = problem(api.patch(path, token=token, json={"max_quantity": 5}), 409, "quota_below_taken")
    assert body["taken"] == 6
    other_day = new_session(api, token, event["id"], name="D2").json()
    problem(api.patch(path, token=token, json={"session_ids": [other_day["id"]]}), 409, "ticket_type_has_sales")
    assert api.patch(path, token=token, json={"max_quantity": None}).json()["max_quantity"] is None  # null: no quota
    problem(api.patch(path, token=token, json={"price": None}), 422, "validation_error")  # price cannot be null
    problem(api.patch(path, token=token, json={"price": "-1"}), 422, "negative_price")
    problem(api.patch(f"/events/{event['id']}/ticket-types/{uuid.uuid4()}", token=token, json={"price": "1"}),
            404, "not_found")
    assert api.get(f"/events/{event['id']}", token=token).json()["ticket_types"][0]["price"] == "19.90"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"capacity": 0}, "invalid_capacity"),
        ({"capacity": -1}, "invalid_capacity"),
        ({"ends_at": "2031-06-07T10:00:00+00:00"}, "invalid_times"),  # == start
        ({"ends_at": "2031-06-07T09:00:00+00:00"}, "invalid_times"),  # before start
        ({"starts_at": "2031-06-07T10:00:00"}, "invalid_times"),  # naive
        ({"starts_at": 1_900_000_000}, "validation_error"),  # a number is not an ISO time
        ({"starts_at": "next tuesday"}, "validation_error"),
        ({"capacity": "10"}, "validation_error"),  # strict: no string -> int coercion
        ({"capacity": 10.5}, "validation_error"),
        ({"name": ""}, "invalid_name"),
        ({"prerequisite_session_ids": [str(uuid.uuid4())]}, "foreign_session"),
    ],
)
def test_session_validation_errors(api, owner, event, changes, code):
    body = {"name": "Day 1", "starts_at": "2031-06-07T10:00:00+00:00", "ends_at": "2031-06-07T12:00:00+00:00",
            "capacity": 10, **changes}
    problem(api.post(f"/events/{event['id']}/sessions", token=owner["token"], json=body), 422, code)
    assert api.get(f"/events/{event['id']}", token=owner["token"]).json()["sessions"] == []


def test_session_conflicts_updates_and_deletion(api, owner, event):
    token = owner["token"]
    day = new_session(api, token, event["id"], name="Day 1", capacity=10).json()
    new_session(api, token, event["id"], name="Day 2", start=soon(11))
    problem(new_session(api, token, event["id"], name="Day 1", start=soon(12)), 409, "duplicate_name")

    path = f"/events/{event['id']}/sessions/{day['id']}"
    r = api.patch(path, token=token, json={"capacity": 8, "name": "Opening"})
    assert r.status_code == 200 and (r.json()["capacity"], r.json()["name"]) == (8, "Opening")
    problem(api.patch(path, token=token, json={"name": "Day 2"}), 409, "duplicate_name")
    problem(api.patch(path, token=token, json={"ends_at": iso(soon(9))}), 422, "invalid_times")
    problem(api.patch(path, token=token, json={"capacity": None}), 422, "validation_error")
    problem(api.patch(path, token=token, json={"prerequisite_session_ids": [day["id"]]}), 422, "prerequisite_cycle")

    new_type(api, token, event["id"], [day["id"]])
    take_places(day["id"], sold=2, held=3)
    body = problem(api.patch(path, token=token, json={"capacity": 4}), 409, "capacity_below_taken")
    assert body["taken"] == 5
    assert api.patch(path, token=token, json={"capacity": 5}).json()["capacity"] == 5
    problem(api.delete(path, token=token), 409, "session_has_tickets")
    problem(api.delete(f"/events/{event['id']}/sessions/{uuid.uuid4()}", token=token), 404, "not_found")

    spare = new_session(api, token, event["id"], name="Spare", start=soon(20)).json()
    r = api.delete(f"/events/{event['id']}/sessions/{spare['id']}", token=token)
    assert r.status_code == 204 and r.content == b""
    names = [s["name"] for s in api.get(f"/events/{event['id']}", token=token).json()["sessions"]]
    assert names == ["Opening", "Day 2"]


def test_event_lifecycle_errors(api, owner, event):
    token = owner["token"]
    problem(api.post(f"/events/{event['id']}/publish", token=token), 409, "no_upcoming_sessions")
    day = new_session(api, token, event["id"]).json()
    new_type(api, token, event["id"], [day["id"]], is_active=False)
    problem(api.post(f"/events/{event['id']}/publish", token=token), 409, "no_active_ticket_types")

    r = api.patch(f"/events/{event['id']}", token=token, json={"title": "Pottery days", "hold_minutes": 30})
    assert r.status_code == 200 and (r.json()["title"], r.json()["hold_minutes"]) == ("Pottery days", 30)
    problem(api.patch(f"/events/{event['id']}", token=token, json={"hold_minutes": 121}), 422, "invalid_hold_minutes")
    r = api.patch(f"/events/{event['id']}", token=token, json={"offer_minutes": 45})  # waiting-list offers
    assert r.status_code == 200 and r.json()["offer_minutes"] == 45
    problem(api.patch(f"/events/{event['id']}", token=token, json={"timezone": "Mars/Base"}), 422, "invalid_timezone")

    r = api.post(f"/events/{event['id']}/cancel", token=token)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert api.post(f"/events/{event['id']}/cancel", token=token).status_code == 200
    problem(api.post(f"/events/{event['id']}/publish", token=token), 409, "event_cancelled")
    problem(new_session(api, token, event["id"], name="Late"), 409, "event_cancelled")
    problem(api.post(f"/events/{uuid.uuid4()}/publish", token=token), 404, "not_found")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"title": ""}, "invalid_title"),
        ({"timezone": "Not/AZone"}, "invalid_timezone"),
        ({"hold_minutes": 0}, "invalid_hold_minutes"),
        ({"max_tickets_per_order": 1000}, "invalid_max_tickets_per_order"),
        ({"hold_minutes": "15"}, "validation_error"),
        ({"one_ticket_per_attendee": "true"}, "validation_error"),
    ],
)
def test_create_event_validation(api, owner, org, changes, code):
    problem(api.post(f"/orgs/{org['id']}/events", token=owner["token"], json={**EVENT, **changes}), 422, code)
    assert api.get(f"/orgs/{org['id']}/events", token=owner["token"]).json() == []


def test_create_event_requires_the_contract_fields(api, owner, org):
    body = {k: v for k, v in EVENT.items() if k != "timezone"}
    problem(api.post(f"/orgs/{org['id']}/events", token=owner["token"], json=body), 422, "validation_error")
    r = api.post(f"/orgs/{org['id']}/events", token=owner["token"], json={**EVENT, "hold_minutes": 20,
                                                                          "max_tickets_per_order": 4})
    assert r.status_code == 201 and (r.json()["hold_minutes"], r.json()["max_tickets_per_order"]) == (20, 4)


def test_malformed_json_unknown_fields_and_missing_auth(api, owner, org, event):
    token = owner["token"]
    r = api.post(f"/orgs/{org['id']}/events", token=token, content=b'{"title": "x",',
                 headers={"Content-Type": "application/json"})
    problem(r, 400, "malformed_json")
    r = api.post(f"/events/{event['id']}/sessions", token=token, content=b"[1, 2",
                 headers={"Content-Type": "application/json"})
    problem(r, 400, "malformed_json")
    body = problem(api.post(f"/orgs/{org['id']}/events", token=token, json={**EVENT, "venue": "x"}), 422,
                   "unknown_field")
    assert "venue" in body["detail"]
    day = new_session(api, token, event["id"]).json()
    problem(new_type(api, token, event["id"], [day["id"]], colour="red"), 422, "unknown_field")
    problem(api.patch(f"/events/{event['id']}/sessions/{day['id']}", token=token, json={"sold": 0}), 422,
            "unknown_field")
    problem(api.patch(f"/events/{event['id']}", token=token, json={"status": "published"}), 422, "unknown_field")

    problem(api.post(f"/orgs/{org['id']}/events", json=EVENT), 401, "not_authenticated")
    problem(new_session(api, None, event["id"]), 401, "not_authenticated")
    problem(api.post(f"/events/{event['id']}/publish"), 401, "not_authenticated")
    problem(api.post(f"/events/{event['id']}/publish", token="not-a-jwt"), 401, "invalid_token")
    problem(api.get(f"/events/{event['id']}", token="not-a-jwt"), 401, "invalid_token")  # bad token != anonymous
    problem(api.get(f"/orgs/{org['id']}/events"), 401, "not_authenticated")
    assert api.get(f"/events/{event['id']}", token=token).json()["sessions"][0]["id"] == day["id"]


def test_door_staff_may_look_but_not_change(api, owner, org, event):
    door = api.register(name="Dora Door")
    assert api.post(f"/orgs/{org['id']}/members", token=owner["token"],
                    json={"email": door["email"], "role": "door"}).status_code == 201
    day = new_session(api, owner["token"], event["id"]).json()
    ticket_type = new_type(api, owner["token"], event["id"], [day["id"]]).json()
    t = door["token"]
    problem(api.post(f"/orgs/{org['id']}/events", token=t, json=EVENT), 403, "forbidden")
    problem(api.patch(f"/events/{event['id']}", token=t, json={"title": "Mine"}), 403, "forbidden")
    problem(api.post(f"/events/{event['id']}/publish", token=t), 403, "forbidden")
    problem(api.post(f"/events/{event['id']}/cancel", token=t), 403, "forbidden")
    problem(new_session(api, t, event["id"], name="D2"), 403, "forbidden")
    problem(api.patch(f"/events/{event['id']}/sessions/{day['id']}", token=t, json={"capacity": 1}), 403, "forbidden")
    problem(api.delete(f"/events/{event['id']}/sessions/{day['id']}", token=t), 403, "forbidden")
    problem(new_type(api, t, event["id"], [day["id"]], name="Free", price="0"), 403, "forbidden")
    problem(api.patch(f"/events/{event['id']}/ticket-types/{ticket_type['id']}", token=t, json={"price": "0"}),
            403, "forbidden")
    seen = api.get(f"/events/{event['id']}", token=t).json()  # the draft, for scanning
    assert (seen["status"], seen["title"], seen["sessions"][0]["capacity"]) == ("draft", "Pottery weekend", 10)
    assert seen["ticket_types"][0]["price"] == "23.00"
    assert [e["id"] for e in api.get(f"/orgs/{org['id']}/events", token=t).json()] == [event["id"]]


def test_public_list_hides_drafts_and_inactive_types_and_paginates(api, owner, org, event):
    token = owner["token"]
    ids = []
    for n, days in enumerate([5, 2, 9]):
        e = api.post(f"/orgs/{org['id']}/events", token=token, json={**EVENT, "title": f"Show {n}"}).json()
        day = new_session(api, token, e["id"], start=soon(days)).json()
        new_type(api, token, e["id"], [day["id"]], price=f"{10 + n}.00")
        new_type(api, token, e["id"], [day["id"]], name="Staff only", price="1.00", is_active=False)
        assert api.post(f"/events/{e['id']}/publish", token=token).status_code == 200
        ids.append(e["id"])
    listed = api.get("/events").json()
    assert [e["title"] for e in listed] == ["Show 1", "Show 0", "Show 2"]  # by next start; the draft is absent
    assert [e["price_from"] for e in listed] == ["11.00", "10.00", "12.00"]  # inactive types do not count
    assert [e["title"] for e in api.get("/events", params={"limit": 1, "offset": 1}).json()] == ["Show 0"]
    problem(api.get("/events", params={"limit": 0}), 422, "validation_error")
    public = api.get(f"/events/{ids[0]}").json()
    assert [t["name"] for t in public["ticket_types"]] == ["Standard"]
    staff = api.get(f"/events/{ids[0]}", token=token).json()
    assert [t["name"] for t in staff["ticket_types"]] == ["Standard", "Staff only"]
    org_list = api.get(f"/orgs/{org['id']}/events", token=token, params={"status": "draft"}).json()
    assert [e["id"] for e in org_list] == [event["id"]]
    problem(api.get(f"/orgs/{org['id']}/events", token=token, params={"status": "live"}), 422, "invalid_status")
