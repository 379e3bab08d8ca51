#!/usr/bin/env python
"""On-sale through the pages: thousands of simulated customers on the local cluster.

Starts its own cluster (deploy/cluster: INSTANCES app instances behind nginx, a fresh PostgreSQL
database `tk_bench_*` and a private redis-server on free loopback ports, all stopped and dropped
at the end), publishes one event with PLACES places, and runs CUSTOMERS simulated customers that
speak the pages' real websocket protocol through the balancer, as the compiled frontend does:

  arrive     connect the websocket; hydrate_and_load rides in the CONNECT packet with the
             customer's token (the browser's localStorage) and runs the event page's on_load;
             with --waiting-room that on_load redirects to /events/<id>/queue: the event page's
             leave (on_unmount), on_load_internal for the queue (WaitingRoomState.load) until the
             page shows a place in line (position and estimated wait); from then on the page's
             component (assets/queue_place.jsx) asks GET /api/v1/events/<id>/waiting-room/me
             itself, with the customer's bearer token, every `ask_again_seconds` of the last
             answer (3-30 s): plain HTTP through the balancer, no Reflex event
  queue      (--waiting-room) from the opening until an answer says `admitted` (or `open`): the
             component hands over to the page once (WaitingRoomState.refresh, over the
             websocket), which keeps the admission (the tk_admission localStorage var, in the
             tab's state) and redirects to /events/<id>; then on_load_internal for the event
             page and its snapshot. Like the component, it hands over again only if no redirect
             came (10 s, 20 s, ... later) and backs off on 503/429/network errors
  pick       the page's "+" button: the basket lives in the browser, so no event is sent; the
             customer checks the figure the page shows (places left) and puts one ticket in
             its basket, as the page's own script does
  hold       "Reserve tickets" as the page's component sends it (assets/hold_button.jsx): an HTTP
             POST /api/v1/events/<id>/holds through the balancer with the customer's bearer token
             (and, once let in by a waiting room, its admission from the tk_admission map, the
             waiting-room state's `admissions` var) -> 201 and the cart, or a clean refusal (409
             no places: sold out; 503/429: busy, as the page says it); no Reflex event. A 403
             admission_* (the room is on, perhaps switched on by the surge rule at this very
             peak) is an answer too, a place in the queue (`queued`): the customer then follows
             the queue page's protocol (above, as --waiting-room customers do) until let in or
             the queue's bound, and picks and holds again
  checkout   leave (the page's on_unmount), on_load_internal for /cart/<hold> (the component's
             client-side navigation), CartState.checkout -> the redirect to /pay/<order>;
             printed whole and as its halves: `cart` (leave and the cart's load until it shows
             the hold) and `pay` ("Check out" until the redirect)

Everyone arrives first (spread over --arrival-seconds), then the sale opens at one instant and
every customer clicks within --reaction-seconds (with --waiting-room: of being let in). With
--waiting-room RATE the organizer switches the event's room on before anyone arrives
(PATCH /api/v1/events/<id>/waiting-room, RATE a minute, the sale announced after the arrivals, so
every arrival draws a random place) and opens the sale at the opening (the same PATCH with
opens_at = then); every app process's pacer (a lifespan task, jobs/waiting_rooms.py) lets the
queue in. Customers who lose stay on the page, watching.
Customers run in --procs client processes (asyncio, python-socketio), so the client's own CPU
does not delay what it measures more than it must.

Prints: per phase p50/p95/p99; holds and orders per second; the holds by HTTP status, and the
customers answered with a place in the queue (`queued`) and what became of them; errors by kind; Redis memory per
connected customer (INFO used_memory before the customers and once all have the page open,
and MEMORY USAGE of one customer's keys); bytes pushed per purchase to each watching tab; the
time from each commit (the delta's "at", read from the bus) to every watching tab's push showing
it (p50/p95/p99); the app's CPU per page event; the load average; and the database check
(orders = places, oversold 0). With --waiting-room also: arrival -> a place shown, for every
customer; the queue pages' polls (HTTP) and hand-overs (Reflex events), and the app CPU per
poll before the opening; the opening -> admission; the admissions a minute while the queue drained (the
organizer's GET .../waiting-room once a second: from the first sample with anyone let in to the
last with anyone waiting) against RATE (target within 10%); the queue's length over time; and the
hold's p50/p95/p99 for admitted customers (target p99 < 100 ms).

Bounded: every step waits at most --timeout, the queue at most the time the whole queue takes at
RATE plus --timeout; the cluster, its database and its Redis are removed at the end.

    . scripts/env.sh && python bench/onsale.py                       # 2,000 customers, 500 places
    . scripts/env.sh && python bench/onsale.py --customers 200 --places 50 --procs 1
    . scripts/env.sh && python bench/onsale.py --customers 300 --places 100 --waiting-room 600 --procs 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from bisect import bisect_left
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from live import free_port, pct, tap_bus  # noqa: E402  (bench/ is on the path as the script's folder)
from procstat import children, cpu_seconds  # noqa: E402

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NAMESPACE = "/_event"
MARK = "_rx_state_"
VERSION_RE = re.compile(r'"version_rx_state_":(\d+)')
REDIRECT_RE = re.compile(r'"/(cart|pay)/([0-9a-f-]{36})"')
JWT_SECRET = "bench-onsale-" + secrets.token_urlsafe(24)
# queue: with --waiting-room only; cart and pay: the two halves of checkout (leave and the cart's
# load until it shows the hold; "Check out" until the redirect to the payment page)
PHASES = ("arrive", "queue", "pick", "hold", "checkout", "cart", "pay")
WEB_WORKDIR = ROOT / ".web-onsale"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    return (f"p50 {pct(values, 50) * 1000:7.0f}  p95 {pct(values, 95) * 1000:7.0f}  "
            f"p99 {pct(values, 99) * 1000:7.0f}  max {max(values) * 1000:7.0f} ms  (n={len(values)})")


# The cluster ----------------------------------------------------------------------------------
class Cluster:
    """A fresh database, a private Redis and deploy/cluster on free ports; stop() undoes all."""

    def __init__(self, instances: int, workers: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tk-onsale-"))
        self.port, self.base = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_name = f"tk_bench_{os.getpid()}_{secrets.token_hex(3)}"
        self.redis_port = free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.database_url = f"{PG_ADMIN_URL.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://')}/{self.db_name}"
        self.instances, self.workers = instances, workers
        self.redis: subprocess.Popen | None = None
        self.started = False

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(PORT=str(self.port), INSTANCE_BASE_PORT=str(self.base), INSTANCES=str(self.instances),
                   WORKERS_PER_INSTANCE=str(self.workers), CLUSTER_DIR=str(self.dir / "cluster"),
                   DATABASE_URL=self.database_url, REDIS_URL=self.redis_url, TICKETING_ENV="development",
                   JWT_SECRET=JWT_SECRET, APP_URL=self.url, PYTHONUNBUFFERED="1",
                   # A build of its own: the frontend is built for the balancer's URL, and a
                   # cluster started from .web-cluster meanwhile would serve this one's.
                   REFLEX_WEB_WORKDIR=str(WEB_WORKDIR),
                   # Every simulated customer comes from 127.0.0.1: lift the per-address limits.
                   RATE_SIGN_IN_ADDRESS="1000000/minute", RATE_REGISTER_ADDRESS="1000000/minute")
        return env

    def start(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.redis = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port), "--save", "", "--appendonly",
             "no", "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        self.started = True
        log(f"starting the cluster on {self.url} ({self.instances} instances x {self.workers} workers) ...")
        done = subprocess.run([str(ROOT / "deploy" / "cluster"), "start"], cwd=ROOT, env=self.env(),
                              capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"deploy/cluster start failed:\n{done.stdout}\n{done.stderr}")

    def instance_pids(self) -> set[int]:
        """Every app process: each instance's reflex process and its granian workers (and theirs)."""
        pids: set[int] = set()
        for f in (self.dir / "cluster").glob("instance-*.pid"):
            todo = [int(f.read_text().strip())]
            while todo:
                pid = todo.pop()
                pids.add(pid)
                todo.extend(children(pid))
        return pids

    def server_errors(self) -> Counter:
        """What the instances logged of failed page handlers (state/failures.py), by exception."""
        found: Counter = Counter()
        for f in (self.dir / "cluster").glob("instance-*.log"):
            lines = f.read_text(errors="replace").splitlines()
            for i, line in enumerate(lines):
                if "page handler busy:" in line:
                    found["busy: " + line.split("page handler busy:", 1)[1].split(":")[0].strip()] += 1
                elif "page handler failed" in line or "[Reflex Backend Exception]" in line:
                    # The traceback's last line names the exception.
                    for follow in lines[i + 1:i + 200]:
                        if re.match(r"^[A-Za-z_.]+(Error|Exception|Timeout)\b", follow.strip()):
                            found[follow.strip().split(":")[0][:100]] += 1
                            break
        return found

    def stop(self) -> None:
        if self.started:
            subprocess.run([str(ROOT / "deploy" / "cluster"), "stop"], cwd=ROOT, env=self.env(),
                           capture_output=True, timeout=180)
            kept = ROOT / "artifacts" / "onsale"
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(self.dir / "cluster", kept, ignore=shutil.ignore_patterns("nginx-temp", "*.pid"),
                            dirs_exist_ok=True)
            log(f"the cluster's logs are in {kept}")
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(timeout=10)
        import psycopg

        try:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        except Exception as exc:  # noqa: BLE001 - teardown goes on
            log(f"could not drop {self.db_name}: {exc}")
        shutil.rmtree(self.dir, ignore_errors=True)


