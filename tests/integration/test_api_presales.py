"""The presale API over HTTP on PostgreSQL: the organizer's routes, availability with and
without an access code, buying with one through hold and checkout; every problem code of the
contract's Presales section, bad input, another organization's event."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api_client import Api
from tests.integration.test_api_sales import items, problem, shop  # noqa: F401  (fixture)
from ticketing.models.base import utcnow


@pytest.fixture
def http(localstripe):
    return Api()


def window(hours_from=-1, hours_to=1):
    now = utcnow()
    return {"starts_at": (now + timedelta(hours=hours_from)).isoformat(),
            "ends_at": (now + timedelta(hours=hours_to)).isoformat()}


def create(http, shop, who="owner", **body):
    body = {"name": "Fan club", "release_at_end": True, **window(), **body}
    return http.post(f"/events/{shop['event']}/presales", token=shop[who]["token"], json=body)


def add_codes(http, shop, presale_id, **body):
    return http.post(f"/events/{shop['event']}/presales/{presale_id}/codes", token=shop["owner"]["token"], json=body)


def hold_with(http, shop, code, who="a", **quantities):
    body = items(shop, **quantities)
    if code is not None:
        body["access_code"] = code
    return http.post(f"/events/{shop['event']}/holds", token=shop[who]["token"], json=body)


def by_type(http, shop, code=None):
    query = {} if code is None else {"access_code": code}
    r = http.get(f"/events/{shop['event']}/availability", params=query)
    assert r.status_code == 200, r.text
    return {t["id"]: t for t in r.json()["ticket_types"]}


def test_a_presale_with_codes_sells_its_types_only_to_code_holders(http, shop):
    r = create(http, shop, ticket_type_ids=[shop["types"]["big"]], quota=3)
    assert r.status_code == 201, r.text
    presale = r.json()
    assert (presale["status"], presale["sold"], presale["quota"], presale["codes"]) == ("on", 0, 3, [])
    r = add_codes(http, shop, presale["id"], codes=["Fans-1"], count=2, max_uses=2)
    assert r.status_code == 201, r.text
    made = r.json()["codes"]
    assert [c["code"] for c in made][0] == "Fans-1" and len(made) == 3 and {c["max_uses"] for c in made} == {2}

    plain = by_type(http, shop)[shop["types"]["big"]]
    assert (plain["is_available"], plain["reason"], plain["presale_id"]) == (False, "presale_only", presale["id"])
    opened = by_type(http, shop, "fans-1")[shop["types"]["big"]]
    assert (opened["is_available"], opened["available"]) == (True, 3)

    problem(hold_with(http, shop, None, big=1), 422, "access_code_required")
    r = hold_with(http, shop, "FANS-1", big=2)
    assert r.status_code == 201, r.text
    r = http.post(f"/holds/{r.json()['id']}/checkout", token=shop["a"]["token"], json={})
    assert r.status_code == 201, r.text
    body = problem(hold_with(http, shop, made[1]["code"], who="b", big=2), 409, "quota_reached")
    assert body["reason"] == "presale_quota"
    listed = http.get(f"/events/{shop['event']}/presales", token=shop["owner"]["token"]).json()
    assert listed[0]["sold"] == 2
    assert {c["code"]: c["uses"] for c in listed[0]["codes"]}["Fans-1"] == 1


def test_every_refusal_of_an_access_code(http, shop):
    presale = create(http, shop, ticket_type_ids=[shop["types"]["big"]]).json()
    later = create(http, shop, name="Later", ticket_type_ids=[shop["types"]["quota"]], **window(2, 3)).json()
    add_codes(http, shop, presale["id"], codes=["ONCE"])
    add_codes(http, shop, later["id"], codes=["SOON"])
    problem(hold_with(http, shop, "nothing-like-it", big=1), 422, "access_code_invalid")
    problem(hold_with(http, shop, "bad code!", big=1), 422, "access_code_invalid")
    problem(hold_with(http, shop, "SOON", big=1), 422, "access_code_required")  # another presale's
    assert problem(hold_with(http, shop, "SOON", quota=1), 422, "access_code_invalid")["reason"] == "not_started"
    problem(http.get(f"/events/{shop['event']}/availability", params={"access_code": "nope"}), 422,
            "access_code_invalid")
    assert hold_with(http, shop, "once", big=1).status_code == 201
    problem(hold_with(http, shop, "ONCE", who="b", big=1), 409, "access_code_used_up")
    # A code of another event is unknown here.
    problem(http.get(f"/events/{shop['foreign_event']}/availability", params={"access_code": "ONCE"}), 422,
            "access_code_invalid")


def test_bad_input_and_other_organizations_change_nothing(http, shop):
    problem(create(http, shop, name=""), 422, "invalid_input")
    problem(create(http, shop, **window(1, -1)), 422, "invalid_times")
    problem(create(http, shop, ticket_type_ids=[shop["foreign_type"]]), 422, "invalid_input")
    problem(create(http, shop, quota=0), 422, "invalid_input")
    r = http.post(f"/events/{shop['event']}/presales", token=shop["owner"]["token"],
                  json={"name": "X", **window(), "release_at_end": True, "surprise": 1})
    assert r.status_code == 422
    problem(create(http, shop, who="a"), 404, "not_found")
    assert http.get(f"/events/{shop['event']}/presales", token=shop["owner"]["token"]).json() == []
    presale = create(http, shop).json()
    add_codes(http, shop, presale["id"], codes=["Twice"])
    problem(add_codes(http, shop, presale["id"], codes=["TWICE"]), 409, "duplicate_code")
    problem(add_codes(http, shop, presale["id"]), 422, "invalid_input")
    problem(add_codes(http, shop, presale["id"], count=1, max_uses=0), 422, "invalid_input")
    r = http.patch(f"/events/{shop['event']}/presales/{presale['id']}", token=shop["owner"]["token"],
                   json={"release_at_end": False, "quota": 5})
    assert r.status_code == 200 and (r.json()["release_at_end"], r.json()["quota"]) == (False, 5)
    problem(http.patch(f"/events/{shop['event']}/presales/{presale['id']}", token=shop["a"]["token"],
                       json={"quota": 1}), 404, "not_found")


def test_the_openapi_names_the_presale_problem_codes(http):
    doc = http.get("/openapi.json").json()
    hold_doc = str(doc["paths"]["/api/v1/events/{event_id}/holds"]["post"]["responses"])
    for code in ("access_code_required", "access_code_invalid", "access_code_used_up"):
        assert code in hold_doc
    assert "access_code_invalid" in str(doc["paths"]["/api/v1/events/{event_id}/availability"]["get"]["responses"])
    assert "duplicate_code" in str(doc["paths"]["/api/v1/events/{event_id}/presales/{presale_id}/codes"]["post"])
