"""The connection budget (one setting for the deployment, split over its workers) and which
database failures count as transient (503 `busy`) rather than bugs (500)."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tests.conftest import TEST_DATABASE_URL
from ticketing.db import session_scope
from ticketing.db_budget import (default_budget, is_transient, pool_shape, read_server_limits, transient_kind,
                                 worker_count)
from ticketing.services.errors import ServiceError
from ticketing.state import calls


def test_each_worker_gets_its_share_of_the_budget_without_overflow():
    shape = pool_shape(TEST_DATABASE_URL, {"DB_CONNECTION_BUDGET": "40", "GRANIAN_WORKERS": "4"})
    assert (shape.budget, shape.workers, shape.pool_size, shape.source) == (40, 4, 10, "setting")
    assert pool_shape(TEST_DATABASE_URL, {"DB_CONNECTION_BUDGET": "13", "GRANIAN_WORKERS": "4"}).pool_size == 3
    # Fewer connections than workers: each still gets one (and the log says the budget is short).
    assert pool_shape(TEST_DATABASE_URL, {"DB_CONNECTION_BUDGET": "2", "GRANIAN_WORKERS": "4"}).pool_size == 1


def test_the_default_budget_is_read_from_the_server_and_stays_well_under_its_limit():
    max_connections, reserved = read_server_limits(TEST_DATABASE_URL)
    shape = pool_shape(TEST_DATABASE_URL, {"GRANIAN_WORKERS": "4"})
    assert shape.source == "server"
    assert shape.budget == default_budget(max_connections, reserved) <= (max_connections - reserved) // 2
    assert default_budget(100, 3) == 40 and default_budget(30, 3) == 13 and default_budget(4, 3) == 1


def test_an_unreachable_server_falls_back_to_a_small_budget():
    shape = pool_shape("postgresql+psycopg://postgres@127.0.0.1:1/none", {"GRANIAN_WORKERS": "2"})
    assert (shape.source, shape.budget, shape.pool_size) == ("fallback", 20, 10)


def test_the_worker_count_follows_granian_then_reflex():
    assert worker_count({"GRANIAN_WORKERS": "6", "WEB_CONCURRENCY": "3"}) == 6
    assert worker_count({"WEB_CONCURRENCY": "3"}) == 3
    assert worker_count({}) == 1  # no Redis: Reflex runs one worker
    assert 3 <= worker_count({"REDIS_URL": "redis://x"}) <= 8  # Reflex: 2 x CPUs + 1, at most 8


def test_transient_failures_and_bugs_are_told_apart():
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect("postgresql://postgres@127.0.0.1:1/none", connect_timeout=2)
    assert is_transient(refused.value)
    assert is_transient(OperationalError("x", {}, refused.value))
    assert is_transient(PoolTimeout("QueuePool limit reached"))
    for state in ("40001", "40P01", "55P03", "53300", "57P01", "08006"):
        assert is_transient(type("E", (Exception,), {"sqlstate": state})()), state
    assert not is_transient(type("E", (Exception,), {"sqlstate": "42703"})())  # undefined column
    assert not is_transient(IntegrityError("x", {}, Exception("duplicate key")))
    assert not is_transient(ValueError("a bug"))


def test_a_bug_in_a_scope_stays_itself_and_a_transient_failure_becomes_busy(caplog):
    with pytest.raises(ProgrammingError):
        with session_scope() as db:
            db.execute(text("SELECT no_such_column FROM sessions"))
    with pytest.raises(ServiceError) as busy:
        with session_scope() as db:
            db.execute(text("SELECT 1"))
            raise OperationalError("stmt", {}, type("E", (Exception,), {"sqlstate": "55P03"})())
    assert (busy.value.code, busy.value.status) == ("busy", 503)
    assert "busy: lock timeout" in caplog.text  # the log says why buyers were asked to retry


def test_each_transient_failure_is_named_for_the_log():
    def failing(state: str) -> Exception:
        return OperationalError("stmt", {}, type("E", (Exception,), {"sqlstate": state})())

    assert transient_kind(PoolTimeout("QueuePool limit reached")) == "no pooled connection in time"
    assert [transient_kind(failing(s)) for s in ("55P03", "40P01", "40001", "53300", "08006")] == [
        "lock timeout", "deadlock", "serialization failure", "too many clients", "connection failed"]


def test_a_page_call_is_tried_again_while_busy_then_says_so_calmly(monkeypatch):
    monkeypatch.setattr(calls, "BUSY_RETRY_PAUSES", (0.0, 0.0))
    tries = []

    def busy_twice() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise ServiceError("busy", "busy")
        return "sold"

    assert asyncio.run(calls.off_loop(busy_twice)) == "sold" and len(tries) == 3

    def always_busy() -> None:
        raise ServiceError("busy", "busy")

    with pytest.raises(ServiceError) as exc:
        asyncio.run(calls.off_loop(always_busy))
    assert exc.value.code == "busy" and exc.value.message == calls.BUSY_PAGE_MESSAGE

    def refused() -> None:
        tries.append(1)
        raise ServiceError("insufficient_capacity", "sold out")

    tries.clear()
    with pytest.raises(ServiceError):
        asyncio.run(calls.off_loop(refused))
    assert len(tries) == 1  # a refusal is not tried again


def test_every_operation_documents_busy_and_internal_error_as_problems():
    from ticketing.api import app

    doc = app.openapi()
    assert doc["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status", "code", "detail"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            where = f"{method} {path}"
            assert "application/problem+json" in op["responses"]["500"]["content"], where
            if path.startswith("/api/"):
                assert "Retry-After" in op["responses"]["503"]["headers"], where
                assert "`busy`" in op["responses"]["503"]["description"], where
    hold = doc["paths"]["/api/v1/events/{event_id}/holds"]["post"]["responses"]
    assert "`insufficient_capacity`" in hold["409"]["description"]
    assert "`not_authenticated`" in hold["401"]["description"]
    assert "`malformed_json`" in hold["400"]["description"]