# Setup: the event and the customers -----------------------------------------------------------
def app_settings(cluster: Cluster) -> None:
    """Point this process's copy of the app's settings at the cluster's database and secret."""
    os.environ.update(DATABASE_URL=cluster.database_url, REDIS_URL=cluster.redis_url, JWT_SECRET=JWT_SECRET,
                      TICKETING_ENV="development")


DESCRIPTION = (
    "The band's only show this year, in the round, with a support act from the label and a late set in the "
    "foyer. Doors open an hour before the start; the bars and the cloakroom take cards only. "
) * 6  # a description of the size organizers write (about 1.4 KB): what each tab used to copy
TYPES = [("Standing", "25.00"), ("Standing, early entry", "39.00"), ("Balcony", "45.00"), ("Accessible", "25.00")]


def publish_event(cluster: Cluster, places: int) -> tuple[str, list[str], dict[str, str]]:
    """One owner registers through the API and publishes an event with one session of `places`
    places and four ticket types sharing them; returns (event id, ticket type ids, the owner's
    authorization header)."""
    import httpx

    api = httpx.Client(base_url=cluster.url + "/api/v1", timeout=60)

    def call(method: str, path: str, headers: dict | None = None, **kw) -> Any:
        r = api.request(method, path, headers=headers, **kw)
        if r.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text}")
        return r.json() if r.content else {}

    email = f"owner-{uuid.uuid4().hex[:8]}@bench.test"
    call("POST", "/auth/register", json={"email": email, "password": "long bench password", "name": "Owner"})
    token = call("POST", "/auth/token", json={"email": email, "password": "long bench password"})["access_token"]
    owner = {"Authorization": f"Bearer {token}"}
    org = call("POST", "/orgs", owner, json={"name": "Bench Arena", "slug": f"arena-{uuid.uuid4().hex[:6]}"})
    event = call("POST", f"/orgs/{org['id']}/events", owner, json={
        "title": "The Big On-sale", "description": DESCRIPTION, "location": "Bench Arena, Hall 1",
        "timezone": "Europe/Berlin"})
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=40)
    session = call("POST", f"/events/{event['id']}/sessions", owner, json={
        "name": "Concert", "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat(),
        "capacity": places})
    types = [call("POST", f"/events/{event['id']}/ticket-types", owner, json={
        "name": name, "price": price, "currency": "EUR", "session_ids": [session["id"]]})["id"]
        for name, price in TYPES]
    call("POST", f"/events/{event['id']}/publish", owner)
    return event["id"], types, owner


def configure_room(cluster: Cluster, event_id: str, owner: dict[str, str], **body: Any) -> dict[str, Any]:
    """What the organizer's console does: PATCH /events/<id>/waiting-room."""
    import httpx

    r = httpx.patch(f"{cluster.url}/api/v1/events/{event_id}/waiting-room", headers=owner, json=body, timeout=60)
    if r.status_code >= 300:
        raise RuntimeError(f"PATCH waiting-room: {r.status_code} {r.text}")
    return r.json()


async def watch_room(cluster: Cluster, event_id: str, owner: dict[str, str], samples: list, stop: asyncio.Event) -> None:
    """The organizer's view of the room once a second: (time, waiting, admitted so far)."""
    import httpx

    async with httpx.AsyncClient(base_url=cluster.url, headers=owner, timeout=10) as api:
        while not stop.is_set():
            try:
                r = await api.get(f"/api/v1/events/{event_id}/waiting-room")
                if r.status_code == 200:
                    room = r.json()
                    samples.append((time.time(), int(room["waiting"]), int(room["admitted_total"])))
            except httpx.HTTPError:
                pass  # a missed sample; the next one comes
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except asyncio.TimeoutError:
                pass


def drain_rate(samples: list[tuple[float, int, int]]) -> tuple[float, float] | None:
    """Admissions per minute while the queue drained: between the first sample with anyone let
    in and the last with anyone still waiting (the pacer owed admissions all along); and that
    period's length in seconds."""
    first = next((i for i, (_t, _w, a) in enumerate(samples) if a > 0), None)
    last = max((i for i, (_t, w, _a) in enumerate(samples) if w > 0), default=None)
    if first is None or last is None or last <= first:
        return None
    (t0, _w0, a0), (t1, _w1, a1) = samples[first], samples[last]
    return (a1 - a0) * 60 / (t1 - t0), t1 - t0


def make_customers(n: int) -> list[str]:
    """n accounts inserted straight into the database (argon2 for 2,000 sign-ups would take
    minutes and is not what is measured), each with a token as sign-in would issue it."""
    from ticketing.db import session_scope
    from ticketing.models import User
    from ticketing.services.accounts.passwords import hash_password
    from ticketing.services.accounts.tokens import issue_token

    pw = hash_password("not used by the bench")
    now = datetime.now(timezone.utc)
    users = [User(email=f"fan-{i}-{uuid.uuid4().hex[:6]}@bench.test", name=f"Fan {i}", password_hash=pw)
             for i in range(n)]
    with session_scope() as db:
        db.add_all(users)
        ids = [(u.id, u.token_version) for u in users]
    return [issue_token(user_id=uid, token_version=ver, now=now) for uid, ver in ids]


