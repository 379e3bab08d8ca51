"""First loads of the organizer console's Setup and Reports pages (a benchmark, not a test).

    python bench/console_loads.py [--orders 400] [--sessions 30] [--runs 5]

It creates a fresh PostgreSQL database with one event of --sessions sessions and --orders paid
orders (bought through the sales services), then:

1. server side, in process: each page's reads (the builder view both pages load, the sales
   report) with the number of SQL statements and their time (median of --runs);
2. in headless Chromium against the real app (production build, one worker): from navigation
   start to the page's content on screen (Setup: the status panel; Reports: the per-session table),
   in a fresh browser context each time (cold HTTP cache), and again in a context that has
   loaded the app once (warm: the JavaScript cached, as for an organizer moving between tabs).
   The issue's figures were 5.4 s (Setup) and 7 s (Reports); its target is under 2 s.

Medians are printed; machines are shared and noisy, so compare runs made side by side.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_NAME = f"tk_bench_console_{os.getpid()}"
ADMIN = os.environ.get("BENCH_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
os.environ["DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"
os.environ.setdefault("JWT_SECRET", "bench-secret-" + uuid.uuid4().hex)
os.environ["TICKETING_ENV"] = "development"
os.environ.pop("REDIS_URL", None)

from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import event as sa_event  # noqa: E402

from bench.scratch_db import scratch_database  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, RunningApp, app_env, free_port  # noqa: E402

ARTIFACTS = ROOT / "artifacts"
PAGES = {"setup": "#status-section", "reports": "#by-session"}


def build(n_sessions: int, n_orders: int) -> dict:
    """An owner, an event with `n_sessions` sessions and a few ticket types, `n_orders` paid orders."""
    from tests.builders import make_buyers, make_event, make_session, make_ticket_type
    from tests.factories import make_org
    from ticketing.db import session_scope
    from ticketing.models.base import utcnow
    from ticketing.services.accounts.tokens import issue_token
    from ticketing.services.sales import holds, orders

    now = utcnow()
    with session_scope() as db:
        owner = make_buyers(db, 1, name="Bench Owner")[0]
        org = make_org(db, owner=owner, now=now)
        event = make_event(db, org=org, title="Bench festival", max_tickets_per_order=10)
        start = now + timedelta(days=20)
        sessions = [make_session(db, event=event, name=f"Day {i + 1}", capacity=5000,
                                 starts_at=start + timedelta(days=i)) for i in range(n_sessions)]
        types = [make_ticket_type(db, event=event, name="Festival pass", sessions=sessions, price_minor=25000,
                                  sort_order=0)]
        types += [make_ticket_type(db, event=event, name=f"{s.name} only", sessions=[s], price_minor=4000 + 100 * i,
                                   sort_order=i + 1) for i, s in enumerate(sessions)]
        buyers = [b.id for b in make_buyers(db, 50)]
        ids = {"event": event.id, "owner": owner.id, "types": [t.id for t in types]}
        token = issue_token(user_id=owner.id, token_version=owner.token_version, now=now)
    started = time.perf_counter()
    for k in range(n_orders):
        type_id = ids["types"][k % len(ids["types"])]
        with session_scope() as db:
            h = holds.hold_tickets(db=db, event_id=ids["event"], user_id=buyers[k % len(buyers)],
                                   items=[(type_id, 1 + k % 3)], now=now)
        with session_scope() as db:
            order = orders.checkout(db=db, hold_id=h.id, user_id=buyers[k % len(buyers)], attendees=None, now=now)
        with session_scope() as db:
            orders.confirm_order(db=db, order_id=order.id, now=now, payment_reference=f"pi_bench_{k}")
    return {"event": str(ids["event"]), "owner": ids["owner"], "token": token, "build_s": time.perf_counter() - started}


def server_side(data: dict, runs: int) -> dict[str, tuple[float, int]]:
    """{read: (median ms, SQL statements)} of what each page's on_load reads."""
    from ticketing.db import get_engine, session_scope
    from ticketing.models.base import utcnow
    from ticketing.services.catalog import console_catalog
    from ticketing.services.reporting import sales_report

    statements = [0]

    def count(*_args) -> None:
        statements[0] += 1

    engine = get_engine()
    sa_event.listen(engine, "before_cursor_execute", count)
    reads = {
        "builder_view (setup, reports)": lambda db: console_catalog.builder_view(
            db=db, user_id=data["owner"], event_id=uuid.UUID(data["event"]), now=utcnow()),
        "event_report (reports)": lambda db: sales_report.event_report(
            db=db, user_id=data["owner"], event_id=uuid.UUID(data["event"]), now=utcnow()),
    }
    out = {}
    try:
        for name, read in reads.items():
            times, counts = [], []
            for _ in range(runs):
                statements[0] = 0
                t = time.perf_counter()
                with session_scope(readonly=True) as db:
                    read(db)
                times.append((time.perf_counter() - t) * 1000)
                counts.append(statements[0])
            out[name] = (statistics.median(times), max(counts))
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    return out


