"""The waiting-list API over HTTP on PostgreSQL: joining (only when sold out), every problem
code of the contract's Waiting list section, the offer made after places free up (its hold,
its mail through the job queue), leaving, and the organizer's list, offer and closing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.api_client import Api
from tests.integration.test_api_sales import hold, items, problem, shop  # noqa: F401  (fixture)
from tests.jobs_helpers import queued, settle_jobs
from ticketing.db import session_scope
from ticketing.jobs.waitlist_offers import offer_freed_places
from ticketing.models import SentMail


@pytest.fixture
def http(localstripe):
    return Api()


def join(http, shop, who="b", kind="hot", quantity=1, **extra):
    return http.post(f"/events/{shop['event']}/waitlist", token=shop[who]["token"] if who else None,
                     json={"ticket_type_id": shop["types"][kind], "quantity": quantity, **extra})


def test_join_only_when_sold_out_and_the_refusals(http, shop):
    problem(join(http, shop), 409, "not_sold_out")
    assert hold(http, shop, "a", hot=2).status_code == 201
    problem(join(http, shop, quantity=0), 422, "invalid_quantity")
    problem(join(http, shop, quantity=6), 422, "invalid_quantity")  # above the event's 5 per order
    problem(join(http, shop, colour="red"), 422, "unknown_field")
    problem(http.post(f"/events/{shop['event']}/waitlist", token=shop["b"]["token"],
                      json={"ticket_type_id": shop["foreign_type"], "quantity": 1}), 404, "not_found")
    problem(join(http, shop, kind="later"), 422, "not_on_sale")
    problem(join(http, shop, who=None), 401, "not_authenticated")
    r = join(http, shop)
    assert r.status_code == 201, r.text
    assert {k: r.json()[k] for k in ("position", "status", "quantity")} == {"position": 1, "status": "waiting",
                                                                            "quantity": 1}
    problem(join(http, shop), 409, "already_waiting")
    mine = http.get("/me/waitlist", token=shop["b"]["token"]).json()
    assert [(e["ticket_type_name"], e["status"], e["position"]) for e in mine] == [("Hot", "waiting", 1)]


def test_freed_places_become_an_offer_with_a_mail_then_a_purchase(http, shop):
    first = hold(http, shop, "a", hot=2).json()
    entry = join(http, shop, quantity=2).json()
    assert http.delete(f"/holds/{first['id']}", token=shop["a"]["token"]).status_code == 204
    # Freed places are the list's: a direct buyer is told so.
    body = problem(hold(http, shop, "a", hot=1), 409, "insufficient_capacity")
    assert body["reason"] == "waiting_list"
    assert offer_freed_places() == 1
    assert [j["task_name"] for j in queued("waitlist_offer_mail")] == ["waitlist_offer_mail"]
    settle_jobs()
    with session_scope(readonly=True) as db:
        assert db.exec(select(SentMail.key)).all() == [f"waitlist-offer:{entry['id']}:1"]
    (offered,) = http.get("/me/waitlist", token=shop["b"]["token"]).json()
    assert offered["status"] == "offered" and offered["hold_id"] and offered["offer_expires_at"]
    held = http.get(f"/holds/{offered['hold_id']}", token=shop["b"]["token"]).json()
    assert held["status"] == "active" and held["total"] == "46.00"
    assert offer_freed_places() == 0  # never offered twice
    r = http.post(f"/holds/{offered['hold_id']}/checkout", token=shop["b"]["token"], json={})
    assert r.status_code == 201, r.text
    listed = http.get(f"/events/{shop['event']}/waitlist", token=shop["owner"]["token"]).json()
    assert [(e["status"], e["offers"], e["user_id"]) for e in listed] == [("bought", 1, shop["b"]["id"])]


def test_leave_and_the_organizer_side(http, shop):
    hold(http, shop, "a", hot=2)
    entry = join(http, shop).json()
    problem(http.delete(f"/waitlist/{entry['id']}", token=shop["a"]["token"]), 404, "not_found")
    problem(http.get(f"/events/{shop['event']}/waitlist", token=shop["b"]["token"]), 404, "not_found")
    problem(http.post(f"/events/{shop['event']}/waitlist/{entry['id']}/offer", token=shop["owner"]["token"]),
            409, "insufficient_capacity")  # nothing free to offer
    r = http.post(f"/events/{shop['event']}/waitlist/close", token=shop["owner"]["token"],
                  json={"ticket_type_id": shop["types"]["hot"]})
    assert r.json() == {"ticket_type_id": shop["types"]["hot"], "closed": True, "entries_closed": 1}
    problem(join(http, shop, who="owner"), 409, "waitlist_closed")
    assert http.get("/me/waitlist", token=shop["b"]["token"]).json()[0]["status"] == "closed"
    assert http.delete(f"/waitlist/{entry['id']}", token=shop["b"]["token"]).status_code == 204
    r = http.post(f"/events/{shop['event']}/waitlist/close", token=shop["owner"]["token"],
                  json={"ticket_type_id": shop["types"]["hot"], "closed": False})
    assert r.status_code == 200 and r.json()["closed"] is False
    again = join(http, shop).json()
    r = http.post(f"/events/{shop['event']}/waitlist/{again['id']}/offer", token=shop["b"]["token"])
    problem(r, 404, "not_found")  # a customer is no organizer


def test_the_contract_documents_every_waiting_list_answer(http):
    paths = http.get("/openapi.json").json()["paths"]
    join_doc = paths["/api/v1/events/{event_id}/waitlist"]["post"]["responses"]
    assert {"not_sold_out", "already_waiting", "waitlist_closed"} <= set(
        join_doc["409"]["description"].replace("`", "").replace("Problem codes: ", "").split(", "))
    hold_doc = paths["/api/v1/events/{event_id}/holds"]["post"]["responses"]
    assert "code_used_up" in hold_doc["409"]["description"] and "code_invalid" in hold_doc["422"]["description"]
