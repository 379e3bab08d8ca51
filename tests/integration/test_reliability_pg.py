"""Reliability at the on-sale peak, in process on PostgreSQL (issue 15): a transient database
failure is a 503 `busy` with Retry-After and changes nothing; a checkout whose connection dies
leaves no order and a hold the buyer can still check out; a bug stays a 500 with a request id."""

from __future__ import annotations

import logging

import psycopg
import pytest
from sqlalchemy import text
from sqlmodel import select

from tests.builders import in_tx
from tests.conftest import ADMIN_URL, TEST_DATABASE_URL
from tests.integration.test_claim_counters import claim_sums, counters, shop
from ticketing import db as db_module
from ticketing.db import pg_driver, session_scope
from ticketing.models import EventSession, Hold, Order, OrderItem, PlaceClaim, Ticket
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token
from ticketing.services.errors import ServiceError
from ticketing.services.sales import holds, orders


def token_of(user_id) -> str:
    return issue_token(user_id=user_id, token_version=1, now=utcnow())


def terminate_backend(db) -> None:
    """Kill the server process of `db`'s connection from another connection, as a crash or an
    operator's pg_terminate_backend would: its next statement or commit fails."""
    pid = pg_driver(db).info.backend_pid
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


def rows_of(model, **where) -> list:
    with session_scope(readonly=True) as db:
        query = select(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return list(db.exec(query).all())


@pytest.fixture
def checkout_loses_its_connection(monkeypatch):
    """The next orders.checkout does all its writes, then its connection dies before commit."""
    real = orders.checkout
    calls = []

    def dying_checkout(*, db, **kwargs):
        order = real(db=db, **kwargs)
        if not calls:
            calls.append(order.id)
            terminate_backend(db)
        return order

    monkeypatch.setattr(orders, "checkout", dying_checkout)
    return calls


def test_a_checkout_whose_connection_dies_leaves_no_order_and_a_hold_that_still_checks_out(
        api, checkout_loses_its_connection):
    s = shop(capacity=5)
    buyer = s["buyers"][0]
    hold = holds.place_hold(event_id=s["event_id"], user_id=buyer, items=[(s["type"], 2)], now=utcnow())[0]
    claims_before = sorted((c.id, c.quantity, c.order_id) for c in rows_of(PlaceClaim, hold_id=hold.id))

    failed = api.post(f"/holds/{hold.id}/checkout", token=token_of(buyer), json={})

    assert failed.status_code == 503, failed.text
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.json()["code"] == "busy" and failed.headers["Retry-After"]
    assert checkout_loses_its_connection, "the checkout ran and its connection was killed"
    # Nothing half done: the order it had written is gone with its transaction...
    assert rows_of(Order) == [] and rows_of(OrderItem) == [] and rows_of(Ticket) == []
    # ...and the hold is as it was: live, with its claims, counted on the counters.
    assert rows_of(Hold, id=hold.id)[0].status == "active"
    assert sorted((c.id, c.quantity, c.order_id) for c in rows_of(PlaceClaim, hold_id=hold.id)) == claims_before
    assert counters(EventSession, s["day"]) == claim_sums(s["day"]) == (2, 0)

    again = api.post(f"/holds/{hold.id}/checkout", token=token_of(buyer), json={})

    assert again.status_code == 201, again.text
    assert again.json()["status"] == "pending"
    assert [o.hold_id for o in rows_of(Order)] == [hold.id]
    assert counters(EventSession, s["day"]) == claim_sums(s["day"]) == (0, 2)


def test_a_service_checkout_killed_before_commit_is_busy_and_rolled_back(checkout_loses_its_connection):
    s = shop(capacity=5)
    buyer = s["buyers"][0]
    hold = in_tx(holds.hold_tickets, event_id=s["event_id"], user_id=buyer, items=[(s["type"], 1)], now=utcnow())

    with pytest.raises(ServiceError) as refused:
        in_tx(orders.checkout, hold_id=hold.id, user_id=buyer, attendees=None, now=utcnow())

    assert refused.value.code == "busy" and refused.value.status == 503
    assert rows_of(Order) == []
    order = in_tx(orders.checkout, hold_id=hold.id, user_id=buyer, attendees=None, now=utcnow())
    assert order.hold_id == hold.id


def test_no_free_pooled_connection_in_time_is_busy_not_500(api, monkeypatch):
    s = shop(capacity=5)
    # This process's engine as a deployment with a budget of 2 connections and a short wait.
    monkeypatch.setenv("DB_CONNECTION_BUDGET", "2")
    monkeypatch.setenv("DB_POOL_TIMEOUT_S", "0.2")
    engine = db_module._make_engine(TEST_DATABASE_URL)
    monkeypatch.setitem(db_module._engines, TEST_DATABASE_URL, engine)
    assert engine.pool.size() == 2
    taken = [engine.connect() for _ in range(2)]  # every connection of the budget, busy elsewhere
    try:
        r = api.get(f"/events/{s['event_id']}/availability")
        hold = api.post(f"/events/{s['event_id']}/holds", token=token_of(s["buyers"][0]),
                        json={"items": [{"ticket_type_id": str(s["type"]), "quantity": 1}]})
    finally:
        for conn in taken:
            conn.close()
        engine.dispose()
    for answer in (r, hold):
        assert answer.status_code == 503, answer.text
        assert answer.json()["code"] == "busy" and answer.headers["Retry-After"]
    assert rows_of(Hold) == []
    assert api.get(f"/events/{s['event_id']}/availability").status_code == 200  # and then it works


def test_a_programming_error_stays_500_with_a_logged_request_id(api, monkeypatch, caplog):
    s = shop(capacity=5)

    def broken(*, db, **_kwargs):
        db.execute(text("SELECT no_such_column FROM sessions"))  # a bug, not a busy database

    monkeypatch.setattr("ticketing.api.sales.event_availability", broken)
    with caplog.at_level(logging.ERROR, logger="ticketing.api.problems"):
        r = api.get(f"/events/{s['event_id']}/availability", headers={"X-Request-ID": "req-42.abc"})
        unnamed = api.get(f"/events/{s['event_id']}/availability")

    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "internal_error" and r.json()["request_id"] == "req-42.abc"
    assert "Retry-After" not in r.headers
    generated = unnamed.json()["request_id"]
    assert len(generated) == 32 and unnamed.headers["X-Request-ID"] == generated
    logged = " ".join(rec.getMessage() for rec in caplog.records)
    assert "req-42.abc" in logged and generated in logged


def test_readyz_says_which_dependency_does_not_answer(api, monkeypatch):
    from dataclasses import replace

    from ticketing.api import health
    from ticketing.settings import get_settings

    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "redis": "not_configured"}

    monkeypatch.setattr(health, "get_settings", lambda: replace(get_settings(), redis_url="redis://127.0.0.1:1/0"))
    down = api.client.get("/readyz")
    assert down.status_code == 503 and down.headers["content-type"] == "application/problem+json"
    assert down.json()["code"] == "not_ready"
    assert down.json()["checks"] == {"database": "ok", "redis": "unreachable"}
