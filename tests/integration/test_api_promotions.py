"""The promo-code API over HTTP on PostgreSQL: the organizer's routes, the check of a code, and
buying with one through hold, checkout (the Stripe amount) and cancellation; every problem code
of the contract's Promo codes section, bad input, another organization's event."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from tests.api_client import Api
from tests.integration.test_api_sales import items, person, problem, shop  # noqa: F401  (fixture)
from ticketing.db import session_scope
from ticketing.models import Payment, PromoRedemption


@pytest.fixture
def http(localstripe):
    return Api()


def create(http, shop, who="owner", **body):
    body.setdefault("kind", "percent")
    body.setdefault("value", 20)
    return http.post(f"/events/{shop['event']}/promo-codes", token=shop[who]["token"], json=body)


def hold_with(http, shop, code, who="a", **quantities):
    return http.post(f"/events/{shop['event']}/holds", token=shop[who]["token"],
                     json={**items(shop, **quantities), "promo_code": code})


def test_create_list_patch_and_the_figures_of_a_code(http, shop):
    r = create(http, shop, code="Summer10", kind="fixed", value="1.50", max_uses=5,
               ticket_type_ids=[shop["types"]["big"]])
    assert r.status_code == 201, r.text
    code = r.json()
    assert (code["code"], code["kind"], code["value"], code["uses"], code["description"]) == (
        "Summer10", "fixed", "1.50", 0, "1.50 EUR off")
    problem(create(http, shop, code="SUMMER10"), 409, "duplicate_code")
    listed = http.get(f"/events/{shop['event']}/promo-codes", token=shop["owner"]["token"]).json()
    assert [c["id"] for c in listed] == [code["id"]]
    r = http.patch(f"/events/{shop['event']}/promo-codes/{code['id']}", token=shop["owner"]["token"],
                   json={"is_active": False, "max_uses": None})
    assert r.status_code == 200 and r.json()["is_active"] is False and r.json()["max_uses"] is None
    problem(hold_with(http, shop, "summer10", big=1), 422, "code_invalid")


@pytest.mark.parametrize("body, status, code", [
    ({"code": "P", "kind": "percent", "value": 0}, 422, "invalid_discount"),
    ({"code": "P", "kind": "percent", "value": "lots"}, 422, "invalid_discount"),
    ({"code": "P", "kind": "fixed", "value": "-1.00"}, 422, "invalid_discount"),
    ({"code": "P", "kind": "buy_x_get_y", "buy": 2}, 422, "invalid_discount"),
    ({"code": "P", "kind": "mystery"}, 422, "invalid_discount"),
    ({"code": "P", "kind": "free", "starts_at": "2030-01-02T00:00:00+00:00", "ends_at": "2030-01-01T00:00:00+00:00"},
     422, "invalid_times"),
    ({"code": "not a code", "kind": "free"}, 422, "invalid_input"),
    ({"code": "P", "kind": "free", "max_uses": 0}, 422, "invalid_input"),
    ({"code": "P", "kind": "free", "colour": "red"}, 422, "unknown_field"),
])
def test_bad_definitions_are_refused_with_their_codes(http, shop, body, status, code):
    problem(http.post(f"/events/{shop['event']}/promo-codes", token=shop["owner"]["token"], json=body), status, code)
    assert http.get(f"/events/{shop['event']}/promo-codes", token=shop["owner"]["token"]).json() == []


def test_customers_and_other_organizations_cannot_manage_codes(http, shop):
    problem(create(http, shop, who="a", code="MINE"), 404, "not_found")
    problem(http.get(f"/events/{shop['event']}/promo-codes", token=shop["a"]["token"]), 404, "not_found")
    problem(http.post(f"/events/{shop['foreign_event']}/promo-codes", token=shop["owner"]["token"],
                      json={"code": "X", "kind": "free"}), 404, "not_found")
    problem(http.post(f"/events/{shop['event']}/promo-codes", json={"code": "X", "kind": "free"}), 401,
            "not_authenticated")


def test_bulk_codes_and_their_csv(http, shop):
    r = http.post(f"/events/{shop['event']}/promo-codes/bulk", token=shop["owner"]["token"],
                  json={"prefix": "gift", "count": 5, "kind": "free"})
    assert r.status_code == 201, r.text
    batch, made = r.json()["batch"], r.json()["codes"]
    assert len({c["code"] for c in made}) == 5 and all(c["max_uses"] == 1 for c in made)
    csv = http.get(f"/events/{shop['event']}/promo-codes/export.csv", params={"batch": batch},
                   token=shop["owner"]["token"])
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert sorted(line.split(",")[0] for line in csv.text.splitlines()[1:]) == sorted(c["code"] for c in made)
    problem(http.post(f"/events/{shop['event']}/promo-codes/bulk", token=shop["owner"]["token"],
                      json={"prefix": "gift", "count": 5000, "kind": "free"}), 422, "invalid_input")


def test_validate_tells_the_discount_without_taking_a_use(http, shop):
    create(http, shop, code="TENOFF", value=10, max_uses=1)
    r = http.post(f"/events/{shop['event']}/promo-codes/validate", token=shop["a"]["token"],
                  json={"code": "tenoff", **items(shop, big=2)})
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in ("code", "discount", "total", "currency")} == {
        "code": "TENOFF", "discount": "4.00", "total": "35.98", "currency": "EUR"}
    with session_scope(readonly=True) as db:
        assert db.exec(select(PromoRedemption)).all() == []
    problem(http.post(f"/events/{shop['event']}/promo-codes/validate", token=shop["a"]["token"],
                      json={"code": "nope", **items(shop, big=1)}), 422, "code_invalid")
    problem(http.post(f"/events/{shop['event']}/promo-codes/validate", json={"code": "x", **items(shop, big=1)}),
            401, "not_authenticated")


def test_buying_with_a_code_hold_checkout_stripe_amount_and_cancellation(http, shop):
    create(http, shop, code="HALF", value=50, ticket_type_ids=[shop["types"]["big"]], max_uses=1)
    r = hold_with(http, shop, "half", big=2, hot=1)
    assert r.status_code == 201, r.text
    h = r.json()
    lines = {i["ticket_type_id"]: (i["unit_price"], i["discount"]) for i in h["items"]}
    assert lines == {shop["types"]["big"]: ("19.99", "20.00"), shop["types"]["hot"]: ("23.00", "0.00")}
    assert (h["discount"], h["total"]) == ("20.00", "42.98")
    problem(hold_with(http, shop, "HALF", who="b", big=1), 409, "code_used_up")
    r = http.post(f"/holds/{h['id']}/checkout", token=shop["a"]["token"], json={})
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["total"], order["discount"], order["status"]) == ("42.98", "20.00", "pending")
    assert order["payment"]["client_secret"]
    with session_scope(readonly=True) as db:
        (payment,) = db.exec(select(Payment).where(Payment.order_id == uuid.UUID(order["id"]))).all()
    assert payment.amount_minor == 4298  # Stripe is asked for the discounted total
    r = http.post(f"/orders/{order['id']}/cancel", token=shop["a"]["token"], json={})
    assert r.status_code == 200, r.text
    assert hold_with(http, shop, "HALF", who="b", big=1).status_code == 201  # cancelled whole: use back


def test_refusals_at_hold_time_have_the_contracts_codes(http, shop):
    create(http, shop, code="BIGONLY", ticket_type_ids=[shop["types"]["big"]])
    create(http, shop, code="OLD", ends_at="2020-01-01T00:00:00+00:00")
    create(http, shop, code="ONE", max_uses_per_customer=1)
    problem(hold_with(http, shop, "NOSUCH", big=1), 422, "code_invalid")
    problem(hold_with(http, shop, "OLD", big=1), 422, "code_expired")
    problem(hold_with(http, shop, "BIGONLY", hot=1), 422, "code_not_applicable")
    h = hold_with(http, shop, "ONE", big=1).json()
    http.post(f"/holds/{h['id']}/checkout", token=shop["a"]["token"], json={})
    problem(hold_with(http, shop, "ONE", hot=1), 409, "code_used_up")
    problem(hold_with(http, shop, "x" * 65, big=1), 422, "validation_error")
