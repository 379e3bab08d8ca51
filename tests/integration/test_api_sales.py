"""The buying API end to end over HTTP (in-process ASGI) on PostgreSQL: shapes, every error code
of the Availability and Buying sections, bad input, tenant isolation, idempotency."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import func, select

from tests.api_client import Api
from tests.builders import make_buyers, make_event, make_session, make_ticket_type
from tests.factories import make_org
from tests.pdf_text import pdf_pages
from tests.spies import record_outcomes
from ticketing.db import session_scope
from ticketing.models import Event, EventStatus, Hold, Order, PlaceClaim, SessionPrerequisite, TicketType, User
from ticketing.models.base import utcnow
from ticketing.services.accounts import accounts
from ticketing.services.accounts.tokens import issue_token
from ticketing.services.sales import holds, orders

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


def person(db, name="Buyer") -> dict:
    user = make_buyers(db, 1, name=name)[0]
    return {"id": str(user.id), "token": issue_token(user_id=user.id, token_version=user.token_version, now=utcnow())}


@pytest.fixture
def shop():
    """A published event of one organization, its owner, two buyers, and a stranger's org."""
    now = utcnow()
    with session_scope() as db:
        owner = person(db, "Owner")
        org = make_org(db, owner=db.get(User, uuid.UUID(owner["id"])))
        event = make_event(db, org=org, title="Live", max_tickets_per_order=5, payment_minutes=30)
        start = now + timedelta(days=10)
        hot = make_session(db, event=event, name="Hot", capacity=2, starts_at=start)
        big = make_session(db, event=event, name="Big", capacity=50, starts_at=start + timedelta(days=1))
        adv = make_session(db, event=event, name="Advanced", capacity=10, starts_at=start + timedelta(days=2))
        db.add(SessionPrerequisite(session_id=adv.id, prerequisite_session_id=big.id))
        types = {
            "hot": make_ticket_type(db, event=event, name="Hot", sessions=[hot], price_minor=2300),
            "quota": make_ticket_type(db, event=event, name="Quota", sessions=[big], price_minor=1000, max_quantity=2),
            "later": make_ticket_type(db, event=event, name="Later", sessions=[big], price_minor=1000,
                                      sale_starts_at=now + timedelta(days=1)),
            "pair": make_ticket_type(db, event=event, name="Pair", sessions=[big], price_minor=500,
                                     min_per_order=2, max_per_order=3),
            "adv": make_ticket_type(db, event=event, name="Advanced", sessions=[adv], price_minor=4000),
            "big": make_ticket_type(db, event=event, name="Big", sessions=[big], price_minor=1999),
            "free": make_ticket_type(db, event=event, name="Free", sessions=[big], price_minor=0),
        }
        other_org = make_org(db, owner=make_buyers(db, 1)[0])
        other_event = make_event(db, org=other_org, title="Elsewhere")
        other_type = make_ticket_type(db, event=other_event, name="Theirs", price_minor=100,
                                      sessions=[make_session(db, event=other_event, name="X", capacity=9)])
        data = {
            "event": str(event.id), "org": str(org.id), "owner": owner, "a": person(db, "Ann"), "b": person(db, "Bob"),
            "types": {k: str(t.id) for k, t in types.items()}, "sessions": {"hot": str(hot.id), "big": str(big.id),
                                                                           "adv": str(adv.id)},
            "foreign_type": str(other_type.id), "foreign_event": str(other_event.id),
        }
    return data


@pytest.fixture
def http(localstripe):
    return Api()


def items(shop, **quantities):
    return {"items": [{"ticket_type_id": shop["types"][k], "quantity": q} for k, q in quantities.items()]}


def hold(http, shop, who="a", **quantities):
    return http.post(f"/events/{shop['event']}/holds", token=shop[who]["token"], json=items(shop, **quantities))


def problem(r, status, code):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code and body["status"] == status, body
    return body


def expire_everything_of(hold_id: str) -> None:
    """Move a hold and its claims into the past, as if its minutes ran out."""
    past = utcnow() - timedelta(minutes=1)
    with session_scope() as db:
        db.exec(update(Hold).where(Hold.id == uuid.UUID(hold_id)).values(expires_at=past))
        db.exec(update(PlaceClaim).where(PlaceClaim.hold_id == uuid.UUID(hold_id)).values(expires_at=past))