def frontend_handshake() -> tuple[str | None, list[str] | None]:
    """The state schema hash and initial state hashes the cluster's compiled frontend sends when
    it connects (with the hashes, the first hydrate returns only what differs from the defaults
    the page was built with)."""
    try:
        text = (WEB_WORKDIR / "utils" / "context.jsx").read_text()
    except OSError:
        return None, None
    schema = re.search(r'export const stateSchema = "([0-9a-f]+)"', text)
    hashes = re.search(r"export const initialStateHashes = (\[[^\]]*\])", text)
    return (schema.group(1) if schema else None), (json.loads(hashes.group(1)) if hashes else None)


def state_names() -> dict[str, str]:
    from reflex.state import OnLoadInternalState

    from ticketing.state.auth import AuthState
    from ticketing.state.cart import CartState
    from ticketing.state.event_page import EventPageState
    from ticketing.state.waiting_room import WaitingRoomState

    return {"auth": AuthState.get_full_name(), "event": EventPageState.get_full_name(),
            "cart": CartState.get_full_name(), "room": WaitingRoomState.get_full_name(),
            "on_load": f"{OnLoadInternalState.get_full_name()}.on_load_internal",
            "hydrate": "reflex___state____state.hydrate_and_load"}


# A customer ---------------------------------------------------------------------------------
@dataclass
class Plan:
    url: str
    event_id: str
    ticket_ids: list[str]
    names: dict[str, str]
    timeout: float
    reaction: float
    arrival: float
    schema: str | None = None  # what the compiled frontend sends on connect (see frontend_handshake)
    hashes: list[str] | None = None
    room: bool = False  # the event's waiting room is on: customers queue first
    queue_timeout: float = 0.0  # how long a customer may wait in the queue (--waiting-room)


