"""The client processes of bench/holds.py: each runs rounds of one layer on its own slice of
buyers, with its own connections, and reports latencies and outcomes through a pipe."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import time
import uuid
from collections import Counter
from typing import Any


class Client:
    """One client process: a connection per layer, its own slice of users."""

    def __init__(self, user_ids: list[str], port: int | None) -> None:
        self.user_ids = [uuid.UUID(u) for u in user_ids]
        self.port = port
        self.raw = None
        self.raw_sync = None
        self.http: http.client.HTTPConnection | None = None
        self.tokens: dict[uuid.UUID, str] = {}
        # Imports and the first connection outside the timed loop (a warm-up round follows).
        from ticketing.db import get_engine
        from ticketing.services import live_changes  # noqa: F401  (imported lazily by the first sale)
        from ticketing.services.sales import holds, orders  # noqa: F401

        get_engine().connect().close()

    # raw SQL: the same workload as one conditional update per step, each its own transaction
    # with the durability the app gives that step (a hold commits asynchronously, a checkout
    # synchronously: docs/decisions.md), in autocommit like the app's hold statement.
    def raw_op(self, place_id: int, flow: str) -> str:
        import psycopg

        if self.raw is None:
            self.raw = psycopg.connect(os.environ["BENCH_PSYCOPG_URL"], autocommit=True)
        cur = self.raw.execute(
            "UPDATE bench_places SET held = held + 1 WHERE id = %s AND sold + held + 1 <= capacity"
            " RETURNING set_config('synchronous_commit', 'off', true)",
            (place_id,),
        )
        if cur.rowcount != 1:
            return "insufficient_capacity"
        if flow == "hold+checkout":
            self.raw.execute("UPDATE bench_places SET held = held - 1, pending = pending + 1 WHERE id = %s",
                             (place_id,))
        return "ok"

    def raw_sync_op(self, place_id: int, flow: str) -> str:
        """The same steps, each in BEGIN / UPDATE / COMMIT committing synchronously."""
        import psycopg

        if self.raw_sync is None:
            self.raw_sync = psycopg.connect(os.environ["BENCH_PSYCOPG_URL"])
        with self.raw_sync.transaction():
            cur = self.raw_sync.execute(
                "UPDATE bench_places SET held = held + 1 WHERE id = %s AND sold + held + 1 <= capacity", (place_id,))
            if cur.rowcount != 1:
                return "insufficient_capacity"
        if flow == "hold+checkout":
            with self.raw_sync.transaction():
                self.raw_sync.execute(
                    "UPDATE bench_places SET held = held - 1, pending = pending + 1 WHERE id = %s", (place_id,))
        return "ok"

    def raw_record_op(self, place_id: int, flow: str) -> str:
        """The floor of a hold that is written down: the same conditional UPDATE plus one row
        saying who holds how many places until when (what any hold must record to expire, be
        released or checked out), one statement in autocommit committing asynchronously; the
        checkout moves the places to pending and the row to its payment deadline, synchronously."""
        import psycopg

        if self.raw is None:
            self.raw = psycopg.connect(os.environ["BENCH_PSYCOPG_URL"], autocommit=True)
        hold_id = uuid.uuid4()
        cur = self.raw.execute(
            "WITH p AS (UPDATE bench_places SET held = held + 1 WHERE id = %(place)s AND sold + held + 1 <= capacity"
            " RETURNING id)"
            " INSERT INTO bench_holds (id, place_id, user_id, quantity, expires_at)"
            " SELECT %(id)s, p.id, %(user)s, 1, now() + interval '15 minutes' FROM p"
            " RETURNING set_config('synchronous_commit', 'off', true)",
            {"place": place_id, "id": hold_id, "user": uuid.uuid4()},
        )
        if cur.rowcount != 1:
            return "insufficient_capacity"
        if flow == "hold+checkout":
            self.raw.execute(
                "WITH p AS (UPDATE bench_places SET held = held - 1, pending = pending + 1 WHERE id = %(place)s)"
                " UPDATE bench_holds SET order_id = gen_random_uuid(), expires_at = now() + interval '15 minutes'"
                " WHERE id = %(id)s", {"place": place_id, "id": hold_id})
        return "ok"

    def service_op(self, event_id: uuid.UUID, type_id: uuid.UUID, user_id: uuid.UUID, flow: str,
                   inline_mail: bool = False, promo_code: str | None = None) -> str:
        """`inline_mail` (layer service+mail): a free order's confirmation is rendered and written
        in the request after commit, as POST /checkout did before the job queue; otherwise it is
        queued as a job in the checkout's transaction, as POST /checkout does now."""
        from ticketing.db import session_scope
        from ticketing.jobs.queue import enqueue
        from ticketing.models.base import utcnow
        from ticketing.notifications import order_mail
        from ticketing.services.errors import ServiceError
        from ticketing.services.sales import holds, orders

        try:
            # What POST /holds runs (without an Idempotency-Key): a transaction of its own.
            hold, _ = holds.place_hold(event_id=event_id, user_id=user_id, items=[(type_id, 1)], now=utcnow(),
                                       promo_code=promo_code)
            if flow in ("hold+checkout", "hold+free-checkout"):
                with session_scope() as db:
                    order = orders.checkout(db=db, hold_id=hold.id, user_id=user_id, attendees=None, now=utcnow())
                    if order.status == "confirmed" and not inline_mail:
                        enqueue(db, "order_confirmation", order_id=str(order.id))
                if order.status == "confirmed" and inline_mail:
                    order_mail.send_confirmation(order.id)
        except ServiceError as exc:
            return exc.code
        return "ok"

    def _post(self, path: str, body: dict[str, Any], token: str) -> tuple[int, dict[str, Any]]:
        for attempt in (1, 2):
            if self.http is None:
                self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.http.request("POST", path, body=json.dumps(body),
                                  headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                resp = self.http.getresponse()
                return resp.status, json.loads(resp.read() or b"{}")
            except (http.client.HTTPException, OSError):
                self.http.close()
                self.http = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def api_op(self, event_id: uuid.UUID, type_id: uuid.UUID, user_id: uuid.UUID, flow: str,
               promo_code: str | None = None) -> str:
        from ticketing.models.base import utcnow
        from ticketing.services.accounts.tokens import issue_token

        token = self.tokens.get(user_id)
        if token is None:
            token = self.tokens[user_id] = issue_token(user_id=user_id, token_version=1, now=utcnow())
        request: dict[str, Any] = {"items": [{"ticket_type_id": str(type_id), "quantity": 1}]}
        if promo_code is not None:
            request["promo_code"] = promo_code
        status, body = self._post(f"/api/v1/events/{event_id}/holds", request, token)
        if status != 201:
            return body.get("code", f"http_{status}")
        if flow == "hold+checkout":
            status, body = self._post(f"/api/v1/holds/{body['id']}/checkout", {}, token)
            if status != 201:
                return body.get("code", f"http_{status}")
        return "ok"

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one round until its deadline; latencies of successful operations in seconds."""
        rng = random.Random(job["seed"])
        layer, flow, targets = job["layer"], job["flow"], job["targets"]
        event_id = uuid.UUID(job["event_id"]) if job["event_id"] else None
        latencies: list[float] = []
        outcomes: Counter = Counter()
        users = iter(self.user_ids)
        time.sleep(max(0.0, job["start_at"] - time.time()))
        deadline = job["start_at"] + job["seconds"]
        while time.time() < deadline:
            target = targets[rng.randrange(len(targets))]
            began = time.perf_counter()
            if layer == "raw-sql":
                outcome = self.raw_op(target, flow)
            elif layer == "raw-sql-sync":
                outcome = self.raw_sync_op(target, flow)
            elif layer == "raw-sql-record":
                outcome = self.raw_record_op(target, flow)
            else:
                user_id = next(users, None)
                if user_id is None:
                    outcomes["users_exhausted"] += 1
                    break
                if layer.startswith("service"):
                    outcome = self.service_op(event_id, uuid.UUID(target), user_id, flow,
                                              inline_mail=layer == "service+mail", promo_code=job.get("promo_code"))
                else:
                    outcome = self.api_op(event_id, uuid.UUID(target), user_id, flow, job.get("promo_code"))
            elapsed = time.perf_counter() - began
            outcomes[outcome] += 1
            if outcome == "ok":
                latencies.append(elapsed)
            elif outcome == "insufficient_capacity" and job.get("until_sold_out"):
                break
        return {"latencies": latencies, "outcomes": dict(outcomes), "ended": time.time()}


def client_main(pipe: Any, user_ids: list[str], port: int | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us through the pipe
    client = Client(user_ids, port)
    pipe.send("ready")
    while True:
        job = pipe.recv()
        if job is None:
            break
        try:
            pipe.send(client.run(job))
        except Exception as exc:  # report and stay alive: the parent prints it
            pipe.send({"error": f"{type(exc).__name__}: {exc}"})