# --- availability --------------------------------------------------------------------------


def test_availability_is_public_with_money_strings_and_offset_times(http, shop):
    hold(http, shop, hot=1)
    r = http.get(f"/events/{shop['event']}/availability")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"event_id", "version", "as_of", "sessions", "ticket_types"}
    assert body["event_id"] == shop["event"] and body["version"] == 1 and ISO_WITH_OFFSET.match(body["as_of"])
    hot = next(s for s in body["sessions"] if s["id"] == shop["sessions"]["hot"])
    assert {k: hot[k] for k in ("capacity", "sold", "pending", "held", "available", "status")} == {
        "capacity": 2, "sold": 0, "pending": 0, "held": 1, "available": 1, "status": "available"}  # 50 %
    types = {t["id"]: t for t in body["ticket_types"]}
    t = types[shop["types"]["hot"]]
    assert (t["price"], t["currency"], t["available"], t["is_available"], t["reason"], t["bottleneck_session_id"]) == (
        "23.00", "EUR", 1, True, None, shop["sessions"]["hot"])
    assert types[shop["types"]["later"]]["reason"] == "not_on_sale_yet"
    assert types[shop["types"]["free"]]["price"] == "0.00"


def test_draft_availability_is_hidden_except_from_staff(http, shop):
    with session_scope() as db:
        db.exec(update(Event).where(Event.id == uuid.UUID(shop["event"])).values(status=EventStatus.draft.value))
    path = f"/events/{shop['event']}/availability"
    problem(http.get(path), 404, "not_found")
    problem(http.get(path, token=shop["a"]["token"]), 404, "not_found")
    assert http.get(path, token=shop["owner"]["token"]).status_code == 200
    problem(http.get(path, token="not-a-jwt"), 401, "invalid_token")
    problem(http.get(f"/events/{uuid.uuid4()}/availability"), 404, "not_found")
    problem(http.get("/events/not-a-uuid/availability"), 422, "validation_error")


# --- holds ---------------------------------------------------------------------------------


def test_hold_get_and_release(http, shop):
    r = hold(http, shop, hot=2, big=1)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) >= {"id", "expires_at", "items", "total", "currency"}
    assert body["total"] == "65.99" and body["currency"] == "EUR" and ISO_WITH_OFFSET.match(body["expires_at"])
    assert sorted((i["quantity"], i["unit_price"]) for i in body["items"]) == [(1, "19.99"), (2, "23.00")]
    path = f"/holds/{body['id']}"
    assert http.get(path, token=shop["a"]["token"]).json()["status"] == "active"
    problem(http.get(path, token=shop["b"]["token"]), 404, "not_found")
    problem(http.delete(path, token=shop["b"]["token"]), 404, "not_found")
    problem(hold(http, shop, "b", hot=1), 409, "insufficient_capacity")
    assert http.delete(path, token=shop["a"]["token"]).status_code == 204
    assert http.delete(path, token=shop["a"]["token"]).status_code == 204
    assert hold(http, shop, "b", hot=2).status_code == 201


def test_every_hold_refusal_code(http, shop):
    body = problem(hold(http, shop, hot=3), 409, "insufficient_capacity")
    assert (body["session_id"], body["available"]) == (shop["sessions"]["hot"], 2)
    body = problem(hold(http, shop, quota=3), 409, "quota_reached")
    assert body["available"] == 2
    body = problem(hold(http, shop, adv=1), 409, "prerequisite_missing")
    assert body["prerequisite_session_id"] == shop["sessions"]["big"]
    problem(hold(http, shop, later=1), 422, "not_on_sale")
    problem(hold(http, shop, pair=1), 422, "quantity_out_of_range")
    problem(hold(http, shop, pair=4), 422, "quantity_out_of_range")
    problem(hold(http, shop, big=4, quota=2), 422, "max_per_order_exceeded")
    for qty in (0, -1, 10**12):
        problem(hold(http, shop, big=qty), 422, "invalid_quantity")
    seat = str(uuid.uuid4())
    r = http.post(f"/events/{shop['event']}/holds", token=shop["a"]["token"],
                  json={**items(shop, big=1), "seat_ids": [seat]})
    assert problem(r, 409, "seat_unavailable")["seat_ids"] == [seat]
    first = hold(http, shop, adv=1, big=1)
    assert first.status_code == 201
    assert problem(hold(http, shop, big=1), 409, "active_hold_exists")["hold_id"] == first.json()["id"]