@dataclass
class Customer:
    """One browser tab of one signed-in customer, as the page's frontend drives it."""

    plan: Plan
    auth_token: str
    ticket_id: str
    client_token: str = field(default_factory=lambda: str(uuid.uuid4()))
    vars: dict[str, dict[str, Any]] = field(default_factory=dict)  # state -> var -> last value
    redirects: list[str] = field(default_factory=list)
    toasts: list[str] = field(default_factory=list)
    pushes: list[tuple[float, int, int]] = field(default_factory=list)  # (time, bytes, version) while watching
    phases: dict[str, float] = field(default_factory=dict)
    outcome: str = ""  # winner | sold_out | refused:<msg> | error:<kind> (queued: still in line at the end)
    queued: float = 0.0  # when a hold was answered 403 admission_* (a place in the queue)
    hold_answers: list[str] = field(default_factory=list)  # each hold's HTTP status ("network": none)
    http: Any = None  # the tab's HTTP client (the page's fetch), an aiohttp session
    watch_from: float = 0.0
    watch_until: float = 0.0
    basket: dict[str, int] = field(default_factory=dict)  # the page's basket, kept in the browser
    clicked: float = 0.0
    answered: float = 0.0
    watching: bool = False
    place: tuple[int, str] | None = None  # (position, estimated wait) the queue page first showed
    admitted: float = 0.0  # when the queue page sent this tab to the event page
    cadence: float = 3.0  # seconds until the queue page asks again (the last answer's ask_again_seconds)
    polls: list[float] = field(default_factory=list)  # when the queue page asked the API (GET .../me)
    poll_failures: list[str] = field(default_factory=list)  # "503", "429", "network", ...
    handovers: list[float] = field(default_factory=list)  # when it sent WaitingRoomState.refresh
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    sio: Any = None
    router: dict[str, Any] = field(default_factory=dict)

    # Frames ---------------------------------------------------------------------------------
    def on_raw(self, t: float, text: str) -> None:
        """Every socket.io message as read (exact bytes): pushes carry the event's version."""
        if self.watching and '"version_rx_state_"' in text:
            found = VERSION_RE.findall(text)
            if found:
                self.pushes.append((t, len(text.encode()), max(int(v) for v in found)))

    def on_update(self, update: dict[str, Any]) -> None:
        for state, values in (update.get("delta") or {}).items():
            mine = self.vars.setdefault(state.rsplit(".", 1)[-1], {})
            for key, value in values.items():
                mine[key.removesuffix(MARK)] = value
        for ev in update.get("events") or []:
            name, payload = ev.get("name", ""), ev.get("payload") or {}
            if name == "_redirect":
                self.redirects.append(str(payload.get("path", "")))
            else:
                text = json.dumps(payload)
                # The pages' exception handler (state/failures.py): a "busy" note or an error
                # toast with a reference (Reflex's default says "An error occurred").
                if "backend_error" in text or "An error occurred" in text:
                    self.toasts.append("server_error")
                elif '"busy"' in text:
                    self.toasts.append("busy")
        self.changed.set()

    def var(self, state: str, name: str, default: Any = None) -> Any:
        return self.vars.get(self.plan.names[state].rsplit(".", 1)[-1], {}).get(name, default)

    async def until(self, test, what: str, seconds: float | None = None) -> Any:
        deadline = time.monotonic() + (self.plan.timeout if seconds is None else seconds)
        while True:
            if self.toasts:
                raise Failure(self.toasts[-1])
            found = test()
            if found:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"timeout_{what}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))
            except asyncio.TimeoutError:
                pass

    async def send(self, name: str, **payload: Any) -> None:
        await self.sio.emit("event", {"name": name, "payload": payload, "router_data": self.router},
                            namespace=NAMESPACE)

    def route(self, path: str, query: dict[str, str]) -> None:
        self.router = {"pathname": path, "asPath": path, "query": query}

    # Steps ----------------------------------------------------------------------------------
    async def arrive(self, client_cls, http_session) -> None:
        """Open /events/<id>: connect, hydrate with the stored token, the page's on_load."""
        p = self.plan
        self.route(f"/events/{p.event_id}", {"event_id": p.event_id})
        stored = {f"{p.names['auth']}.token{MARK}": self.auth_token}
        payload: dict[str, Any] = {"vars": stored}
        if p.hashes:
            payload["hashes"] = p.hashes
        boot = {"name": p.names["hydrate"], "payload": payload, "router_data": self.router}
        auth: dict[str, Any] = {"event": boot}
        if p.schema:
            auth["state_schema"] = p.schema
        self.sio = client_cls(self, reconnection=False, http_session=http_session)
        self.http = http_session

        @self.sio.on("event", namespace=NAMESPACE)
        async def _on_event(update):
            self.on_update(update)

        try:
            await self.sio.connect(f"{p.url}?token={self.client_token}", transports=["websocket"],
                                   socketio_path=NAMESPACE, namespaces=[NAMESPACE], auth=auth,
                                   wait_timeout=p.timeout)
        except Exception as exc:  # noqa: BLE001 - the handshake's failure is the result
            status = re.search(r"\b([45]\d\d)\b", str(exc))
            raise Failure(f"connect_{status.group(1)}" if status else "connect_failed", str(exc)[:200]) from None
        if self.plan.room:
            await self.until(lambda: self._took(f"/events/{p.event_id}/queue"), "queue_redirect")
            await self.queue()
            return
        await self._event_shown()

    async def _event_shown(self) -> None:
        await self.until(lambda: self.var("event", "version", 0) > 0 and self.var("event", "ticket_types"), "open")
        self.watch_from, self.watching = time.time(), True

    # The waiting room (--waiting-room) ------------------------------------------------------
    async def queue(self) -> None:
        """Follow the event page's redirect to /events/<id>/queue (a client-side navigation:
        on_load_internal runs WaitingRoomState.load) until the page shows a place in line."""
        p = self.plan
        await self.send(f"{p.names['event']}.leave")  # the event page's on_unmount
        self.route(f"/events/{p.event_id}/queue", {"event_id": p.event_id})
        await self.send(p.names["on_load"])
        await self.until(lambda: self.var("room", "state") == "waiting"
                         and (self.var("room", "place") or {}).get("position"), "queue_place")
        from ticketing.state.waiting_room import wait_words

        place = self.var("room", "place")
        self.place = (int(place["position"]), wait_words(place.get("wait_seconds")))
        self.cadence = float(place.get("ask_again_seconds") or 3)

    async def heartbeat(self, http) -> None:
        """The queue page's component (assets/queue_place.jsx): GET .../waiting-room/me with the
        customer's bearer token after the last answer's `ask_again_seconds` (3 s near the front,
        up to 30 s further back; it keeps the place); hands over to WaitingRoomState.refresh when
        the answer needs the page (admitted, open, absent, 401, 404), again only after 10, 20,
        40, 60 s without a redirect; backs off on 503/429/network errors."""
        import random

        import aiohttp

        url = f"{self.plan.url}/api/v1/events/{self.plan.event_id}/waiting-room/me"
        headers = {"Authorization": f"Bearer {self.auth_token}"}
        failures, handed_at, gap = 0, 0.0, 0.0
        delay = self.cadence
        while not self.admitted and self.sio is not None and self.sio.connected:
            await asyncio.sleep(delay * (1 + random.random() * 0.1))
            if self.admitted:
                return
            delay, hand_over = self.cadence, False
            self.polls.append(time.time())
            try:
                async with http.get(url, headers=headers, timeout=aiohttp.ClientTimeout(total=self.plan.timeout)) as r:
                    if r.status == 200:
                        answer = await r.json()
                        failures = 0
                        if answer.get("state") == "waiting":
                            self.cadence = delay = float(answer.get("ask_again_seconds") or 3)
                        else:
                            hand_over = True
                    elif r.status == 429 or r.status >= 500:
                        failures += 1
                        self.poll_failures.append(str(r.status))
                        delay = max(self.cadence, min(60.0, self.cadence * 2 ** failures),
                                    float(r.headers.get("Retry-After") or 0))
                    else:
                        self.poll_failures.append(str(r.status))
                        hand_over = True
            except (aiohttp.ClientError, asyncio.TimeoutError):
                failures += 1
                self.poll_failures.append("network")
                delay = max(self.cadence, min(60.0, self.cadence * 2 ** failures))
            if hand_over and time.time() - handed_at >= gap and not self.admitted:
                handed_at, gap = time.time(), min(60.0, max(10.0, gap * 2))
                self.handovers.append(handed_at)
                await self.send(f"{self.plan.names['room']}.refresh")

    async def wait_for_turn(self) -> None:
        """Until the queue page sends the tab back to the event page with its admission; then
        that page's on_load (a client-side navigation) and its snapshot."""
        p = self.plan
        await self.until(lambda: self._took(f"/events/{p.event_id}"), "queue", p.queue_timeout)
        self.admitted = time.time()
        self.route(f"/events/{p.event_id}", {"event_id": p.event_id})
        await self.send(p.names["on_load"])
        await self._event_shown()

    def _took(self, path: str) -> bool:
        """Whether the server redirected this tab to `path` (the redirect is then consumed)."""
        if path in self.redirects:
            self.redirects.remove(path)
            return True
        return False

    async def pick(self) -> None:
        """The "+" button of the ticket type: in the browser only (assets/basket.js), within the
        places left that the page shows (its last load and the live pushes since)."""
        rows = {t["id"]: t for t in self.var("event", "ticket_types", [])}  # figures inline before issue 21
        shown = (self.var("event", "figures") or {}).get(self.ticket_id) or rows.get(self.ticket_id, {})
        if not shown.get("is_available") or int(shown.get("available") or 0) < 1:
            raise Answered("sold_out")  # the page already says so ("+" is not shown)
        self.basket = {self.ticket_id: 1}

    async def hold(self) -> str:
        """"Reserve tickets": the page's component POSTs the basket to the JSON API itself
        (bearer token; this event's admission when the tab has one) and opens the cart, or says
        the refusal. Raises Queued for a 403 admission_* (the page goes to the queue)."""
        import aiohttp

        p = self.plan
        headers = {"Authorization": f"Bearer {self.auth_token}"}
        try:
            admission = json.loads(self.var("room", "admissions") or "{}").get(p.event_id)
        except (ValueError, AttributeError):
            admission = None
        if admission:
            headers["Admission-Token"] = admission
        body = {"items": [{"ticket_type_id": t, "quantity": q} for t, q in self.basket.items()],
                "promo_code": None, "access_code": None}
        try:
            async with self.http.post(f"{p.url}/api/v1/events/{p.event_id}/holds", json=body, headers=headers,
                                      timeout=aiohttp.ClientTimeout(total=p.timeout)) as r:
                status = r.status
                try:
                    answer = await r.json(content_type=None)
                except ValueError:
                    answer = {}
        except (aiohttp.ClientError, asyncio.TimeoutError):
            self.hold_answers.append("network")
            raise Failure("hold_network") from None
        self.hold_answers.append(str(status))
        code = str((answer or {}).get("code", ""))
        if status == 201:
            return f"/cart/{answer['id']}"
        if status == 403 and code.startswith("admission_"):
            raise Queued(code)
        if code == "active_hold_exists":  # the page opens that cart
            return f"/cart/{answer['hold_id']}"
        if code in ("insufficient_capacity", "quota_reached"):
            raise Answered("sold_out")
        if status == 429 or status >= 500:  # "The sale is very busy: nothing was held."
            raise Failure(f"hold_{status}")
        raise Answered(f"refused:{code or status}")

    async def requeue(self) -> None:
        """After a 403 admission_* the page goes to the queue (a client-side navigation: the
        event page's leave, on_load_internal for the queue page): its place, or at once the
        redirect back when the pacer let the customer in meanwhile; then the queue page's
        heartbeat until it sends the tab back with an admission."""
        p = self.plan
        await self.send(f"{p.names['event']}.leave")
        self.route(f"/events/{p.event_id}/queue", {"event_id": p.event_id})
        await self.send(p.names["on_load"])
        await self.until(lambda: self.var("room", "state") == "waiting" or f"/events/{p.event_id}" in self.redirects,
                         "queue_place")
        self.cadence = float((self.var("room", "place") or {}).get("ask_again_seconds") or 3)
        self.admitted = 0.0  # (an admission that no longer holds) until let in again
        beat = asyncio.create_task(self.heartbeat(self.http))
        try:
            await self.wait_for_turn()
        finally:
            beat.cancel()

    async def checkout(self, cart_path: str) -> None:
        """Client-side navigation to the cart (the event page unmounts), then "Check out"."""
        hold_id = cart_path.rsplit("/", 1)[-1]
        t0 = time.monotonic()
        await self.send(f"{self.plan.names['event']}.leave")
        self.watching, self.watch_until = False, time.time()
        self.route(cart_path, {"hold_id": hold_id})
        await self.send(self.plan.names["on_load"])
        await self.until(lambda: self.var("cart", "status") == "active", "cart")
        t1 = time.monotonic()
        self.phases["cart"] = t1 - t0
        self.vars.get(self.plan.names["cart"].rsplit(".", 1)[-1], {}).pop("error", None)
        await self.send(f"{self.plan.names['cart']}.checkout", form={})
        got = await self.until(lambda: self._redirect("pay") or self.var("cart", "error"), "checkout")
        self.phases["pay"] = time.monotonic() - t1
        if not got.startswith("/pay/"):
            raise Answered(f"refused_checkout:{got[:60]}")

    def _redirect(self, kind: str) -> str:
        return next((r for r in self.redirects if r.startswith(f"/{kind}/")), "")

    async def close(self) -> None:
        if self.watching:
            self.watching, self.watch_until = False, time.time()
        if self.sio is not None:
            try:
                await self.sio.disconnect()
            except Exception:  # noqa: BLE001 - closing anyway
                pass


