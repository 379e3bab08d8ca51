"""The on-sale stampede (issue 15): K buyers arrive at once for C places, through the API served
by N production-server workers on PostgreSQL. Does every buyer get a win or a clean refusal?

For each flow (hold-only, then hold + checkout, each on a fresh event with one session of C
places and one paid ticket type), K buyer threads each open their HTTP connection, wait at a
barrier, and then all send their request at the same instant; a buyer whose hold was granted
checks out at once in the second flow. Printed per flow:

  winners        buyers who got what they asked for (a hold; an order)
  refusals       4xx answers by problem code (insufficient_capacity is the clean "sold out")
  5xx            answers by status (503 `busy` is retryable; anything else is a bug)
  drain          from the barrier to the last answer; the slowest buyer's wait
  db check       oversold places (must be 0), the database's holds / orders against what buyers
                 were told, and holds left by a failed checkout; those buyers then retry their
                 checkout once, which shows whether the hold they kept can still be checked out

The server is `granian ticketing.api:app` (the production server of the app; the API alone, as
bench/holds.py runs it) with GRANIAN_WORKERS=N, so each worker's pool is its share of the
connection budget (DB_CONNECTION_BUDGET, default read from the server). `--own-cluster` runs all
of it against a PostgreSQL cluster of its own (pg_ctl, a free port, `--max-connections`,
default 30), never the shared one. It creates a fresh database, drops it, and stops by itself.

Run: `python bench/stampede.py` ; `python bench/stampede.py --own-cluster --max-connections 30`
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLOWS = ("hold", "hold+checkout")


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=4, help="server worker processes (default 4)")
    ap.add_argument("--buyers", type=int, default=400, help="buyers arriving at once (default 400)")
    ap.add_argument("--places", type=int, default=200, help="places on sale (default 200)")
    ap.add_argument("--flows", default=",".join(FLOWS), help="hold, hold+checkout or both (default both)")
    ap.add_argument("--budget", type=int, default=None,
                    help="DB_CONNECTION_BUDGET for the server (default: unset, derived from the server)")
    ap.add_argument("--own-cluster", action="store_true",
                    help="run against a PostgreSQL cluster of our own (pg_ctl, free port)")
    ap.add_argument("--max-connections", type=int, default=30, help="max_connections of --own-cluster (30)")
    args = ap.parse_args()
    if not (1 <= args.workers <= 16 and 1 <= args.buyers <= 2000 and 1 <= args.places <= 100_000):
        ap.error("keep it bounded: 1-16 workers, 1-2000 buyers")
    return args


class Buyer(threading.Thread):
    """One buyer: a connection of their own, a request when the barrier opens."""

    def __init__(self, port: int, token: str, type_id: str, flow: str, barrier: threading.Barrier) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.type_id, self.flow, self.barrier = port, token, type_id, flow, barrier
        self.hold: tuple[int, dict[str, Any]] | None = None
        self.checkout: tuple[int, dict[str, Any]] | None = None
        self.done_at = 0.0

    def post(self, conn: http.client.HTTPConnection, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            conn.request("POST", path, json.dumps(body), headers={
                "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
            resp = conn.getresponse()
            raw = resp.read()
            try:
                return resp.status, json.loads(raw or b"{}")
            except ValueError:
                return resp.status, {"code": "not_json"}
        except (http.client.HTTPException, OSError) as exc:
            return 0, {"code": f"no_answer ({type(exc).__name__})"}

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.connect()
        self.barrier.wait()
        self.hold = self.post(conn, f"/api/v1/events/{self.event_id}/holds",
                              {"items": [{"ticket_type_id": self.type_id, "quantity": 1}]})
        if self.flow == "hold+checkout" and self.hold[0] == 201:
            self.checkout = self.post(conn, f"/api/v1/holds/{self.hold[1]['id']}/checkout", {})
        self.done_at = time.monotonic()
        conn.close()

    event_id = ""


class Peak(threading.Thread):
    """The most server connections open at once during a flow (sampled every 50 ms, this one
    included), by state."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop, self.most, self.by_state = False, 0, {}

    def run(self) -> None:
        import psycopg

        with psycopg.connect(os.environ["BENCH_PSYCOPG_URL"].rsplit("/", 1)[0] + "/postgres", autocommit=True) as c:
            while not self.stop:
                rows = c.execute("SELECT coalesce(state, '-'), count(*) FROM pg_stat_activity"
                                 " WHERE backend_type = 'client backend' GROUP BY 1").fetchall()
                total = sum(n for _, n in rows)
                if total > self.most:
                    self.most, self.by_state = total, dict(rows)
                time.sleep(0.05)


