"""Seat map figures on a generated 20,000-seat venue (a benchmark, not a test).

    python bench/seatmap.py [--seats 20000] [--runs 5] [--changes 80] [--clients 3]

It creates a fresh PostgreSQL database, seats one performance in a generated arena, starts the
real app (production build, one worker, embedded in-process bus) and drives headless Chromium:

1. navigation -> interactive: from navigation start until the map has its layout and statuses
   and has drawn its first frame (median of --runs fresh browser contexts; target < 1 s);
2. bytes per seat-status change per client: --clients pages watch the map while seats are held
   and released one by one through the JSON API; every websocket frame carrying `seat_delta` is
   counted (target < 512 B), against what re-sending all statuses would cost;
3. frame time while panning: draw time of each frame during a mouse drag, whole venue in view
   and zoomed in, desktop and phone.

Screenshots of the 20,000-seat map land in artifacts/. Figures are printed; machines are shared
and noisy, so medians and ratios measured in the same run are what to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_NAME = f"tk_bench_seats_{os.getpid()}"
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
os.environ["DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"
os.environ.setdefault("JWT_SECRET", "bench-secret-" + uuid.uuid4().hex)
os.environ["TICKETING_ENV"] = "development"
os.environ.pop("REDIS_URL", None)

import httpx  # noqa: E402
import psycopg  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, RunningApp, app_env, free_port  # noqa: E402

ARTIFACTS = ROOT / "artifacts"
MAP = "seat-map"


def migrate(url: str) -> None:
    from alembic.config import Config

    from alembic import command

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values):.1f} ms, p95 {sorted(values)[int(0.95 * (len(values) - 1))]:.1f} ms"


def build(seats: int, buyers: int) -> dict:
    """The seated arena event, its owner and `buyers` customers with API tokens."""
    from datetime import timedelta

    from tests.factories import make_org
    from ticketing.db import session_scope
    from ticketing.demo_seating import arena, seated_event
    from ticketing.models import User
    from ticketing.models.base import utcnow
    from ticketing.services.accounts.tokens import issue_token
    from ticketing.services.seating import seat_map

    started = time.perf_counter()
    with session_scope() as db:
        owner = User(email=f"owner-{uuid.uuid4().hex[:8]}@bench.test", name="Bench Owner", password_hash="!")
        db.add(owner)
        db.flush()
        org = make_org(db, owner=owner)
        event, session = seated_event(
            db, owner=owner, org=org, title="Arena night", layout=arena(seats), starts_at=utcnow() + timedelta(days=30),
            bands=[("Floor", "120.00", "#7c3aed", [f"Lower {i}" for i in (3, 4)]), ("Lower", "80.00", "#2563eb",
                   [f"Lower {i}" for i in (1, 2, 5, 6)]), ("Upper", "45.00", "#0d9488", None)],
            max_tickets=10,
        )
        users = [User(email=f"b{i}-{uuid.uuid4().hex[:6]}@bench.test", name=f"Buyer {i}", password_hash="!")
                 for i in range(buyers)]
        db.add_all(users)
        db.flush()
        tokens = [issue_token(user_id=u.id, token_version=u.token_version, now=utcnow()) for u in users]
        levels = {lv["name"]: lv for lv in seat_map.price_levels(db, event.id)}
        data = {"event": str(event.id), "session": str(session.id), "tokens": tokens, "levels": levels}
    data["build_s"] = time.perf_counter() - started
    return data


def server_side(data: dict) -> dict:
    """Layout encoding, status snapshot and best available on the server, timed in-process."""
    from ticketing.db import session_scope
    from ticketing.models import SeatedSession
    from ticketing.models.base import utcnow
    from ticketing.services.seating import seat_map, seat_sales

    out = {}
    with session_scope(readonly=True) as db:
        seated = db.get(SeatedSession, uuid.UUID(data["session"]))
        t = time.perf_counter()
        plain, packed = seat_map.layout_bytes(db, seated)
        out["layout_encode_ms"] = (time.perf_counter() - t) * 1000
        out["layout_bytes"], out["layout_gzip_bytes"] = len(plain), len(packed)
        times = []
        for _ in range(5):
            seat_map._snapshots.clear()  # the uncached cost (clients at one version share it)
            t = time.perf_counter()
            snap = seat_map.status_snapshot(db, seated=seated, now=utcnow())
            times.append((time.perf_counter() - t) * 1000)
        out["status_ms"], out["status_bytes"] = statistics.median(times), len(json.dumps(snap))
        times = []
        for count in (2, 4, 8):
            t = time.perf_counter()
            seat_sales.find_best(db=db, event_id=uuid.UUID(data["event"]), session_id=uuid.UUID(data["session"]),
                                 user_id=None, count=count, now=utcnow())
            times.append((time.perf_counter() - t) * 1000)
        out["best_ms"] = statistics.median(times)
    return out


def navigation(browser, base: str, url: str, runs: int) -> dict:
    """Navigation start -> map interactive, in fresh contexts (cold HTTP cache each time)."""
    ready, dcl, layout_wire, steps = [], [], [], []
    for _ in range(runs):
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=base)
        page = ctx.new_page()
        sizes = {}

        def on_response(resp, sizes=sizes):
            if "/seatmap" in resp.url or "/seats/status" in resp.url:
                try:
                    sizes[resp.url.rsplit("/", 1)[-1]] = int(resp.headers.get("content-length") or 0)
                except ValueError:
                    pass

        page.on("response", on_response)
        page.goto(url)
        page.wait_for_function(f"window.__seatmaps && window.__seatmaps['{MAP}'] && "
                               f"window.__seatmaps['{MAP}'].readyAt > 0", timeout=60_000)
        ready.append(page.evaluate(f"window.__seatmaps['{MAP}'].readyAt"))
        steps.append(page.evaluate("""() => {
            const at = (name) => (performance.getEntriesByName(name)[0] || {}).startTime;
            const res = performance.getEntriesByType('resource');
            const end = (part) => Math.max(0, ...res.filter((r) => r.name.includes(part)).map((r) => r.responseEnd));
            const scripts = res.filter((r) => r.initiatorType === 'script' || r.name.endsWith('.js'));
            return {scripts_loaded: Math.max(0, ...scripts.map((r) => r.responseEnd)),
                    layout_arrived: end('/seatmap'), status_arrived: end('/seats/status'),
                    map_mounted: at('seatmap-fetch'), layout_decoded: at('seatmap-layout')};
        }"""))
        dcl.append(page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"))
        layout_wire.append(sizes.get("seatmap", 0))
        ctx.close()
    return {"ready": ready, "dcl": dcl, "layout_wire": layout_wire,
            "steps": {k: statistics.median(s[k] or 0 for s in steps) for k in steps[0]} if steps else {}}


def bytes_per_change(browser, base: str, url: str, data: dict, clients: int, changes: int) -> dict:
    """Seats held and released one at a time through the API while `clients` pages watch."""
    pages, received = [], []
    for c in range(clients):
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=base)
        page = ctx.new_page()
        frames: list[int] = []
        received.append(frames)

        def on_ws(ws, frames=frames):
            ws.on("framereceived", lambda payload: frames.append(len(payload.encode() if isinstance(payload, str)
                                                                       else payload))
                  if "seat_delta" in (payload if isinstance(payload, str) else payload.decode("utf-8", "replace"))
                  else None)

        page.on("websocket", on_ws)
        page.goto(url)
        page.wait_for_function(f"window.__seatmaps && window.__seatmaps['{MAP}'] && "
                               f"window.__seatmaps['{MAP}'].ready", timeout=60_000)
        pages.append(page)
    time.sleep(1.0)
    for frames in received:
        frames.clear()
    start_version = pages[0].evaluate(f"window.__seatmaps['{MAP}'].version")
    api = httpx.Client(base_url=base + "/api/v1", timeout=30)
    event, session = data["event"], data["session"]
    # Single seats far apart in the upper tiers: one seat-status change per transaction.
    described = api.get(f"/events/{event}/sessions/{session}/seats",
                        params={"idx": list(range(19_000, 19_000 + changes // 2))}).json()
    types = {lv["name"]: lv["ticket_type_id"] for lv in data["levels"].values()}
    held, seat_changes = [], 0
    started = time.perf_counter()
    for k, seat in enumerate(described):
        token = data["tokens"][k % len(data["tokens"])]
        r = api.post(f"/events/{event}/holds", headers={"Authorization": f"Bearer {token}"},
                     json={"items": [{"ticket_type_id": types[seat["level"]], "quantity": 1}],
                           "seat_ids": [seat["id"]]})
        r.raise_for_status()
        held.append((r.json()["id"], token))
        seat_changes += 1
    for hold_id, token in held:
        api.delete(f"/holds/{hold_id}", headers={"Authorization": f"Bearer {token}"}).raise_for_status()
        seat_changes += 1
    elapsed = time.perf_counter() - started
    final = start_version + seat_changes
    for page in pages:
        page.wait_for_function(f"window.__seatmaps['{MAP}'].version >= {final}", timeout=60_000)
    time.sleep(0.5)
    stats = [page.evaluate(f"window.__seatmaps['{MAP}'].stats") for page in pages]
    for page in pages:
        page.context.close()
    per_client = [sum(f) / seat_changes for f in received]
    return {"changes": seat_changes, "per_client_bytes": per_client, "frame_sizes": [s for f in received for s in f],
            "frames_per_client": [len(f) for f in received], "stats": stats, "writes_per_s": seat_changes / elapsed}


def panning(browser, base: str, url: str, viewport: dict, name: str) -> dict:
    """Draw time per frame while dragging the map: whole venue in view, then zoomed in."""
    ctx = browser.new_context(viewport=viewport, base_url=base, is_mobile=viewport["width"] < 500,
                              has_touch=viewport["width"] < 500)
    page = ctx.new_page()
    page.goto(url)
    page.wait_for_function(f"window.__seatmaps && window.__seatmaps['{MAP}'] && window.__seatmaps['{MAP}'].readyAt > 0",
                           timeout=60_000)
    time.sleep(0.5)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"seatmap-20k-{name}.png"), full_page=False)
    box = page.locator(f"#{MAP} canvas").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    out = {}
    for label in ("whole venue", "zoomed in"):
        if label == "zoomed in":
            idx = page.evaluate(f"window.__seatmaps['{MAP}'].find('Lower 3', '10', '20')")
            page.evaluate(f"window.__seatmaps['{MAP}'].zoomTo({idx}, 10)")
            time.sleep(0.3)
            page.screenshot(path=str(ARTIFACTS / f"seatmap-20k-{name}-zoomed.png"), full_page=False)
        before = len(page.evaluate(f"window.__seatmaps['{MAP}'].frames"))
        page.mouse.move(cx, cy)
        page.mouse.down()
        t = time.perf_counter()
        for k in range(60):
            page.mouse.move(cx + 120 * __import__("math").sin(k / 6), cy + 80 * __import__("math").cos(k / 8))
        page.mouse.up()
        wall = time.perf_counter() - t
        frames = page.evaluate(f"window.__seatmaps['{MAP}'].frames")[before:]
        out[label] = {"frames": frames, "wall_s": wall}
    ctx.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seats", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--changes", type=int, default=80)
    ap.add_argument("--clients", type=int, default=3)
    args = ap.parse_args()

    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    app = None
    try:
        migrate(os.environ["DATABASE_URL"])
        data = build(args.seats, buyers=max(args.changes, 10))
        print(f"venue: {args.seats:,} seats, built and seated in {data['build_s']:.1f} s")
        server = server_side(data)
        print(f"server: layout {server['layout_bytes'] / 1024:.0f} KB JSON, {server['layout_gzip_bytes'] / 1024:.0f} KB "
              f"gzipped, encoded once in {server['layout_encode_ms']:.0f} ms; status snapshot "
              f"{server['status_bytes'] / 1024:.1f} KB in {server['status_ms']:.0f} ms; best available "
              f"{server['best_ms']:.0f} ms")
        port = free_port()
        ARTIFACTS.mkdir(exist_ok=True)
        env = app_env(port, DATABASE_URL=os.environ["DATABASE_URL"], JWT_SECRET=os.environ["JWT_SECRET"],
                      GRANIAN_WORKERS="1")
        app = RunningApp(port, env, ARTIFACTS / "bench-seatmap-app.log")
        t = time.perf_counter()
        app.wait_ready(600)
        print(f"app: ready in {time.perf_counter() - t:.0f} s")
        base, url = app.url, f"/events/{data['event']}/seats/{data['session']}"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            navigation(browser, base, url, 1)  # warm the server's layout cache and the build
            nav = navigation(browser, base, url, args.runs)
            print("  where the time goes (median ms after navigation start): "
                  + ", ".join(f"{k.replace('_', ' ')} {v:.0f}" for k, v in nav["steps"].items()))
            print(f"navigation -> interactive map ({args.runs} fresh contexts): {ms(nav['ready'])} "
                  f"(DOMContentLoaded {ms(nav['dcl'])}; layout on the wire {statistics.median(nav['layout_wire']) / 1024:.0f} KB)"
                  f"  target < 1000 ms")
            live = bytes_per_change(browser, base, url, data, args.clients, args.changes)
            per = live["per_client_bytes"]
            print(f"live: {live['changes']} seat-status changes ({live['writes_per_s']:.0f}/s through the API), "
                  f"{args.clients} clients: {statistics.median(per):.0f} B per change per client "
                  f"(frames median {statistics.median(live['frame_sizes']):.0f} B, max {max(live['frame_sizes'])} B; "
                  f"frames per client {live['frames_per_client']}; snapshots after load "
                  f"{[s['snapshots'] - 1 for s in live['stats']]}, gaps {[s['gaps'] for s in live['stats']]})  "
                  f"target < 512 B; re-sending every status would be {server['status_bytes']:,} B per change")
            for name, viewport in (("desktop", {"width": 1280, "height": 800}), ("phone", {"width": 390, "height": 844})):
                pan = panning(browser, base, url, viewport, name)
                for label, figures in pan.items():
                    frames = figures["frames"]
                    print(f"panning {name}, {label}: {len(frames)} frames, draw {ms(frames)}")
            browser.close()
        print(f"screenshots: {ARTIFACTS}/seatmap-20k-desktop.png, -phone.png (and -zoomed)")
    finally:
        if app is not None:
            app.stop()
        from ticketing.db import dispose_engines

        dispose_engines()
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