class Failure(Exception):
    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail)
        self.kind = kind


class Answered(Exception):
    """A clean answer that is not a purchase (sold out, a refusal the page words)."""


class Queued(Exception):
    """A hold answered 403 admission_*: the waiting room is on, the page goes to the queue."""


async def timed(c: Customer, phase: str, step) -> Any:
    t0 = time.monotonic()
    out = await step
    c.phases[phase] = time.monotonic() - t0
    return out


async def buy(c: Customer) -> None:
    """The sale, once the customer clicks: each step a phase. A hold answered with a place in
    the queue (the room is on) is the customer's answer; then the queue until let in, and the
    same steps again (a second place in the queue is a failure)."""
    await timed(c, "pick", c.pick())
    try:
        cart = await timed(c, "hold", c.hold())
    except Queued:
        c.queued = c.answered = time.time()
        c.outcome = "queued"
        await timed(c, "queue", c.requeue())
        await timed(c, "pick", c.pick())
        try:
            cart = await timed(c, "hold", c.hold())
        except Queued as again:
            raise Failure(f"queued_again_{again}") from None
    await timed(c, "checkout", c.checkout(cart))
    c.outcome = "winner"


def client_class():
    """python-socketio's client with every raw message handed to the customer as it is read."""
    import engineio
    import socketio

    class Recording:
        def __init__(self, ws, customer: Customer) -> None:
            self._ws, self._c = ws, customer

        def __getattr__(self, name):
            return getattr(self._ws, name)

        async def receive(self, *args, **kwargs):
            msg = await self._ws.receive(*args, **kwargs)
            if isinstance(msg.data, str) and msg.data.startswith("42"):
                self._c.on_raw(time.time(), msg.data)
            return msg

    class Client(socketio.AsyncClient):
        def __init__(self, customer: Customer, **kw) -> None:
            self._customer = customer
            super().__init__(**kw)

        def _engineio_client_class(self):
            customer = self._customer

            class Eio(engineio.AsyncClient):
                async def _connect_websocket(self, url, headers, engineio_path):
                    ok = await super()._connect_websocket(url, headers, engineio_path)
                    if ok:
                        self.ws = Recording(self.ws, customer)
                    return ok

            return Eio

    return Client


async def run_customers(plan: Plan, tokens: list[str], ready, go, seed: int) -> list[dict[str, Any]]:
    """Arrive over plan.arrival seconds, report ready, wait for the sale, click, buy."""
    import random

    import aiohttp

    rnd = random.Random(seed)
    client_cls = client_class()
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    customers = [Customer(plan, t, rnd.choice(plan.ticket_ids)) for t in tokens]
    t0 = time.monotonic()

    async def arrive(c: Customer) -> None:
        await asyncio.sleep(rnd.uniform(0, plan.arrival))
        try:
            await timed(c, "arrive", c.arrive(client_cls, http))
        except Failure as exc:
            c.outcome = f"error:{exc.kind}"

    async def sale(c: Customer) -> None:
        if c.outcome:
            return
        if plan.room:  # in line until admitted, then the event page opens again
            try:
                await timed(c, "queue", c.wait_for_turn())
            except Failure as exc:
                c.outcome, c.answered = f"error:{exc.kind}", time.time()
                return
        await asyncio.sleep(rnd.uniform(0, plan.reaction))
        c.clicked = time.time()
        try:
            await buy(c)
        except Answered as ans:
            c.outcome = str(ans)
        except Failure as exc:
            # In line (a place in the queue was the answer) until the queue's bound: it stays queued.
            c.outcome = "queued" if c.queued and exc.kind == "timeout_queue" else f"error:{exc.kind}"
        except Exception as exc:  # noqa: BLE001 - a client-side surprise is an error too
            c.outcome = f"error:client_{type(exc).__name__}"
            log(f"client error: {exc!r}")
        c.answered = c.answered or time.time()  # a place in the queue answered the click

    beats: list[asyncio.Task] = []

    async def arrive_and_wait(c: Customer) -> None:
        await arrive(c)
        if plan.room and not c.outcome:
            beats.append(asyncio.create_task(c.heartbeat(http)))

    await asyncio.gather(*(arrive_and_wait(c) for c in customers))
    ready.put((len([c for c in customers if not c.outcome]), time.monotonic() - t0, time.process_time()))
    while go.value == 0:
        await asyncio.sleep(0.02)
    await asyncio.sleep(max(0.0, go.value - time.time()))
    await asyncio.gather(*(sale(c) for c in customers))
    ready.put((0, time.monotonic() - t0, time.process_time()))
    while go.value > 0:  # the parent says when the last pushes have had their time
        await asyncio.sleep(0.05)
    for c in customers:
        if c.watching:
            c.watch_until = time.time()
    for beat in beats:
        beat.cancel()
    out = [{"outcome": c.outcome, "phases": c.phases, "pushes": c.pushes, "from": c.watch_from,
            "until": c.watch_until, "clicked": c.clicked, "answered": c.answered, "token": c.client_token,
            "place": c.place, "admitted": c.admitted, "polls": c.polls, "poll_failures": c.poll_failures,
            "handovers": c.handovers, "queued": c.queued, "hold_answers": c.hold_answers}
           for c in customers]
    await asyncio.gather(*(c.close() for c in customers))
    await http.close()
    return out


def client_process(plan: Plan, tokens: list[str], ready, go, results, seed: int) -> None:
    results.put(asyncio.run(run_customers(plan, tokens, ready, go, seed)))