def outcome(answer: tuple[int, dict[str, Any]] | None) -> tuple[int, str]:
    status, body = answer or (0, {})
    return status, str(body.get("code", "ok" if 200 <= status < 300 else f"http_{status}"))


def retry_checkout(port: int, token: str, hold_id: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", f"/api/v1/holds/{hold_id}/checkout", "{}",
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    status = conn.getresponse().status
    conn.close()
    return status


def run_flow(flow: str, *, port: int, tokens: list[str], owner_id: uuid.UUID, org_id: uuid.UUID,
             places: int) -> None:
    import psycopg
    from holds import make_event

    event = make_event(owner_id, org_id, hot_capacity=places, spread=0)
    type_id = event["hot"][0]
    barrier = threading.Barrier(len(tokens) + 1)
    Buyer.event_id = event["event_id"]
    buyers = [Buyer(port, token, type_id, flow, barrier) for token in tokens]
    for b in buyers:
        b.start()
    peak = Peak()
    peak.start()
    barrier.wait(timeout=120)  # every buyer is connected: go
    start = time.monotonic()
    for b in buyers:
        b.join(timeout=300)
    peak.stop = True
    peak.join()
    drain = max(b.done_at for b in buyers) - start
    holds = [outcome(b.hold) for b in buyers]
    checkouts = [outcome(b.checkout) for b in buyers if b.checkout is not None]
    final = checkouts if flow == "hold+checkout" else holds
    winners = sum(1 for status, _ in final if status == 201)
    # A checkout that committed but whose payment step then failed says so with the order's id.
    told_order = sum(1 for b in buyers if b.checkout is not None and b.checkout[0] != 201
                     and b.checkout[1].get("order_id"))
    refusals = Counter(code for status, code in holds + checkouts if 400 <= status < 500)
    errors = Counter(status for status, _ in holds + checkouts if status >= 500 or status == 0)
    answers = [b.hold for b in buyers] + [b.checkout for b in buyers if b.checkout is not None]
    busy = Counter(f"{body.get('code')}: {body.get('detail', '')}" for status, body in answers
                   if status >= 500 or status == 0)

    with psycopg.connect(os.environ["BENCH_PSYCOPG_URL"]) as conn:
        from holds import check_event

        check = check_event(conn, event["event_id"], flow, winners + told_order)
        failed = [b for b in buyers if b.checkout is not None and b.checkout[0] != 201
                  and not b.checkout[1].get("order_id")]
        kept = conn.execute("SELECT count(*) FROM holds WHERE id = ANY(%s) AND status = 'active'"
                            " AND expires_at > now()", ([b.hold[1]["id"] for b in failed],)).fetchone()[0]
    retried = Counter(retry_checkout(port, b.token, b.hold[1]["id"]) for b in failed)

    print(f"\n== {flow}: {len(tokens)} buyers for {places} places ==")
    print(f"winners        {winners}" + (f" (+{told_order} orders made whose payment step answered 503 with "
                                             f"the order id)" if told_order else ""))
    print(f"refusals       {dict(refusals) or '-'}")
    print(f"5xx            {dict(errors) or 0}" + (f"  codes {dict(busy)}" if busy else ""))
    print(f"drain          {drain:.2f} s (every buyer answered: {all(b.done_at for b in buyers)})")
    print(f"connections    at most {peak.most} open on the server at once (all clients) {peak.by_state}")
    print(f"db check       oversold {check['oversold']}, db matches buyers {check['db_matches']}")
    if flow == "hold+checkout":
        print(f"failed checkout {len(failed)} buyers, holds kept and live {kept}, "
              f"retry once -> {dict(retried) or '-'}")


def main() -> int:
    args = parse_args()
    own = None
    if args.own_cluster:
        from tests.own_postgres import OwnPostgres

        own = OwnPostgres(max_connections=args.max_connections)
        own.__enter__()
        os.environ["BENCH_DATABASE_ADMIN_URL"] = own.admin_url
    try:
        return bench(args, own)
    finally:
        if own is not None:
            own.destroy()


def bench(args: argparse.Namespace, own: Any) -> int:
    import holds
    from holds import admin, free_port, insert_users, migrate, start_localstripe, start_server, stop_process

    admin_url = os.environ.get("BENCH_DATABASE_ADMIN_URL", holds.ADMIN_URL)
    holds.ADMIN_URL = admin_url
    db_name = f"tk_stampede_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    server = admin_url.rsplit("/", 1)[0]
    os.environ["BENCH_PSYCOPG_URL"] = f"{server}/{db_name}"
    os.environ["DATABASE_URL"] = f"{server.replace('postgresql://', 'postgresql+psycopg://')}/{db_name}"
    os.environ.setdefault("JWT_SECRET", "bench-" + uuid.uuid4().hex)
    os.environ.pop("REDIS_URL", None)
    os.environ["TICKETING_ENV"] = "development"  # placeholder secrets are fine on a bench
    os.environ["DB_CONNECTION_BUDGET"] = "2"  # the bench's own setup connections, not the server's

    admin(f'CREATE DATABASE "{db_name}"')
    procs = []
    try:
        migrate(os.environ["DATABASE_URL"])
        from ticketing.db import dispose_engines, session_scope
        from ticketing.models.base import utcnow
        from ticketing.services.accounts.organizations import create_organization
        from ticketing.services.accounts.tokens import issue_token

        flows = [f for f in FLOWS if f in args.flows.split(",")]
        user_ids = insert_users(args.buyers * len(flows) + 1)
        owner_id = uuid.UUID(user_ids.pop())
        with session_scope() as db:
            org_id = create_organization(db=db, user_id=owner_id, name="Stampede", slug=f"st-{db_name[-6:]}",
                                         now=utcnow()).id
        now = utcnow()
        tokens = [issue_token(user_id=uuid.UUID(u), token_version=1, now=now) for u in user_ids]
        port, stripe_port = free_port(), free_port()
        procs.append(start_localstripe(stripe_port))
        env = {"STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}", "GRANIAN_WORKERS": str(args.workers)}
        if args.budget is None:
            os.environ.pop("DB_CONNECTION_BUDGET", None)
        else:
            env["DB_CONNECTION_BUDGET"] = str(args.budget)
        cmd = [sys.executable, "-m", "granian", "--interface", "asgi", "ticketing.api:app", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(args.workers), "--no-access-log", "--log-level", "warning",
               "--backlog", "2048"]
        procs.append(start_server("granian", cmd, port, "/healthz", env=env, wait_s=180))  # slow on a busy machine
        os.environ["DB_CONNECTION_BUDGET"] = "2"
        limit = "own cluster, max_connections %d" % args.max_connections if own else "shared server"
        print(f"stampede: {args.workers} granian workers of ticketing.api:app on PostgreSQL ({limit}), "
              f"DB_CONNECTION_BUDGET={env.get('DB_CONNECTION_BUDGET', 'default')}; "
              f"database {db_name}", flush=True)
        for i, flow in enumerate(flows):
            run_flow(flow, port=port, tokens=tokens[i * args.buyers:(i + 1) * args.buyers], owner_id=owner_id,
                     org_id=org_id, places=args.places)
        dispose_engines()
        return 0
    finally:
        for proc in reversed(procs):
            stop_process(proc)
        from ticketing.db import dispose_engines

        dispose_engines()
        admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


if __name__ == "__main__":
    raise SystemExit(main())