def test_already_attending_when_the_event_allows_one_ticket_per_attendee(http, shop):
    with session_scope() as db:
        db.exec(update(Event).where(Event.id == uuid.UUID(shop["event"])).values(one_ticket_per_attendee=True))
    assert problem(hold(http, shop, big=2), 409, "already_attending")["session_id"] == shop["sessions"]["big"]
    h = hold(http, shop, free=1).json()
    assert http.post(f"/holds/{h['id']}/checkout", token=shop["a"]["token"], json={}).json()["status"] == "confirmed"
    problem(hold(http, shop, big=1), 409, "already_attending")


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ('{"items": [', 400, "malformed_json"),
        ('{"items": [{"ticket_type_id": "TT", "quantity": 1}], "coupon": "FREE"}', 422, "unknown_field"),
        ('{"items": [{"ticket_type_id": "TT", "quantity": 1, "price": "0.00"}]}', 422, "unknown_field"),
        ('{"items": [{"ticket_type_id": "TT", "quantity": "2"}]}', 422, "validation_error"),
        ('{"items": [{"ticket_type_id": "TT", "quantity": 1.5}]}', 422, "validation_error"),
        ('{"items": [{"ticket_type_id": "TT", "quantity": true}]}', 422, "validation_error"),
        ('{"items": [{"ticket_type_id": "nope", "quantity": 1}]}', 422, "validation_error"),
        ('{"items": {"ticket_type_id": "TT", "quantity": 1}}', 422, "validation_error"),
        ('{"items": []}', 422, "validation_error"),
        ("{}", 422, "validation_error"),
        ("[]", 422, "validation_error"),
    ],
)
def test_bad_hold_bodies(http, shop, payload, status, code):
    r = http.post(f"/events/{shop['event']}/holds", token=shop["a"]["token"],
                  content=payload.replace("TT", shop["types"]["big"]), headers={"Content-Type": "application/json"})
    problem(r, status, code)
    with session_scope(readonly=True) as db:
        assert db.exec(select(func.count()).select_from(Hold)).one() == 0


def test_no_token_no_hold_and_foreign_ids_are_not_found(http, shop):
    problem(http.post(f"/events/{shop['event']}/holds", json=items(shop, big=1)), 401, "not_authenticated")
    foreign = {"items": [{"ticket_type_id": shop["foreign_type"], "quantity": 1}]}
    r = http.post(f"/events/{shop['event']}/holds", token=shop["a"]["token"], json=foreign)
    body = problem(r, 404, "not_found")
    assert body["ticket_type_id"] == shop["foreign_type"]
    # Another organization's draft event, addressed directly, is not even acknowledged.
    with session_scope() as db:
        db.exec(update(Event).where(Event.id == uuid.UUID(shop["foreign_event"])).values(status="draft"))
    r = http.post(f"/events/{shop['foreign_event']}/holds", token=shop["a"]["token"], json=foreign)
    problem(r, 404, "not_found")
    problem(http.get(f"/events/{shop['foreign_event']}/availability", token=shop["owner"]["token"]), 404, "not_found")