# Measurements -------------------------------------------------------------------------------
def push_latencies(records: list[dict[str, Any]], commits: dict[int, float]) -> tuple[list[float], int, int]:
    """Per (watching tab, commit while it watched): commit -> the first push showing that version
    or a later one. Returns (latencies, missed, pairs)."""
    lat, missed, pairs = [], 0, 0
    for r in records:
        if not r["from"]:
            continue
        frames = sorted(r["pushes"])
        times, highest, top = [], [], 0
        for t, _b, v in frames:
            top = max(top, v)
            times.append(t)
            highest.append(top)
        for version, at in commits.items():
            if not r["from"] <= at < r["until"] - 0.5:  # not watching, or it left right after
                continue
            pairs += 1
            i = bisect_left(highest, version)
            if i < len(highest):
                lat.append(max(0.0, times[i] - at))
            else:
                missed += 1
    return lat, missed, pairs


def redis_used(url: str) -> int:
    return redis_memory(url)["used_memory"]


def redis_memory(url: str) -> dict[str, int]:
    """used_memory, and how much of it is data (keys and values) and client connections' buffers."""
    import redis

    r = redis.Redis.from_url(url)
    stats = r.memory_stats()
    return {"used_memory": int(stats["total.allocated"]), "dataset": int(stats["dataset.bytes"]),
            "clients": int(stats.get("clients.normal", 0)), "connections": int(r.info("clients")["connected_clients"])}


def customer_keys(url: str, client_token: str) -> list[tuple[str, int]]:
    """The Redis keys of one customer's tab and their MEMORY USAGE, largest first."""
    import redis

    r = redis.Redis.from_url(url)
    keys = [k for k in r.scan_iter(match=f"*{client_token}*", count=1000)]
    return sorted(((k.decode(errors="replace"), int(r.memory_usage(k) or 0)) for k in keys), key=lambda x: -x[1])


UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}")


def key_census(url: str) -> list[tuple[str, int, int]]:
    """Every key in Redis grouped by its name with ids blanked: (pattern, keys, bytes)."""
    import redis

    r = redis.Redis.from_url(url)
    groups: dict[str, list[int]] = {}
    for k in r.scan_iter(count=2000):
        pattern = UUID_RE.sub("<id>", k.decode(errors="replace"))
        g = groups.setdefault(pattern, [0, 0])
        g[0] += 1
        g[1] += int(r.memory_usage(k) or 0)
    return sorted(((p, n, b) for p, (n, b) in groups.items()), key=lambda x: -x[2])


def database_check(event_id: str) -> dict[str, int]:
    from sqlmodel import func, select

    from ticketing.db import session_scope
    from ticketing.models import Order
    from ticketing.services.sales import availability

    with session_scope(readonly=True) as db:
        avail = availability.event_availability(db=db, event_id=uuid.UUID(event_id), now=datetime.now(timezone.utc))
        orders = db.exec(select(func.count(Order.id)).where(Order.event_id == uuid.UUID(event_id))).one()
        buyers = db.exec(select(func.count(func.distinct(Order.user_id))).where(
            Order.event_id == uuid.UUID(event_id))).one()
    s = avail.sessions[0]
    taken = s.sold + s.pending + s.held
    return {"capacity": s.capacity, "orders": int(orders), "buyers": int(buyers), "sold": s.sold,
            "pending": s.pending, "held": s.held, "oversold": max(0, taken - s.capacity)}


