"""Tenant isolation of the catalog: an owner of organization B can neither read org A's drafts
nor change anything of org A, through the services or the JSON API. The answer is always
not_found (404, exactly as for an unknown id, never 403) and no row of A changes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlmodel import SQLModel, select

from tests.factories import make_org, make_user
from ticketing.db import session_scope
from ticketing.models import Event, EventSession, SessionPrerequisite, TicketType, TicketTypeSession
from ticketing.services import catalog
from ticketing.services.errors import ServiceError

NOW = datetime(2030, 5, 1, 12, 0, tzinfo=timezone.utc)
CATALOG_TABLES: tuple[type[SQLModel], ...] = (Event, EventSession, SessionPrerequisite, TicketType, TicketTypeSession)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every catalog row, in a stable order, as plain values."""
    with session_scope(readonly=True) as db:
        return {
            model.__tablename__: sorted((row.model_dump() for row in db.exec(select(model)).all()), key=repr)
            for model in CATALOG_TABLES
        }


@pytest.fixture
def world() -> dict[str, Any]:
    """Org A with a draft and a published event (sessions, prerequisites, ticket types); org B
    with its own event and session. Committed, so each attempt below runs in its own scope."""
    with session_scope() as db:
        owner_a, owner_b = make_user(db, name="Ann of A"), make_user(db, name="Bob of B")
        org_a, org_b = make_org(db, owner=owner_a), make_org(db, owner=owner_b)

        def build(user, org, title: str, publish: bool) -> tuple[Event, EventSession, TicketType]:
            event = catalog.create_event(db=db, user_id=user.id, organization_id=org.id, title=title, now=NOW)
            first = catalog.create_session(db=db, user_id=user.id, event_id=event.id, name="Day 1",
                                           starts_at=NOW + timedelta(days=9), ends_at=NOW + timedelta(days=9, hours=2),
                                           capacity=10, now=NOW).session
            second = catalog.create_session(db=db, user_id=user.id, event_id=event.id, name="Day 2",
                                            starts_at=NOW + timedelta(days=10),
                                            ends_at=NOW + timedelta(days=10, hours=2), capacity=10, now=NOW,
                                            prerequisite_session_ids=[first.id]).session
            ticket_type = catalog.create_ticket_type(db=db, user_id=user.id, event_id=event.id, name="Standard",
                                                     price="23.00", currency="EUR",
                                                     session_ids=[first.id, second.id], now=NOW).ticket_type
            if publish:
                catalog.publish_event(db=db, user_id=user.id, event_id=event.id, now=NOW)
            return event, second, ticket_type

        draft_a = build(owner_a, org_a, "A draft", publish=False)
        live_a = build(owner_a, org_a, "A live", publish=True)
        event_b, session_b, _ = build(owner_b, org_b, "B event", publish=False)
        return {
            "owner_a": owner_a.id, "owner_b": owner_b.id, "org_a": org_a.id,
            "a": {"draft": draft_a, "live": live_a},
            "event_b": event_b.id, "session_b": session_b.id,
        }


def attempts(w: dict[str, Any], which: str) -> list[tuple[str, Any, dict[str, Any]]]:
    """Every catalog use case aimed at one of A's events, with otherwise valid arguments."""
    event, session, ticket_type = w["a"][which]
    e = {"event_id": event.id}
    later = NOW + timedelta(days=20)
    return [
        ("update_event", catalog.update_event, {**e, "title": "Hijacked"}),
        ("publish_event", catalog.publish_event, e),
        ("cancel_event", catalog.cancel_event, e),
        ("create_session", catalog.create_session,
         {**e, "name": "Extra", "starts_at": later, "ends_at": later + timedelta(hours=1), "capacity": 5}),
        # Invalid input must not reveal anything either: still not_found, never 422.
        ("create_session_invalid", catalog.create_session,
         {**e, "name": "", "starts_at": later, "ends_at": later, "capacity": 0}),
        ("update_session", catalog.update_session, {**e, "session_id": session.id, "capacity": 1}),
        ("delete_session", catalog.delete_session, {**e, "session_id": session.id}),
        ("create_ticket_type", catalog.create_ticket_type,
         {**e, "name": "Free", "price": "0", "currency": "EUR", "session_ids": [session.id]}),
        ("update_ticket_type", catalog.update_ticket_type,
         {**e, "ticket_type_id": ticket_type.id, "price": "0.01", "max_quantity": 1}),
    ]


@pytest.mark.parametrize("which", ["draft", "live"])
def test_services_answer_not_found_and_change_nothing(world, which):
    before = snapshot()
    for name, use_case, kwargs in attempts(world, which):
        with pytest.raises(ServiceError) as err:
            with session_scope() as db:
                use_case(db=db, user_id=world["owner_b"], now=NOW, **kwargs)
        assert (err.value.code, err.value.status) == ("not_found", 404), name
    assert snapshot() == before


