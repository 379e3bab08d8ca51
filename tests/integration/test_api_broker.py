"""Broker mode over HTTP (in-process ASGI) on PostgreSQL: suppliers, purchase orders from seats
and quantities, confirm, conflicts naming seats, payments, returns, cancel, retail prices, bad
input as problem+json, and tenant isolation on every route."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from tests.api_client import Api
from tests.broker_builders import make_broker_event
from tests.builders import make_buyers
from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.models import Membership, Role, User
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token


def token_of(db, user_id) -> str:
    user = db.get(User, user_id)
    return issue_token(user_id=user.id, token_version=user.token_version, now=utcnow())


@pytest.fixture
def agency():
    with session_scope() as db:
        se = make_broker_event(db)
        stranger = make_buyers(db, 1, name="Stranger")[0]
        make_org(db, owner=stranger)
        door = make_buyers(db, 1, name="Door")[0]
        db.add(Membership(organization_id=se.org_id, user_id=door.id, role=Role.door.value))
        db.flush()
        se.extra["tokens"] = {"owner": token_of(db, se.owner_id), "stranger": token_of(db, stranger.id),
                              "door": token_of(db, door.id)}
    return se


@pytest.fixture
def http():
    return Api()


def problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code, body
    return body


def new_supplier(http, se, **kw) -> dict:
    r = http.post(f"/orgs/{se.org_id}/suppliers", token=se.extra["tokens"]["owner"],
                  json={"name": "Civic Theatre", "kind": "venue_owner", "email": "box@civic.test",
                        "payment_terms_days": 30, "credit_limit": "5000.00", **kw})
    assert r.status_code == 201, r.text
    return r.json()


def new_po(http, se, supplier_id, lines) -> dict:
    r = http.post(f"/orgs/{se.org_id}/purchase-orders", token=se.extra["tokens"]["owner"],
                  json={"supplier_id": supplier_id, "event_id": str(se.event_id), "currency": "EUR", "lines": lines,
                        "fulfillment_method": "pdf_delivery", "expected_date": "2030-02-01"})
    assert r.status_code == 201, r.text
    return r.json()


def test_suppliers_crud_and_deactivation_rule(http, agency):
    se, owner = agency, agency.extra["tokens"]["owner"]
    s = new_supplier(http, se)
    assert (s["kind"], s["credit_limit"], s["is_active"]) == ("venue_owner", "5000.00", True)
    r = http.patch(f"/orgs/{se.org_id}/suppliers/{s['id']}", token=owner, json={"phone": "+44 20 0000"})
    assert r.json()["phone"] == "+44 20 0000"
    names = [x["name"] for x in http.get(f"/orgs/{se.org_id}/suppliers", token=owner).json()]
    assert names == ["Civic Theatre", "Promoter", "Venue"]
    new_po(http, se, s["id"], [{"seat_ids": [str(se.ids(0)[0])], "unit_cost": "10.00"}])
    problem(http.delete(f"/orgs/{se.org_id}/suppliers/{s['id']}", token=owner), 409, "supplier_has_open_orders")
    other = new_supplier(http, se, name="Idle Promotions", kind="promoter")
    r = http.delete(f"/orgs/{se.org_id}/suppliers/{other['id']}", token=owner)
    assert (r.status_code, r.json()["is_active"]) == (200, False)


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"name": "X", "kind": "wholesaler"}, 422, "invalid_kind"),
    ({"name": "", "kind": "promoter"}, 422, "invalid_name"),
    ({"name": "X", "kind": "promoter", "email": "nope"}, 422, "invalid_email"),
    ({"name": "X", "kind": "promoter", "payment_terms_days": -1}, 422, "invalid_payment_terms"),
    ({"name": "X", "kind": "promoter", "credit_limit": "1,000"}, 422, "invalid_credit_limit"),
    ({"name": "X", "kind": "promoter", "color": "red"}, 422, "unknown_field"),
    ({"name": "Venue", "kind": "promoter"}, 409, "duplicate_name"),
])
def test_bad_supplier_input_is_a_problem(http, agency, body, status, code):
    r = http.post(f"/orgs/{agency.org_id}/suppliers", token=agency.extra["tokens"]["owner"], json=body)
    problem(r, status, code)


def test_purchase_order_lifecycle_over_http(http, agency):
    se, owner = agency, agency.extra["tokens"]["owner"]
    venue = str(se.extra["suppliers"]["Venue"])
    po = new_po(http, se, venue, [{"seat_ids": [str(i) for i in se.ids(0, 1, 2)], "unit_cost": "30.00"},
                                  {"ticket_type_id": str(se.extra["ga_type"]), "quantity": 10, "unit_cost": "8.50"}])
    assert (po["number"], po["status"], po["total_cost"], po["version"]) == ("PO-0001", "draft", "175.00", 1)
    assert [ln["kind"] for ln in po["lines"]] == ["seats", "quantity"]
    r = http.patch(f"/purchase-orders/{po['id']}", token=owner, json={"version": 1, "notes": "Box office"})
    assert r.json()["version"] == 2
    problem(http.patch(f"/purchase-orders/{po['id']}", token=owner, json={"version": 1, "notes": "late"}),
            409, "version_conflict")
    r = http.post(f"/purchase-orders/{po['id']}/confirm", token=owner)
    assert (r.status_code, r.json()["status"], r.json()["approved_by"]) == (200, "confirmed", str(se.owner_id))
    clash = new_po(http, se, str(se.extra["suppliers"]["Promoter"]),
                   [{"seat_ids": [str(i) for i in se.ids(2, 3)], "unit_cost": "20.00"}])
    body = problem(http.post(f"/purchase-orders/{clash['id']}/confirm", token=owner), 409, "seat_not_available")
    assert body["seats"] == ["Stalls · Row A · Seat 3"]
    # payments: partial, then paid
    r = http.post(f"/purchase-orders/{po['id']}/payments", token=owner, json={"amount": "100.00"})
    assert (r.status_code, r.json()["payment_status"], r.json()["owed"]) == (201, "partial", "75.00")
    problem(http.post(f"/purchase-orders/{po['id']}/payments", token=owner, json={"amount": "75.01"}),
            409, "overpayment")
    problem(http.post(f"/purchase-orders/{po['id']}/payments", token=owner, json={"amount": 5}),
            422, "validation_error")
    # a return credits the cost; then the rest is paid
    r = http.post(f"/purchase-orders/{po['id']}/return", token=owner, json={"seat_ids": [str(se.ids(2)[0])]})
    assert (r.status_code, r.json()["returned_cost"], r.json()["owed"]) == (200, "30.00", "45.00")
    r = http.post(f"/purchase-orders/{po['id']}/payments", token=owner, json={"amount": "45.00"})
    assert r.json()["payment_status"] == "paid"
    r = http.post(f"/purchase-orders/{po['id']}/receive", token=owner)
    assert r.json()["status"] == "completed"
    problem(http.post(f"/purchase-orders/{po['id']}/return", token=owner, json={}), 422, "nothing_to_return")
    r = http.post(f"/purchase-orders/{clash['id']}/cancel", token=owner)
    assert r.json()["status"] == "cancelled"
    listed = http.get(f"/orgs/{se.org_id}/purchase-orders?status=completed", token=owner).json()
    assert [x["number"] for x in listed] == ["PO-0001"]


def test_retail_prices_over_http(http, agency):
    se, owner = agency, agency.extra["tokens"]["owner"]
    new_po(http, se, str(se.extra["suppliers"]["Venue"]), [{"seat_ids": [str(se.ids(0)[0])], "unit_cost": "30.00"}])
    r = http.request("PUT", f"/events/{se.event_id}/price-levels/{se.levels['Front']}/retail-price", token=owner,
                 json={"markup_percent": "25", "rounding": "whole"})
    assert r.json() == {"ticket_type_id": str(se.types["Front"]), "mode": "markup_percent", "markup_percent": "25.00",
                        "markup_fixed": None, "rounding": "whole", "cost_basis": None, "price": "50.00",
                        "currency": "EUR"}
    po = http.get(f"/orgs/{se.org_id}/purchase-orders", token=owner).json()[0]
    http.post(f"/purchase-orders/{po['id']}/confirm", token=owner)
    r = http.request("PUT", f"/events/{se.event_id}/ticket-types/{se.types['Front']}/retail-price", token=owner,
                 json={"markup_fixed": "4.20", "rounding": "none"})
    assert (r.json()["cost_basis"], r.json()["price"]) == ("30.00", "34.20")
    problem(http.request("PUT", f"/events/{se.event_id}/ticket-types/{se.types['Front']}/retail-price", token=owner,
                     json={"markup_fixed": "4.20", "markup_percent": "3"}), 422, "invalid_rule")


def _routes(se, po_id: str, supplier_id: str) -> list[tuple[str, str, dict | None]]:
    org, ev = se.org_id, se.event_id
    line = [{"seat_ids": [str(se.ids(5)[0])], "unit_cost": "1.00"}]
    return [
        ("POST", f"/orgs/{org}/suppliers", {"name": "Z", "kind": "promoter"}),
        ("GET", f"/orgs/{org}/suppliers", None),
        ("GET", f"/orgs/{org}/suppliers/{supplier_id}", None),
        ("PATCH", f"/orgs/{org}/suppliers/{supplier_id}", {"phone": "1"}),
        ("DELETE", f"/orgs/{org}/suppliers/{supplier_id}", None),
        ("POST", f"/orgs/{org}/purchase-orders", {"supplier_id": supplier_id, "event_id": str(ev), "currency": "EUR",
                                                  "lines": line}),
        ("GET", f"/orgs/{org}/purchase-orders", None),
        ("GET", f"/purchase-orders/{po_id}", None),
        ("PATCH", f"/purchase-orders/{po_id}", {"version": 1, "notes": "x"}),
        ("POST", f"/purchase-orders/{po_id}/confirm", None),
        ("POST", f"/purchase-orders/{po_id}/receive", None),
        ("POST", f"/purchase-orders/{po_id}/return", {"quantity": 1}),
        ("POST", f"/purchase-orders/{po_id}/cancel", None),
        ("POST", f"/purchase-orders/{po_id}/payments", {"amount": "1.00"}),
        ("GET", f"/purchase-orders/{po_id}/payments", None),
        ("POST", f"/events/{ev}/broker-mode", None),
        ("PUT", f"/events/{ev}/ticket-types/{se.types['Front']}/retail-price", {"price": "1.00"}),
        ("PUT", f"/events/{ev}/price-levels/{se.levels['Front']}/retail-price", {"price": "1.00"}),
        ("GET", f"/orgs/{org}/analytics/profit", None),
        ("GET", f"/orgs/{org}/analytics/inventory", None),
        ("GET", f"/orgs/{org}/analytics/payables", None),
        ("GET", f"/orgs/{org}/analytics/forecast", None),
    ]


def test_tenant_isolation_on_every_broker_route(http, agency):
    se = agency
    supplier_id = str(se.extra["suppliers"]["Venue"])
    po = new_po(http, se, supplier_id, [{"seat_ids": [str(se.ids(4)[0])], "unit_cost": "1.00"}])
    for method, path, body in _routes(se, po["id"], supplier_id):
        r = http.request(method, path, token=se.extra["tokens"]["stranger"], json=body)
        problem(r, 404, "not_found")
        r = http.request(method, path, token=se.extra["tokens"]["door"], json=body)
        problem(r, 403, "forbidden")
        r = http.request(method, path, json=body)
        assert r.status_code == 401, (method, path)
    # nothing changed
    fresh = http.get(f"/purchase-orders/{po['id']}", token=se.extra["tokens"]["owner"]).json()
    assert (fresh["status"], fresh["version"], fresh["notes"]) == ("draft", 1, "")
    assert [s["name"] for s in http.get(f"/orgs/{se.org_id}/suppliers", token=se.extra["tokens"]["owner"]).json()] \
        == ["Promoter", "Venue"]
    assert uuid.UUID(po["id"])


def test_analytics_over_http_json_and_csv(http, agency):
    from tests.broker_builders import bought, sell

    se, owner = agency, agency.extra["tokens"]["owner"]
    bought(se, seats=[0, 1], cost="30.00")
    sell(se, se.extra["buyers"][0], seats=[0])
    r = http.get(f"/orgs/{se.org_id}/analytics/profit?group_by=supplier&event_id={se.event_id}", token=owner)
    assert r.status_code == 200, r.text
    (row,) = r.json()
    assert {k: row[k] for k in ("label", "bought", "sold", "held", "returned", "unsold", "cost", "revenue",
                                "discounts", "fees", "profit", "margin", "sell_through")} == {
        "label": "Venue", "bought": 2, "sold": 1, "held": 0, "returned": 0, "unsold": 1, "cost": "30.00",
        "revenue": "50.00", "discounts": "0.00", "fees": "0.00", "profit": "20.00", "margin": "40.00",
        "sell_through": "50.00"}
    r = http.get(f"/orgs/{se.org_id}/analytics/profit?format=csv", token=owner)
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0].startswith("key,label,currency,bought,sold")
    inv = http.get(f"/orgs/{se.org_id}/analytics/inventory", token=owner).json()
    assert [(x["number"], x["unsold"], x["value"]) for x in inv] == [("PO-0001", 1, "30.00")]
    pay = http.get(f"/orgs/{se.org_id}/analytics/payables", token=owner).json()
    assert [(x["number"], x["owed"]) for x in pay] == [("PO-0001", "60.00")]
    fc = http.get(f"/orgs/{se.org_id}/analytics/forecast", token=owner).json()
    assert fc[0]["sold"] == 1 and "pace" in fc[0]["method"]
    problem(http.get(f"/orgs/{se.org_id}/analytics/profit?group_by=colour", token=owner), 422, "invalid_group_by")
    problem(http.get(f"/orgs/{se.org_id}/analytics/profit?from=yesterday", token=owner), 422, "invalid_window")
    problem(http.get(f"/orgs/{se.org_id}/analytics/profit?from=2030-01-01T00:00:00", token=owner), 422,
            "invalid_window")
    problem(http.get(f"/orgs/{se.org_id}/analytics/inventory?format=xml", token=owner), 422, "invalid_format")


def test_the_analytics_csv_makes_formula_looking_names_inert(http, agency):
    """Issue 16: a supplier named like a formula is written as text in the CSV (and the JSON keeps
    the name as it is)."""
    from tests.broker_builders import bought

    se, owner = agency, agency.extra["tokens"]["owner"]
    supplier_id = str(se.extra["suppliers"]["Venue"])
    formula = '=HYPERLINK("http://evil.example","open")'
    r = http.patch(f"/orgs/{se.org_id}/suppliers/{supplier_id}", token=owner, json={"name": formula})
    assert r.status_code == 200, r.text
    bought(se, seats=[0], cost="30.00")
    r = http.get(f"/orgs/{se.org_id}/analytics/profit?group_by=supplier&format=csv", token=owner)
    cells = [c for row in csv.reader(io.StringIO(r.text)) for c in row]
    assert "'" + formula in cells and not any(c.startswith("=") for c in cells)
    rows = http.get(f"/orgs/{se.org_id}/analytics/profit?group_by=supplier", token=owner).json()
    assert formula in [row["label"] for row in rows]
