"""Door check-in benchmark on PostgreSQL (issue 7): scans per second and latency, 4 gates.

An event with one session running now and 20,000 paid tickets (signed codes, as issued at
checkout). Four gate processes scan every ticket once plus duplicates (a share of the tickets
scanned again, at other gates, many of them while the first scan is still in flight), each scan
with its own nonce, in two layers measured in the same run:

  service  admission.scan_at_door per scan (what the API route runs: scan_ticket in one
           connection_scope(), retried when a request with the same nonce committed first)
  api      POST /api/v1/events/{id}/checkins over loopback HTTP to `granian ticketing.api:app`
           started here in a subprocess (keep-alive connection per gate)

Between the layers the check-ins and the scan log are emptied. After each layer the database is
checked: exactly one check-in per ticket, every duplicate answered `already_checked_in`.
Latency is per scan as the gate sees it; p99 over all scans of the layer.

It creates a fresh database (tk_bench_checkin_*), drops it at the end, and stops by itself
(each layer is capped by --max-seconds). Loopback only.
Run: `python bench/checkin.py [--tickets 20000] [--duplicates 0.1] [--gates 4]`
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from procstat import children, cpu_seconds  # noqa: E402  (bench/ is on the path as the script's folder)

ADMIN_URL = os.environ.get("BENCH_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TICKETS_PER_ORDER = 4


# --------------------------------------------------------------------------- gate processes


def gate_main(gate: int, scans: list[tuple[str, str]], event_id: str, user_id: str, layer: str, port: int,
              token: str, deadline: float, start_at: float, out: Any, release: Any) -> None:
    """Scan `scans` [(code, nonce)] one after the other; report latencies, answers and own CPU.
    Exits only on `release`, so that its database connection (whose backend's CPU the parent
    reads) lives until the parent has measured."""
    event, user = uuid.UUID(event_id), uuid.UUID(user_id)
    if layer == "service":
        from ticketing.db import get_engine
        from ticketing.models.base import utcnow
        from ticketing.services.door.admission import scan_at_door

        get_engine().connect().close()  # warm the pool outside the timed loop

        def one(code: str, nonce: str) -> str:  # what the API route runs
            return scan_at_door(event_id=event, user_id=user, code=code, nonce=nonce, gate=f"Gate {gate}",
                                now=utcnow()).result
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.connect()
        # A real gate's HTTP client sends each request at once; without this, Nagle holds the
        # body back until the server's delayed ACK of the headers (a 40 ms stall per request).
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        path = f"/api/v1/events/{event_id}/checkins"

        def one(code: str, nonce: str) -> str:
            body = json.dumps({"code": code, "nonce": nonce, "gate": f"Gate {gate}"})
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            data = json.loads(response.read())
            return data.get("result") or data.get("code", f"http_{response.status}")

    while time.time() < start_at:  # every gate starts at the same instant
        time.sleep(0.001)
    latencies, answers = [], Counter()
    cpu0 = os.times()
    for code, nonce in scans:
        if time.time() > deadline:
            answers["not_run_deadline"] += 1
            continue
        t0 = time.perf_counter()
        try:
            answers[one(code, nonce)] += 1
        except Exception as exc:  # counted, not hidden: the run reports it
            answers[f"error:{type(exc).__name__}"] += 1
        latencies.append(time.perf_counter() - t0)
    cpu1 = os.times()
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    out.put({"gate": gate, "latencies": latencies, "answers": dict(answers), "ended": time.time(), "cpu": cpu})
    release.wait(timeout=300)


# --------------------------------------------------------------------------- setup


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def migrate(url: str) -> None:
    from alembic.config import Config

    from alembic import command

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")


def build_event(n_tickets: int) -> dict[str, Any]:
    """An organization with a door steward, an event whose session runs now, and n paid tickets
    written in bulk (orders of four tickets each; codes signed like checkout signs them)."""
    from sqlalchemy import insert

    from ticketing.db import session_scope
    from ticketing.models import (
        Event,
        EventSession,
        Membership,
        Order,
        OrderItem,
        Organization,
        Ticket,
        TicketType,
        TicketTypeSession,
        User,
    )
    from ticketing.services.accounts.tokens import issue_token
    from ticketing.services.sales.ticket_holders import new_ticket_code

    now = datetime.now(timezone.utc)
    with session_scope() as db:
        steward = User(email=f"door-{uuid.uuid4().hex[:8]}@bench.test", name="Bench Door", password_hash="!")
        buyer = User(email=f"buyer-{uuid.uuid4().hex[:8]}@bench.test", name="Bench Buyer", password_hash="!")
        org = Organization(name="Bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
        db.add_all([steward, buyer, org])
        db.flush()
        db.add(Membership(organization_id=org.id, user_id=steward.id, role="door"))
        event = Event(organization_id=org.id, title="Bench Festival", status="published")
        db.add(event)
        db.flush()
        session = EventSession(event_id=event.id, name="Main stage", starts_at=now - timedelta(hours=1),
                               ends_at=now + timedelta(hours=6), capacity=n_tickets, sold=n_tickets)
        ttype = TicketType(event_id=event.id, name="Festival ticket", price_minor=0, currency="EUR", sold=n_tickets)
        db.add_all([session, ttype])
        db.flush()
        db.add(TicketTypeSession(ticket_type_id=ttype.id, session_id=session.id))
        orders, items, tickets, codes = [], [], [], []
        for o in range((n_tickets + TICKETS_PER_ORDER - 1) // TICKETS_PER_ORDER):
            order_id, item_id = uuid.uuid4(), uuid.uuid4()
            quantity = min(TICKETS_PER_ORDER, n_tickets - o * TICKETS_PER_ORDER)
            orders.append(dict(id=order_id, number=f"ORD-BENCH-{o:06d}", event_id=event.id, user_id=buyer.id,
                               status="confirmed", currency="EUR", total_minor=0, created_at=now, confirmed_at=now))
            items.append(dict(id=item_id, order_id=order_id, ticket_type_id=ttype.id, quantity=quantity,
                              unit_price_minor=0))
            for _ in range(quantity):
                ticket_id = uuid.uuid4()
                code = new_ticket_code(ticket_id)
                codes.append(code)
                tickets.append(dict(id=ticket_id, order_id=order_id, order_item_id=item_id, ticket_type_id=ttype.id,
                                    event_id=event.id, holder_name=f"Guest {len(tickets)}", holder_email="",
                                    code=code, code_version=1, status="valid", created_at=now))
        db.flush()
        for table, rows in ((Order, orders), (OrderItem, items), (Ticket, tickets)):
            for i in range(0, len(rows), 2000):
                db.exec(insert(table), params=rows[i:i + 2000])
        token = issue_token(user_id=steward.id, token_version=1, now=now)
        return {"event_id": str(event.id), "user_id": str(steward.id), "codes": codes, "token": token,
                "session_id": str(session.id)}


def plan_scans(codes: list[str], gates: int, duplicates: float, seed: int) -> list[list[tuple[str, str]]]:
    """Every code once plus `duplicates` x len(codes) re-scans, spread over the gates. Half of
    the re-scans sit right next to the first scan at another gate (the true race: two gates,
    one ticket, same moment); the others come later."""
    rng = random.Random(seed)
    order = codes[:]
    rng.shuffle(order)
    per_gate: list[list[str]] = [order[g::gates] for g in range(gates)]
    n_dup = int(len(codes) * duplicates)
    for k in range(n_dup):
        g = rng.randrange(gates)
        pos = rng.randrange(len(per_gate[g]))
        code = per_gate[g][pos]
        other = (g + 1 + rng.randrange(gates - 1)) % gates if gates > 1 else g
        where = min(pos, len(per_gate[other])) if k % 2 == 0 else rng.randrange(len(per_gate[other]) + 1)
        per_gate[other].insert(where, code)
    return [[(code, uuid.uuid4().hex) for code in lane] for lane in per_gate]


def reset_scans(event_id: str) -> None:
    from sqlalchemy import text

    from ticketing.db import session_scope

    with session_scope() as db:
        for table in ("checkin_conflicts", "checkins", "scans"):
            db.exec(text(f"DELETE FROM {table} WHERE event_id = :e"), params={"e": event_id})


def check_database(event_id: str, n_tickets: int) -> dict[str, int]:
    from sqlalchemy import text

    from ticketing.db import session_scope

    with session_scope(readonly=True) as db:
        checkins = db.exec(text("SELECT count(*) FROM checkins WHERE event_id = :e"), params={"e": event_id}).one()[0]
        tickets = db.exec(text("SELECT count(DISTINCT ticket_id) FROM checkins WHERE event_id = :e"),
                          params={"e": event_id}).one()[0]
    return {"checkins": checkins, "distinct_tickets": tickets, "expected": n_tickets}


def backend_pids(db_name: str) -> set[int]:
    """The PostgreSQL backends connected to the bench database (the gates' or the server's)."""
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (db_name,)).fetchall()
    return {r[0] for r in rows}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_api(port: int, workers: int) -> subprocess.Popen:
    # granian, the server the app runs under in production (Reflex's). uvicorn with several
    # workers added a steady ~45 ms to every keep-alive request on this machine.
    cmd = [sys.executable, "-m", "granian", "--interface", "asgi", "ticketing.api:app", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError(f"the API server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    stop_process(proc)
    raise RuntimeError("the API server did not answer within 60 s")


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # our own session: the server and its workers
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --------------------------------------------------------------------------- a layer


def run_layer(layer: str, data: dict[str, Any], lanes: list[list[tuple[str, str]]], port: int,
              max_seconds: float, db_name: str, server_pid: int | None) -> dict[str, Any]:
    """Run the gates; CPU per scan = the gates' own (os.times) + the API server's + the
    database backends' (/proc), from the start instant to the last answer."""
    ctx = mp.get_context("spawn")  # fresh interpreters: no engine or pool inherited from here
    out = ctx.Queue()
    release = ctx.Event()
    start_at = time.time() + 3.0  # time for the gates to import and connect
    procs = [
        ctx.Process(target=gate_main, args=(g + 1, lane, data["event_id"], data["user_id"], layer, port,
                                            data["token"], start_at + max_seconds, start_at, out, release))
        for g, lane in enumerate(lanes)
    ]
    for p in procs:
        p.start()
    time.sleep(max(0.0, start_at - time.time()))
    server, backends = ({server_pid} | children(server_pid) if server_pid else set()), backend_pids(db_name)
    server_cpu, db_cpu = cpu_seconds(server), cpu_seconds(backends)
    results = [out.get(timeout=max_seconds + 120) for _ in procs]
    backends |= backend_pids(db_name)  # connections opened during the run count from their start
    server_cpu, db_cpu = cpu_seconds(server) - server_cpu, cpu_seconds(backends) - db_cpu
    release.set()
    for p in procs:
        p.join(timeout=30)
    latencies = sorted(x for r in results for x in r["latencies"])
    answers: Counter = Counter()
    for r in results:
        answers.update(r["answers"])
    elapsed = max(r["ended"] for r in results) - start_at

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "layer": layer, "scans": len(latencies), "seconds": elapsed, "per_second": len(latencies) / elapsed,
        "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "max_ms": latencies[-1] * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000, "answers": dict(answers),
        "gate_cpu_ms": sum(r["cpu"] for r in results) * 1000 / len(latencies),
        "server_cpu_ms": server_cpu * 1000 / len(latencies), "db_cpu_ms": db_cpu * 1000 / len(latencies),
    }