def test_services_do_not_show_drafts_or_org_lists_to_other_tenants(world):
    draft, live = world["a"]["draft"][0], world["a"]["live"][0]
    with session_scope(readonly=True) as db:
        with pytest.raises(ServiceError) as err:
            catalog.get_event(db=db, event_id=draft.id, user_id=world["owner_b"])
        assert err.value.status == 404
        with pytest.raises(ServiceError) as err_unknown:
            catalog.get_event(db=db, event_id=uuid.uuid4(), user_id=world["owner_b"])
        assert err_unknown.value.message == err.value.message  # indistinguishable from a missing id
        assert catalog.get_event(db=db, event_id=live.id, user_id=world["owner_b"]).viewer_role is None
        with pytest.raises(ServiceError) as err:
            catalog.list_events_for_org(db=db, user_id=world["owner_b"], organization_id=world["org_a"], now=NOW)
        assert err.value.status == 404


def test_ids_of_another_tenant_do_not_cross_into_your_own_event(world):
    """B, on B's own event, names A's session or ticket type: unknown there, or foreign."""
    _, session_a, type_a = world["a"]["live"]
    before = snapshot()
    base = {"user_id": world["owner_b"], "event_id": world["event_b"], "now": NOW}
    cases = [
        (catalog.update_session, {"session_id": session_a.id, "capacity": 2}, "not_found"),
        (catalog.delete_session, {"session_id": session_a.id}, "not_found"),
        (catalog.update_ticket_type, {"ticket_type_id": type_a.id, "price": "1"}, "not_found"),
        (catalog.create_ticket_type, {"name": "X", "price": "1", "currency": "EUR", "session_ids": [session_a.id]},
         "foreign_session"),
        (catalog.create_session, {"name": "X", "starts_at": NOW + timedelta(days=30),
                                  "ends_at": NOW + timedelta(days=30, hours=1), "capacity": 3,
                                  "prerequisite_session_ids": [session_a.id]}, "foreign_session"),
        (catalog.update_session, {"session_id": world["session_b"], "prerequisite_session_ids": [session_a.id]},
         "foreign_session"),
    ]
    for use_case, kwargs, code in cases:
        with pytest.raises(ServiceError) as err:
            with session_scope() as db:
                use_case(db=db, **base, **kwargs)
        assert err.value.code == code, (use_case.__name__, kwargs)
    assert snapshot() == before


# --- through the JSON API ----------------------------------------------------------------


def test_api_answers_404_never_403_and_changes_nothing(api):
    a, b = api.register(name="Ann"), api.register(name="Bob")
    org_a, org_b = api.org(a["token"]), api.org(b["token"])
    later = datetime.now(timezone.utc) + timedelta(days=10)
    times = {"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=2)).isoformat()}
    draft = api.post(f"/orgs/{org_a['id']}/events", token=a["token"],
                     json={"title": "A draft", "description": "", "location": "", "timezone": "UTC"}).json()
    session = api.post(f"/events/{draft['id']}/sessions", token=a["token"],
                       json={"name": "Day 1", "capacity": 10, **times}).json()
    ticket_type = api.post(f"/events/{draft['id']}/ticket-types", token=a["token"],
                           json={"name": "Std", "price": "23.00", "currency": "EUR",
                                 "session_ids": [session["id"]]}).json()
    own = api.post(f"/orgs/{org_b['id']}/events", token=b["token"],
                   json={"title": "B", "description": "", "location": "", "timezone": "UTC"}).json()
    before = api.get(f"/events/{draft['id']}", token=a["token"]).json()

    e, s, t = draft["id"], session["id"], ticket_type["id"]
    calls = [
        ("GET", f"/events/{e}", None),
        ("PATCH", f"/events/{e}", {"title": "Hijacked"}),
        ("POST", f"/events/{e}/publish", None),
        ("POST", f"/events/{e}/cancel", None),
        ("POST", f"/events/{e}/sessions", {"name": "Extra", "capacity": 5, **times}),
        ("POST", f"/events/{e}/sessions", {"name": "", "capacity": 0, **times}),  # bad input: still 404
        ("PATCH", f"/events/{e}/sessions/{s}", {"capacity": 1}),
        ("DELETE", f"/events/{e}/sessions/{s}", None),
        ("POST", f"/events/{e}/ticket-types", {"name": "Free", "price": "0", "currency": "EUR", "session_ids": [s]}),
        ("PATCH", f"/events/{e}/ticket-types/{t}", {"price": "0.01"}),
        ("GET", f"/orgs/{org_a['id']}/events", None),
        ("POST", f"/orgs/{org_a['id']}/events", {"title": "Planted", "description": "", "location": "",
                                                 "timezone": "UTC"}),
        # A's ids under B's own event are unknown there too.
        ("PATCH", f"/events/{own['id']}/sessions/{s}", {"capacity": 1}),
        ("DELETE", f"/events/{own['id']}/sessions/{s}", None),
        ("PATCH", f"/events/{own['id']}/ticket-types/{t}", {"price": "1"}),
    ]
    for method, path, body in calls:
        r = api.request(method, path, token=b["token"], json=body)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        assert r.json()["code"] == "not_found", (method, path)
    r = api.post(f"/events/{own['id']}/ticket-types", token=b["token"],
                 json={"name": "X", "price": "1", "currency": "EUR", "session_ids": [s]})
    assert r.status_code == 422 and r.json()["code"] == "foreign_session"

    assert api.get(f"/events/{e}", token=a["token"]).json() == before
    assert [x["title"] for x in api.get(f"/orgs/{org_a['id']}/events", token=a["token"]).json()] == ["A draft"]
    assert api.get(f"/events/{e}").status_code == 404  # and the public does not see the draft either