def first_loads(browser, base: str, data: dict, runs: int) -> dict[str, dict[str, list[float]]]:
    """ms from navigation start to the page's content, cold (fresh context) and warm."""
    out: dict[str, dict[str, list[float]]] = {name: {"cold": [], "warm": []} for name in PAGES}
    script = f"window.localStorage.setItem('tk_token', {data['token']!r});"
    for _ in range(runs):
        for name, selector in PAGES.items():
            url = f"/manage/events/{data['event']}/{name}"
            ctx = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=base)
            ctx.add_init_script(script)
            page = ctx.new_page()
            page.goto(url)
            try:
                page.wait_for_selector(selector, state="visible", timeout=120_000)
            except Exception:
                page.screenshot(path=str(ARTIFACTS / f"bench-console-{name}-stuck.png"))
                print(f"{name}: no {selector} at {page.url}; screenshot in artifacts/", file=sys.stderr)
                raise
            out[name]["cold"].append(page.evaluate("performance.now()"))
            # Warm: the same context (JavaScript cached) loads the page again from scratch.
            page.goto(url)
            page.wait_for_selector(selector, state="visible", timeout=120_000)
            out[name]["warm"].append(page.evaluate("performance.now()"))
            page.screenshot(path=str(ARTIFACTS / f"bench-console-{name}.png"))
            ctx.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=400)
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-browser", action="store_true", help="server-side figures only")
    args = ap.parse_args()
    ARTIFACTS.mkdir(exist_ok=True)
    with scratch_database(ADMIN, DB_NAME, os.environ["DATABASE_URL"]):
        data = build(args.sessions, args.orders)
        print(f"event: {args.sessions} sessions, {args.sessions + 1} ticket types, {args.orders} paid orders "
              f"(built in {data['build_s']:.1f} s)")
        for name, (ms, statements) in server_side(data, args.runs).items():
            print(f"server  {name:32} median {ms:7.1f} ms  {statements} SQL statements")
        if not args.no_browser:
            browser_side(data, args.runs)


def browser_side(data: dict, runs: int) -> None:
    port = free_port()
    app = RunningApp(port, app_env(port, DATABASE_URL=os.environ["DATABASE_URL"], GRANIAN_WORKERS="1"),
                     ARTIFACTS / "bench-console-app.log")
    try:
        t = time.perf_counter()
        app.wait_ready(900)
        print(f"app built and started in {time.perf_counter() - t:.0f} s")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # One throwaway load: the server's first request of a worker pays its own warm-up.
            first_loads(browser, app.url, data, 1)
            for name, figures in first_loads(browser, app.url, data, runs).items():
                for kind, values in figures.items():
                    print(f"browser {name:8} {kind:4}  median {statistics.median(values):7.0f} ms  "
                          f"(min {min(values):.0f}, max {max(values):.0f}; target < 2000 ms)")
            browser.close()
    finally:
        app.stop()


if __name__ == "__main__":
    main()