# Main ---------------------------------------------------------------------------------------
async def sale(args: argparse.Namespace, cluster: Cluster) -> int:
    app_settings(cluster)
    event_id, ticket_ids, owner = publish_event(cluster, args.places)
    room = args.waiting_room > 0
    if room:
        # On before anyone arrives, the sale announced after the arrivals: everyone who comes
        # before it gets a random place; at the sale the organizer opens it (below).
        announced = datetime.now(timezone.utc) + timedelta(seconds=args.arrival_seconds + 300)
        configure_room(cluster, event_id, owner, enabled=True, rate_per_minute=args.waiting_room,
                       opens_at=announced.isoformat())
    tokens = make_customers(args.customers)
    names = state_names()
    schema, hashes = frontend_handshake()
    # A customer may wait until the whole queue has drained at the configured rate (a room the
    # surge rule switched on lets in WAITING_ROOM_RATE a minute), and a step more.
    from ticketing.settings import get_settings

    queue_bound = 60 * args.customers / (args.waiting_room if room else get_settings().waiting_room_rate) + args.timeout
    plan = Plan(cluster.url, event_id, ticket_ids, names, args.timeout, args.reaction_seconds, args.arrival_seconds,
                schema, hashes, room=room, queue_timeout=queue_bound)
    log(f"event {event_id} published with {args.places} places; {len(tokens)} customers")

    commits: dict[int, float] = {}
    stop = asyncio.Event()
    tap = asyncio.create_task(tap_bus(cluster.redis_url, event_id, commits, stop))
    ctx = mp.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Value("d", 0.0)
    procs = []
    shares = [tokens[i::args.procs] for i in range(args.procs)]
    mem0 = redis_memory(cluster.redis_url)
    pids = cluster.instance_pids()
    idle_cores = None
    if room:  # what the instances spend with nobody there (pacers, job workers, the bus): the polls' baseline
        from ticketing.services.waiting_room.rooms import ASK_SOONEST_SECONDS

        cpu_i, t_i = cpu_seconds(pids), time.time()
        await asyncio.sleep(5 * ASK_SOONEST_SECONDS)
        idle_cores = (cpu_seconds(pids) - cpu_i) / (time.time() - t_i)
    cpu0 = cpu_seconds(pids)
    for i, share in enumerate(shares):
        p = ctx.Process(target=client_process, args=(plan, share, ready, go, results, i), daemon=True)
        p.start()
        procs.append(p)
    loop = asyncio.get_running_loop()
    arrived, arrive_s, client_cpu1 = 0, 0.0, 0.0
    for _ in procs:
        n, s, c = await loop.run_in_executor(None, ready.get)
        arrived, arrive_s, client_cpu1 = arrived + n, max(arrive_s, s), client_cpu1 + c
    cpu1, t_cpu1 = cpu_seconds(cluster.instance_pids()), time.time()
    await asyncio.sleep(1.0)  # the last saves land
    mem1 = redis_memory(cluster.redis_url)
    census = key_census(cluster.redis_url)
    heartbeat_cpu = None
    if room:  # before the opening the queue pages' polls are all the app does
        from ticketing.services.waiting_room.rooms import ASK_SOONEST_SECONDS

        beat_s = 5 * ASK_SOONEST_SECONDS  # the polls sent meanwhile are counted from the records
        cpu_a, t_a = cpu_seconds(cluster.instance_pids()), time.time()
        await asyncio.sleep(beat_s)
        heartbeat_cpu = (cpu_seconds(cluster.instance_pids()) - cpu_a, (t_a, time.time()), beat_s)
    load_at_sale = os.getloadavg()
    log(f"{arrived} customers have the page open ({arrive_s:.1f} s); the sale opens")
    t_sale = time.time() + 0.5
    room_samples: list[tuple[float, int, int]] = []
    room_stop = asyncio.Event()
    watcher = None
    if room:
        configure_room(cluster, event_id, owner, enabled=True,
                       opens_at=datetime.fromtimestamp(t_sale, timezone.utc).isoformat())
        watcher = asyncio.create_task(watch_room(cluster, event_id, owner, room_samples, room_stop))
    go.value = t_sale
    mem_peak = mem1["used_memory"]
    done = 0
    deadline = time.monotonic() + args.reaction_seconds + 4 * args.timeout + 60 + queue_bound
    client_cpu2, t_go = 0.0, time.time()
    while done < len(procs) and time.monotonic() < deadline:
        try:
            client_cpu2 += (await loop.run_in_executor(None, lambda: ready.get(timeout=2)))[2]
            done += 1
        except Exception:  # noqa: BLE001 - queue.Empty: not yet
            pass
        mem_peak = max(mem_peak, redis_used(cluster.redis_url))
    t_done = time.time()
    if done < len(procs):
        log("some customers were still waiting at the deadline")
    await asyncio.sleep(args.grace)
    cpu2 = cpu_seconds(cluster.instance_pids())
    load_after = os.getloadavg()
    go.value = -1.0
    records: list[dict[str, Any]] = []
    for _ in procs:
        records.extend(await loop.run_in_executor(None, results.get))
    for p in procs:
        p.join(timeout=30)
    stop.set()
    await tap
    room_stop.set()
    if watcher is not None:
        await watcher

    # Figures ------------------------------------------------------------------------------
    outcomes = Counter(r["outcome"] or "unanswered" for r in records)
    answered = [r["answered"] - r["clicked"] for r in records if r["answered"] and r["clicked"]]
    winners = [r for r in records if r["outcome"] == "winner"]
    errors = Counter(o for o in outcomes.elements() if o.startswith("error:") or o == "unanswered")
    print(f"\n== On-sale through the pages: {args.customers} customers, {args.places} places, "
          f"{args.instances} instances x {args.workers} workers behind nginx ==")
    print(f"load average at the sale {load_at_sale[0]:.2f} (1 min), after {load_after[0]:.2f}; "
          f"{os.cpu_count()} CPUs; client processes: {args.procs}, their CPU: {client_cpu1:.1f} s until everyone "
          f"had the page open, {client_cpu2 - client_cpu1:.1f} s from then until the last answer "
          f"({t_done - t_go:.0f} s)")
    print("\nper phase (wall time seen by the customer):")
    for phase in PHASES:
        if phase == "queue" and not any("queue" in r["phases"] for r in records):
            continue
        print(f"  {phase:9s} {spread([r['phases'][phase] for r in records if phase in r['phases']])}")
    print(f"  {'answered':9s} {spread(answered)}   (click -> winner or clean refusal)")
    late = sum(1 for a in answered if a > 30)
    print(f"  answered after 30 s: {late};  never answered: {outcomes.get('unanswered', 0)}")
    room_ok, per_poll = True, None
    if room:
        room_ok = room_figures(args, records, room_samples, t_sale)
        if heartbeat_cpu is not None:
            cpu, (t_a, t_b), span = heartbeat_cpu
            polls = sum(1 for r in records for t in r["polls"] if t_a <= t < t_b)
            per_poll = cpu / max(1, polls)
            print(f"  the queue pages' polls (GET .../waiting-room/me) before the opening: {cpu:.1f} s of app CPU in "
                  f"{span:.0f} s for about {polls:.0f} polls ({1000 * per_poll:.1f} ms each; "
                  f"{cpu / span:.2f} cores for {arrived} waiting tabs)")
            if idle_cores is not None:
                net = max(0.0, cpu - idle_cores * span) / max(1, polls)
                print(f"    less the instances' idle CPU ({idle_cores:.2f} cores with nobody there): "
                      f"{1000 * net:.1f} ms per poll")
        late += sum(1 for r in records if r["place"] is None or r["phases"].get("arrive", 99) > 30)
    holds_t = sorted((r["admitted"] if r["queued"] else r["clicked"]) + r["phases"].get("pick", 0)
                     + r["phases"]["hold"] for r in records if "hold" in r["phases"] and r["outcome"] == "winner")
    if len(holds_t) > 1:
        span = holds_t[-1] - holds_t[0] or 1e-9
        print(f"\nholds per second: {len(holds_t) / span:.0f} ({len(holds_t)} holds in {span:.1f} s)")
        orders_t = sorted(r["answered"] for r in winners)
        ospan = orders_t[-1] - orders_t[0] or 1e-9
        print(f"orders per second: {len(orders_t) / ospan:.0f} ({len(orders_t)} orders in {ospan:.1f} s)")
    print("\noutcomes: " + ", ".join(f"{k} {v}" for k, v in outcomes.most_common()))
    queued = [r for r in records if r["queued"]]
    answers = Counter(a for r in records for a in r["hold_answers"])
    print(f"holds (HTTP POST .../holds, no page event): {sum(answers.values())}, by status: "
          + (", ".join(f"{k} {v}" for k, v in answers.most_common()) or "none"))
    if queued:
        then = Counter(r["outcome"] for r in queued)
        print(f"queued: {len(queued)} holds answered with a place in the queue (403 admission_*: the room "
              f"{'was' if room else 'switched itself'} on), the first {min(r['queued'] for r in queued) - t_sale:.1f} s "
              f"after the sale; then: " + ", ".join(f"{k} {v}" for k, v in then.most_common()))
    print("errors by kind: " + (", ".join(f"{k} {v}" for k, v in errors.most_common()) or "none"))
    for what, n in cluster.server_errors().most_common(6):
        print(f"  logged by the instances: {n} x {what}")

    print("\nRedis (state of every tab, live bus, locks):")
    def per(key: str) -> float:
        return (mem1[key] - mem0[key]) / max(1, arrived) / 1024

    print(f"  used_memory {mem0['used_memory'] / 1e6:.1f} MB before the customers, {mem1['used_memory'] / 1e6:.1f} MB "
          f"with {arrived} pages open, {mem_peak / 1e6:.1f} MB at the peak of the sale")
    print(f"  per connected customer: {per('used_memory'):.1f} KB used_memory, of which data (keys, values) "
          f"{per('dataset'):.1f} KB; the app's connections' buffers {mem1['clients'] / 1e6:.1f} MB "
          f"({mem1['connections']} connections, not per customer)")
    sample = next((r for r in records if r["outcome"] == "sold_out" and r["from"]), None) or records[0]
    keys = customer_keys(cluster.redis_url, sample["token"])
    print(f"  one customer's keys (a {sample['outcome'] or 'customer'}): {sum(s for _, s in keys) / 1024:.1f} KB in {len(keys)} keys")
    for k, s in keys[:8]:
        print(f"    {s:7d} B  {k.replace(sample['token'], '<token>')}")

    print(f"  every key with the {arrived} pages open, by name (MEMORY USAGE; per customer):")
    for pattern, n, b in census[:12]:
        print(f"    {b / max(1, arrived):7.0f} B  {n:6d} keys  {pattern[:110]}")
    print("\nlive pushes to the watching tabs:")
    lat, missed, pairs = push_latencies(records, commits)
    print(f"  commit -> each watching tab's push: {spread(lat)}; missed {missed} of {pairs}")
    pushed = [(b, r) for r in records for (_t, b, _v) in r["pushes"]]
    watch_s = sum(max(0.0, r["until"] - r["from"]) for r in records if r["from"])
    n_frames = len(pushed)
    total_b = sum(b for b, _ in pushed)
    purchases = max(1, len(winners))
    tabs_watching = sum(1 for r in records if r["from"])
    print(f"  {len(commits)} commits ({purchases} purchases = hold + checkout); {n_frames} push frames, "
          f"median {statistics.median([b for b, _ in pushed]) if pushed else 0:.0f} B")
    print(f"  bytes pushed per purchase per watching tab: {total_b / purchases / max(1, tabs_watching):.0f} B"
          f"  ({total_b / max(1, pairs):.0f} B per commit per tab; {watch_s:.0f} tab-seconds watched)")

    # Page events of the sale: at checkout leave + on_load_internal + checkout (pick sends none,
    # the basket being the browser's; the hold is an HTTP request, counted apart); with the room
    # also each queue page's hand-overs (refresh) and the event page's on_load once let in, and
    # for a customer a hold sent to the queue the event page's leave and the queue page's
    # on_load_internal. The queue pages' polls meanwhile are HTTP requests, counted apart.
    events = sum(3 * ("checkout" in r["phases"]) + 2 * bool(r["queued"])
                 + sum(1 for t in r.get("handovers", []) if t >= t_cpu1) + bool(r["admitted"]) for r in records)
    sale_polls = sum(1 for r in records for t in r.get("polls", []) if t >= t_cpu1)
    print(f"\napp CPU (all instances): {cpu1 - cpu0:.1f} s for {arrived} arrivals "
          f"({1000 * (cpu1 - cpu0) / max(1, arrived):.1f} ms each: hydrate + on_load"
          f"{', and the queue pages and their polls meanwhile' if room else ''}), {cpu2 - cpu1:.1f} s for the sale "
          f"({events} page events{f', {sale_polls} queue polls' if room else ''} and {n_frames} pushes: "
          f"{1000 * (cpu2 - cpu1) / max(1, events):.1f} ms per event, "
          f"{events / max(1, arrived):.2f} events and {1000 * (cpu2 - cpu1) / max(1, arrived):.1f} ms per customer)")
    if room and per_poll is not None:
        print(f"  without the queue polls' share (at {1000 * per_poll:.1f} ms each, as before the opening): "
              f"{1000 * max(0.0, cpu2 - cpu1 - sale_polls * per_poll) / max(1, events):.1f} ms per page event")

    check = database_check(event_id)
    print(f"\ndatabase: capacity {check['capacity']}, orders {check['orders']} from {check['buyers']} buyers, "
          f"sold {check['sold']} pending {check['pending']} held {check['held']}, oversold {check['oversold']}")
    print(f"  winners seen by the customers: {len(winners)}; winners = capacity: "
          f"{'yes' if check['orders'] == check['capacity'] == len(winners) else 'NO'}")
    ok = (check["oversold"] == 0 and not errors and late == 0 and room_ok)
    print("\ntargets: zero 5xx/errors {} | oversold 0 {} | answered within 30 s {} | push p95 < 250 ms {}".format(
        "yes" if not errors else "NO", "yes" if check["oversold"] == 0 else "NO", "yes" if late == 0 else "NO",
        ("yes" if lat and pct(lat, 95) < 0.25 else "NO") if lat else "-"))
    return 0 if ok else 1