def report(row: dict[str, Any], check: dict[str, int], n_dup: int) -> bool:
    answers = row["answers"]
    exact = (check["checkins"] == check["distinct_tickets"] == check["expected"]
             and answers.get("admitted", 0) == check["expected"]
             and answers.get("already_checked_in", 0) == n_dup)
    print(f"{row['layer']:8s} {row['scans']:6d} scans in {row['seconds']:6.1f} s = {row['per_second']:7.0f} scans/s"
          f" | p50 {row['p50_ms']:6.2f} ms  p95 {row['p95_ms']:6.2f} ms  p99 {row['p99_ms']:6.2f} ms"
          f"  max {row['max_ms']:7.1f} ms")
    cpu = row["gate_cpu_ms"] + row["server_cpu_ms"] + row["db_cpu_ms"]
    print(f"         cpu ms/scan {cpu:5.2f} = gates {row['gate_cpu_ms']:5.2f} + api server {row['server_cpu_ms']:5.2f}"
          f" + postgres {row['db_cpu_ms']:5.2f}")
    print(f"         answers {answers}; check-ins {check['checkins']} for {check['distinct_tickets']} tickets"
          f" (expected {check['expected']}): {'exactly once' if exact else 'MISMATCH'}")
    return exact


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tickets", type=int, default=20_000)
    ap.add_argument("--duplicates", type=float, default=0.10, help="re-scans as a share of tickets (default 0.10)")
    ap.add_argument("--gates", type=int, default=4)
    ap.add_argument("--layers", default="service,api")
    ap.add_argument("--api-workers", type=int, default=2, help="API server worker processes (default 2)")
    ap.add_argument("--max-seconds", type=float, default=120.0, help="cap per layer")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    server = ADMIN_URL.rsplit("/", 1)[0]
    db_name = f"tk_bench_checkin_{os.getpid()}"
    os.environ["DATABASE_URL"] = f"{server.replace('postgresql://', 'postgresql+psycopg://')}/{db_name}"
    os.environ.setdefault("JWT_SECRET", "bench-" + uuid.uuid4().hex)
    os.environ.pop("REDIS_URL", None)  # in-process bus: the publish step runs, no Redis needed
    os.environ["TICKETING_ENV"] = "development"  # placeholder secrets are fine on a bench
    admin(f'CREATE DATABASE "{db_name}"')
    api = None
    ok = True
    try:
        migrate(os.environ["DATABASE_URL"])
        t0 = time.perf_counter()
        data = build_event(args.tickets)
        print(f"setup: {args.tickets} tickets in {time.perf_counter() - t0:.1f} s; {args.gates} gates, "
              f"{args.duplicates:.0%} duplicates, PostgreSQL {ADMIN_URL.split('@')[-1]}")
        n_dup = int(args.tickets * args.duplicates)
        for layer in [x.strip() for x in args.layers.split(",") if x.strip()]:
            lanes = plan_scans(data["codes"], args.gates, args.duplicates, args.seed)
            port = 0
            if layer == "api":
                port = free_port()
                api = start_api(port, args.api_workers)
            reset_scans(data["event_id"])
            row = run_layer(layer, data, lanes, port, args.max_seconds, db_name, api.pid if api else None)
            ok &= report(row, check_database(data["event_id"], args.tickets), n_dup)
            if api is not None:
                stop_process(api)
                api = None
    finally:
        if api is not None:
            stop_process(api)
        from ticketing.db import dispose_engines

        dispose_engines()
        admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
