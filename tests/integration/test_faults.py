"""Fault tests with real processes (issue 15): the API (granian, 2 workers) sells while
PostgreSQL is restarted under it, and while Redis is killed under it and its live layer.

Each test starts what it breaks on a free port of its own (a pg_ctl cluster, a redis-server):
the shared PostgreSQL and Redis are never stopped.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg

from tests.conftest import migrate
from tests.services import OwnRedis
from tests.integration.test_claim_counters import shop
from tests.own_postgres import OwnPostgres
from ticketing.bus import RedisBus, set_bus
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiServer:
    """`granian ticketing.api:app` with 2 workers (the production server) on a free port."""

    def __init__(self, **env: str) -> None:
        self.port = _free_port()
        cmd = [sys.executable, "-m", "granian", "--interface", "asgi", "ticketing.api:app", "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", "2", "--no-access-log", "--log-level", "warning"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True,
                                     env={**os.environ, "GRANIAN_WORKERS": "2", **env})
        deadline = time.monotonic() + 60
        while self.get("/healthz")[0] != 200:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the API server did not start")
            time.sleep(0.2)

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            conn.request(method, path, None if body is None else json.dumps(body), headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else {}
        except (OSError, http.client.HTTPException):
            return 0, {}
        finally:
            conn.close()

    def get(self, path: str) -> tuple[int, dict]:
        return self.request("GET", path)

    def hold(self, event_id: Any, type_id: Any, token: str) -> tuple[int, dict]:
        return self.request("POST", f"/api/v1/events/{event_id}/holds",
                            {"items": [{"ticket_type_id": str(type_id), "quantity": 1}]}, token)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def wait_for(condition, what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def tokens_for(user_ids) -> dict:
    return {u: issue_token(user_id=u, token_version=1, now=utcnow()) for u in user_ids}


def test_postgres_restarted_during_a_sale_gives_busy_never_500_and_the_books_match():
    with OwnPostgres(max_connections=40) as pg:
        with psycopg.connect(pg.admin_url, autocommit=True) as admin:
            admin.execute("CREATE DATABASE sale")
        url = pg.url("sale")
        migrate(url)
        s = shop(url, capacity=60, buyers=120)
        tokens = tokens_for(s["buyers"])
        api = ApiServer(DATABASE_URL=url)
        try:
            waiting: queue.Queue = queue.Queue()
            for buyer in s["buyers"]:
                waiting.put(buyer)
            answers: list[tuple[Any, int, dict]] = []
            lock = threading.Lock()

            def sell() -> None:  # a buyer told `busy` comes back later, as Retry-After asks
                while True:
                    try:
                        buyer = waiting.get_nowait()
                    except queue.Empty:
                        return
                    status, body = api.hold(s["event_id"], s["type"], tokens[buyer])
                    with lock:
                        answers.append((buyer, status, body))
                    if status == 503:
                        time.sleep(0.2)
                        waiting.put(buyer)
                    time.sleep(0.05)  # a steady stream of buyers, not one burst

            sellers = [threading.Thread(target=sell) for _ in range(4)]
            for t in sellers:
                t.start()
            wait_for(lambda: sum(1 for _, st, _ in answers if st == 201) >= 10, "the first sales")
            pg.restart()  # fast shutdown: every session is cut (admin shutdown), then refused, then back
            for t in sellers:
                t.join(timeout=240)
            assert not any(t.is_alive() for t in sellers)
        finally:
            api.stop()

        statuses = Counter(status for _, status, _ in answers)
        codes = Counter(body.get("code") for _, status, body in answers if status >= 400)
        assert set(statuses) <= {201, 409, 503}, statuses  # never a 500, never no answer
        assert statuses[503] >= 1 and set(codes) <= {"busy", "insufficient_capacity", "active_hold_exists"}, codes
        # Every 503 was `busy`, with the problem body; sales went on after the restart.
        assert all(body.get("code") == "busy" for _, status, body in answers if status == 503)
        first_busy = next(i for i, (_, status, _) in enumerate(answers) if status == 503)
        assert any(status == 201 for _, status, _ in answers[first_busy:])
        # What the buyers were told is what the database holds: a hold granted whose answer
        # was lost to the restart is reported to its buyer's retry as active_hold_exists.
        told = {body["id"] for _, status, body in answers if status == 201}
        told |= {body["hold_id"] for _, status, body in answers if body.get("code") == "active_hold_exists"}
        with psycopg.connect(pg.url("sale", driver=False)) as conn:
            stored = {str(r[0]) for r in conn.execute("SELECT id FROM holds WHERE status = 'active'")}
            taken = conn.execute("SELECT claimed_held FROM sessions WHERE id = %s", (s["day"],)).fetchone()[0]
        assert stored == told
        assert len(told) == taken == 60  # sold out exactly: nothing oversold, nothing lost


def test_redis_killed_during_a_sale_the_api_sells_on_and_the_live_layer_pauses_and_recovers():
    from ticketing.realtime.hub import LiveHub
    from ticketing.realtime.views import apply_delta, load_snapshot

    redis_server = OwnRedis()
    redis_server.start()
    s = shop(capacity=50, buyers=30)
    tokens = tokens_for(s["buyers"])
    pushed: list[dict] = []

    async def emit(tokens_: list[str], view: str, values: dict) -> list[str]:
        pushed.append(values)
        return []

    set_bus(RedisBus(redis_server.url, publish_timeout=0.3, retry_max=0.3))
    hub = LiveHub(load_snapshot=load_snapshot, apply_delta=apply_delta, emit=emit, push_interval=0.01)
    loop = asyncio.new_event_loop()
    listener = threading.Thread(target=loop.run_forever, daemon=True)
    api = ApiServer(REDIS_URL=redis_server.url)

    def shown_available() -> int | None:
        figures = [p["sessions"][0]["available"] for p in pushed if "sessions" in p]
        return figures[-1] if figures else None

    try:
        hub.watch("tab-1", str(s["event_id"]), "customer")
        listener.start()
        asyncio.run_coroutine_threadsafe(hub.run(), loop)
        buyers = iter(s["buyers"])
        for _ in range(5):
            assert api.hold(s["event_id"], s["type"], tokens[next(buyers)])[0] == 201
        wait_for(lambda: shown_available() == 45, "live figures after the first sales")

        redis_server.stop()
        wait_for(lambda: {"live": False} in pushed, "the tab told that live updates are paused")
        for _ in range(10):  # the sale goes on without Redis, on both workers
            status, body = api.hold(s["event_id"], s["type"], tokens[next(buyers)])
            assert status == 201, body
        assert shown_available() == 45  # deaf while Redis is away (the page polls meanwhile)

        redis_server.start()  # same port
        wait_for(lambda: pushed.count({"live": True}) >= 1 and shown_available() == 35,
                 "live updates back with the figures of the sales made meanwhile")
        assert api.hold(s["event_id"], s["type"], tokens[next(buyers)])[0] == 201
        wait_for(lambda: shown_available() == 34, "a sale after recovery shown live")
    finally:
        api.stop()
        if listener.is_alive():
            loop.call_soon_threadsafe(lambda: [t.cancel() for t in asyncio.all_tasks(loop)])
            time.sleep(0.2)
            loop.call_soon_threadsafe(loop.stop)
        redis_server.stop()
        set_bus(None)