def room_figures(args: argparse.Namespace, records: list[dict[str, Any]], samples: list[tuple[float, int, int]],
                 t_sale: float) -> bool:
    """The waiting room's figures (--waiting-room): places given at arrival, the drain against
    the configured rate, the queue over time, holds of admitted customers. Whether its targets
    were met."""
    placed = [r for r in records if r["place"] is not None]
    arrival = [r["phases"]["arrive"] for r in placed]
    print(f"\nwaiting room (configured {args.waiting_room} a minute):")
    print(f"  arrival -> a place in line shown (position and estimate): {spread(arrival)}")
    late = sum(1 for a in arrival if a > 30)
    print(f"    {len(placed)} of {len(records)} customers got a place; after 30 s: {late}; e.g. "
          + "; ".join(f"#{pos} '{wait}'" for pos, wait in sorted(r["place"] for r in placed[:3])))
    waits = [r["admitted"] - t_sale for r in records if r["admitted"]]
    if waits:
        print(f"  the sale -> the tab sent to the event page: min {min(waits):.1f} s, median "
              f"{statistics.median(waits):.1f} s, max {max(waits):.1f} s ({len(waits)} admitted)")
    polls = sum(len(r["polls"]) for r in records)
    failures = Counter(k for r in records for k in r["poll_failures"])
    print(f"  queue pages: {polls} polls of GET .../waiting-room/me (HTTP, bearer token), "
          f"{sum(len(r['handovers']) for r in records)} hand-overs to the page (WaitingRoomState.refresh over the "
          f"websocket) for {len(waits)} let in; failed polls: "
          + (", ".join(f"{k} {v}" for k, v in failures.most_common()) or "none"))
    rate = drain_rate(samples)
    within = rate is not None and abs(rate[0] - args.waiting_room) <= 0.1 * args.waiting_room
    if rate is None:
        print("  drain: too few samples with people waiting and let in to measure a rate")
    else:
        print(f"  drain: {rate[0]:.0f} admitted a minute over {rate[1]:.1f} s of draining "
              f"({100 * (rate[0] / args.waiting_room - 1):+.1f}% of the configured rate; target within 10%)")
    drained = next((i for i, (_t, w, _a) in enumerate(samples) if w == 0 and _a > 0), len(samples) - 1)
    if samples:  # about eight samples from the sale until the queue was empty
        until = samples[:drained + 1]
        step = max(1, len(until) // 8)
        shown = until[::step] + ([until[-1]] if (len(until) - 1) % step else [])
        print("  queue over time (s after the sale: waiting / let in): "
              + ", ".join(f"{max(0.0, t - t_sale):.0f}: {w}/{a}" for t, w, a in shown))
    holds = [r["phases"]["hold"] for r in records if "hold" in r["phases"] and r["admitted"]]
    fast = bool(holds) and pct(holds, 99) < 0.1
    print(f"  hold, admitted customers: {spread(holds)}  (target p99 < 100 ms: {'yes' if fast else 'NO'})")
    print(f"targets (room): drain within 10% {'yes' if within else 'NO'} | hold p99 < 100 ms "
          f"{'yes' if fast else 'NO'} | a place within 30 s of arrival {'yes' if not late and len(placed) == len(records) else 'NO'}")
    return within and fast


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--places", type=int, default=500)
    ap.add_argument("--instances", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2, help="granian workers per instance")
    ap.add_argument("--procs", type=int, default=2, help="client processes")
    ap.add_argument("--arrival-seconds", type=float, default=120.0, help="customers open the page over this time")
    ap.add_argument("--reaction-seconds", type=float, default=2.0, help="clicks spread over this time at the opening")
    ap.add_argument("--timeout", type=float, default=30.0, help="per step, and the answer target")
    ap.add_argument("--grace", type=float, default=2.0, help="seconds for the last pushes after the sale")
    ap.add_argument("--waiting-room", type=int, default=0, metavar="RATE",
                    help="switch the event's waiting room on, letting RATE customers in a minute (0: no room)")
    args = ap.parse_args()
    cluster = Cluster(args.instances, args.workers)
    try:
        cluster.start()
        return asyncio.run(sale(args, cluster))
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
