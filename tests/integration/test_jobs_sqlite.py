"""The embedded default (SQLite, no queue): a job runs in the app's process after commit, off
the caller's thread, and its mail goes out once; a rolled-back change runs no job. Run in a
process of its own, whose settings point at a SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r'''
import os, threading
from datetime import timedelta
from pathlib import Path
from alembic import command
from alembic.config import Config
cfg = Config("alembic.ini"); cfg.attributes["database_url"] = os.environ["DATABASE_URL"]; command.upgrade(cfg, "head")
from tests.builders import make_buyers, make_event, make_session, make_ticket_type
from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.jobs import queue
from ticketing.jobs.worker import run_pending_jobs
from ticketing.models.base import utcnow
from ticketing.services.sales import holds, orders

now = utcnow()
with session_scope() as db:
    owner, buyer = make_buyers(db, 2)
    event = make_event(db, org=make_org(db, owner=owner), title="Free talk")
    s = make_session(db, event=event, name="Talk", capacity=5, starts_at=now + timedelta(days=3))
    t = make_ticket_type(db, event=event, name="Free", sessions=[s], price_minor=0)
with session_scope() as db:
    hold = holds.hold_tickets(db=db, event_id=event.id, user_id=buyer.id, items=[(t.id, 1)], now=now)
threads = []
real = queue._run_local
queue._run_local = lambda *a: (threads.append(threading.current_thread().name), real(*a))
try:
    with session_scope() as db:
        queue.enqueue(db, "order_confirmation", order_id=str(hold.id))
        raise RuntimeError("rolled back")
except RuntimeError:
    pass
with session_scope() as db:
    order = orders.checkout(db=db, hold_id=hold.id, user_id=buyer.id, attendees=None, now=now)
    queue.enqueue(db, "order_confirmation", order_id=str(order.id))
    queue.enqueue(db, "order_confirmation", order_id=str(order.id))  # the same job twice
run_pending_jobs()
mails = list(Path(os.environ["MAIL_OUTBOX_DIR"]).glob("*.eml"))
print("RESULT", order.status, len(threads), sorted(set(threads)), len(mails), order.number in mails[0].read_text())
'''


def test_sqlite_runs_jobs_in_process_after_commit_and_mails_once(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.db'}", "PYTHONPATH": str(ROOT),
           "MAIL_OUTBOX_DIR": str(tmp_path / "outbox")}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, check=False,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("RESULT")]
    # Two jobs ran (the rolled-back one never did), on the job thread, and sent one mail.
    assert line == "RESULT confirmed 2 ['jobs_0'] 1 True"