def test_a_token_signed_out_everywhere_holds_nothing_on_any_path(http, shop):
    """The hold checks the token's version in its own statement (on the counters), or reads it
    first (the exact path, and before any other refusal): every way in answers invalid_token."""
    with session_scope() as db:
        accounts.sign_out_everywhere(db=db, user_id=uuid.UUID(shop["a"]["id"]))
    seat = {**items(shop, big=1), "seat_ids": [str(uuid.uuid4())]}
    attempts = [
        items(shop, big=1),  # granted on the counters for a current token
        items(shop, hot=3),  # refused by the counters, then by the exact path
        items(shop, adv=1),  # prerequisites: the exact path only
        seat,  # seats: the exact path only
        items(shop, later=1),  # a sale rule, checked before the statement
        {"items": [{"ticket_type_id": shop["foreign_type"], "quantity": 1}]},  # not this event's
    ]
    for body in attempts:
        problem(http.post(f"/events/{shop['event']}/holds", token=shop["a"]["token"], json=body), 401,
                "invalid_token")
    problem(http.post(f"/events/{shop['event']}/holds", token=shop["a"]["token"], json=items(shop, big=1),
                      headers={"Idempotency-Key": "k"}), 401, "invalid_token")
    gone = issue_token(user_id=uuid.uuid4(), token_version=1, now=utcnow())  # no such user
    problem(http.post(f"/events/{shop['event']}/holds", token=gone, json=items(shop, big=1)), 401, "invalid_token")
    with session_scope(readonly=True) as db:
        assert db.exec(select(func.count()).select_from(Hold)).one() == 0
        assert db.exec(select(func.count()).select_from(PlaceClaim)).one() == 0
    # Bob's token is current: the same basket is his.
    assert hold(http, shop, who="b", big=1).status_code == 201


def test_a_hold_the_counters_refuse_does_not_read_the_token_again(http, shop, monkeypatch):
    """The refused statement has checked the token: the exact path that answers does not read it."""
    reads = record_outcomes(monkeypatch, holds, "check_token_version", lambda _: True)
    problem(hold(http, shop, hot=3), 409, "insufficient_capacity")  # counters, then the exact path
    assert reads == []
    problem(hold(http, shop, adv=1), 409, "prerequisite_missing")  # the exact path only: read first
    assert reads == [True]


# --- idempotency ---------------------------------------------------------------------------


def test_idempotent_hold_replays_and_refuses_a_different_body(http, shop):
    path, token = f"/events/{shop['event']}/holds", shop["a"]["token"]
    headers = {"Idempotency-Key": "cart-1"}
    first = http.post(path, token=token, json=items(shop, big=2), headers=headers)
    again = http.post(path, token=token, json=items(shop, big=2), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    problem(http.post(path, token=token, json=items(shop, big=3), headers=headers), 422, "idempotency_key_reused")
    # Keys are per user: Bob's "cart-1" is his own.
    assert http.post(path, token=shop["b"]["token"], json=items(shop, big=2), headers=headers).status_code == 201
    problem(http.post(path, token=token, json=items(shop, big=1), headers={"Idempotency-Key": "x" * 256}), 422,
            "invalid_idempotency_key")
    with session_scope(readonly=True) as db:
        assert db.exec(select(func.count()).select_from(Hold)).one() == 2


def test_a_failed_request_stores_nothing_under_its_key(http, shop):
    path, token, headers = f"/events/{shop['event']}/holds", shop["a"]["token"], {"Idempotency-Key": "k"}
    problem(http.post(path, token=token, json=items(shop, hot=3), headers=headers), 409, "insufficient_capacity")
    assert http.post(path, token=token, json=items(shop, hot=2), headers=headers).status_code == 201


def test_concurrent_requests_with_one_key_make_one_hold(shop):
    path, token = f"/events/{shop['event']}/holds", shop["a"]["token"]
    barrier, results = threading.Barrier(4), []

    def send():
        client = Api()
        barrier.wait(timeout=10)
        results.append(client.post(path, token=token, json=items(shop, big=1), headers={"Idempotency-Key": "race"}))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [201] * 4, [r.text for r in results]
    assert len({r.json()["id"] for r in results}) == 1
    with session_scope(readonly=True) as db:
        assert db.exec(select(func.count()).select_from(Hold)).one() == 1


# --- checkout, orders ----------------------------------------------------------------------


def test_checkout_order_and_my_orders(http, shop):
    h = hold(http, shop, big=2).json()
    attendees = {"attendees": [{"name": "Ann", "email": "ann@example.com"}, {"name": "Cy", "email": "cy@example.com"}]}
    r = http.post(f"/holds/{h['id']}/checkout", token=shop["a"]["token"], json=attendees,
                  headers={"Idempotency-Key": "pay-1"})
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "pending" and order["total"] == "39.98"
    assert order["payment"]["provider"] == "stripe" and order["payment"]["client_secret"].startswith("pi_")
    assert re.match(r"^ORD-\d{8}-0001$", order["number"]) and ISO_WITH_OFFSET.match(order["payment_due_at"])
    assert order["price_changed"] is False
    again = http.post(f"/holds/{h['id']}/checkout", token=shop["a"]["token"], json=attendees,
                      headers={"Idempotency-Key": "pay-1"})
    assert again.status_code == 201 and again.json()["id"] == order["id"]
    assert again.json()["payment"] == order["payment"]  # the same PaymentIntent, never a second one
    problem(http.post(f"/holds/{h['id']}/checkout", token=shop["a"]["token"], json={}), 409, "hold_converted")
    problem(http.post(f"/holds/{h['id']}/checkout", token=shop["b"]["token"], json={}), 404, "not_found")
    got = http.get(f"/orders/{order['id']}", token=shop["a"]["token"]).json()
    assert [(t["holder_name"], t["status"], t["seat"], t["session_ids"]) for t in got["tickets"]] == [
        ("Ann", "pending", None, [shop["sessions"]["big"]]), ("Cy", "pending", None, [shop["sessions"]["big"]])]
    assert got["items"] == [{"ticket_type_id": shop["types"]["big"], "quantity": 2, "unit_price": "19.99",
                             "discount": "0.00"}]
    problem(http.get(f"/orders/{order['id']}", token=shop["b"]["token"]), 404, "not_found")
    mine = http.get("/me/orders", token=shop["a"]["token"]).json()
    assert [o["id"] for o in mine] == [order["id"]] and http.get("/me/orders", token=shop["b"]["token"]).json() == []


def test_checkout_bad_bodies(http, shop):
    h = hold(http, shop, big=2).json()
    path, token = f"/holds/{h['id']}/checkout", shop["a"]["token"]
    problem(http.post(path, token=token, json={"attendees": [{"name": "A", "email": "a@example.com"}]}), 422,
            "attendees_mismatch")
    problem(http.post(path, token=token, json={"attendees": [], "promo": 1}), 422, "unknown_field")
    problem(http.post(path, token=token, content="{", headers={"Content-Type": "application/json"}), 400,
            "malformed_json")
    assert http.post(path, token=token).status_code == 201  # no body: the buyer holds every ticket


def test_free_order_confirms_at_once(http, shop):
    h = hold(http, shop, free=2).json()
    order = http.post(f"/holds/{h['id']}/checkout", token=shop["a"]["token"], json={}).json()
    assert (order["status"], order["total"], order["payment"], order["payment_due_at"]) == (
        "confirmed", "0.00", None, None)
    assert {t["status"] for t in order["tickets"]} == {"valid"}


def test_the_ticket_file_is_a_pdf_for_the_buyer_only(http, shop):
    h = hold(http, shop, free=2).json()
    order = http.post(f"/holds/{h['id']}/checkout", token=shop["a"]["token"], json={}).json()
    r = http.get(f"/orders/{order['id']}/tickets.pdf", token=shop["a"]["token"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert 'filename="ticket-' in r.headers["content-disposition"]
    pages = pdf_pages(r.content)
    assert len(pages) == 2 and all(order["number"] in page for page in pages)
    problem(http.get(f"/orders/{order['id']}/tickets.pdf", token=shop["b"]["token"]), 404, "not_found")
    assert http.get(f"/orders/{order['id']}/tickets.pdf").status_code == 401


def test_expired_hold_checkout(http, shop):
    gone = hold(http, shop, hot=2).json()
    expire_everything_of(gone["id"])
    assert hold(http, shop, "b", hot=1).status_code == 201
    body = problem(http.post(f"/holds/{gone['id']}/checkout", token=shop["a"]["token"], json={}), 409, "hold_expired")
    assert body["available"] == 1

    free = hold(http, shop, "b", big=1)
    assert free.status_code == 409  # Bob still has his live hold
    h = hold(http, shop, big=1).json()  # Ann's expired hold was closed by this new one
    expire_everything_of(h["id"])
    with session_scope() as db:
        db.exec(update(TicketType).where(TicketType.id == uuid.UUID(shop["types"]["big"])).values(price_minor=2500))
    order = http.post(f"/holds/{h['id']}/checkout", token=shop["a"]["token"], json={}).json()
    assert (order["total"], order["price_changed"], order["items"][0]["unit_price"]) == ("25.00", True, "25.00")


def test_cancel_refund_partial_and_by_organizer(http, shop):
    h = hold(http, shop, big=3).json()
    order = http.post(f"/holds/{h['id']}/checkout", token=shop["a"]["token"], json={}).json()
    with session_scope() as db:
        db.exec(update(Event).where(Event.id == uuid.UUID(shop["event"])).values(cancellation_fee_percent=10))
        orders.confirm_order(db=db, order_id=uuid.UUID(order["id"]), now=utcnow(), payment_reference="pi_x")
    first, second, third = [t["id"] for t in order["tickets"]]
    r = http.post(f"/orders/{order['id']}/cancel", token=shop["a"]["token"], json={"ticket_ids": [first]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["refund"], body["cancellation_fee"], body["cancelled_ticket_ids"]) == (
        "confirmed", "17.99", "2.00", [first])
    problem(http.post(f"/orders/{order['id']}/cancel", token=shop["a"]["token"], json={"ticket_ids": [first]}), 409,
            "not_cancellable")
    problem(http.post(f"/orders/{order['id']}/cancel", token=shop["b"]["token"], json={}), 404, "not_found")
    problem(http.post(f"/orders/{order['id']}/cancel", token=shop["a"]["token"], json={"ticket_ids": ["x"]}), 422,
            "validation_error")
    r = http.post(f"/orders/{order['id']}/cancel", token=shop["a"]["token"], json={"why": "x"})
    problem(r, 422, "unknown_field")
    by_owner = http.post(f"/orders/{order['id']}/cancel", token=shop["owner"]["token"]).json()
    assert (by_owner["status"], by_owner["refund"], sorted(by_owner["cancelled_ticket_ids"])) == (
        "cancelled", "39.98", sorted([second, third]))
    problem(http.post(f"/orders/{order['id']}/cancel", token=shop["a"]["token"]), 409, "not_cancellable")
    avail = http.get(f"/events/{shop['event']}/availability").json()
    assert next(s for s in avail["sessions"] if s["id"] == shop["sessions"]["big"])["sold"] == 0


def test_cancel_after_the_deadline_is_not_cancellable(http, shop):
    with session_scope() as db:
        db.exec(update(Event).where(Event.id == uuid.UUID(shop["event"])).values(cancellation_deadline_hours=24 * 30))
    h = hold(http, shop, free=1).json()
    order = http.post(f"/holds/{h['id']}/checkout", token=shop["a"]["token"], json={}).json()
    body = problem(http.post(f"/orders/{order['id']}/cancel", token=shop["a"]["token"]), 409, "not_cancellable")
    assert body["reason"] == "deadline_passed"


def test_transfer_issues_a_new_code(http, shop):
    h = hold(http, shop, free=1).json()
    order = http.post(f"/holds/{h['id']}/checkout", token=shop["a"]["token"], json={}).json()
    ticket = order["tickets"][0]
    path = f"/tickets/{ticket['id']}/transfer"
    r = http.post(path, token=shop["b"]["token"], json={"name": "Eve", "email": "eve@example.com"})
    problem(r, 404, "not_found")
    problem(http.post(path, token=shop["a"]["token"], json={"name": "Dee", "email": "nope"}), 422, "invalid_attendee")
    problem(http.post(path, token=shop["a"]["token"], json={"name": "Dee"}), 422, "validation_error")
    r = http.post(path, token=shop["a"]["token"], json={"name": "Dee", "email": "dee@example.com"})
    assert r.status_code == 200, r.text
    moved = r.json()
    assert moved["code"] != ticket["code"] and moved["code_version"] == 2 and moved["holder_name"] == "Dee"
    with session_scope(readonly=True) as db:
        assert db.exec(select(Order.status).where(Order.id == uuid.UUID(order["id"]))).one() == "confirmed"
