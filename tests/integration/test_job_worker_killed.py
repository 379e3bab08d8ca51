"""A job worker killed (SIGKILL) in the middle of a job: the job runs again on another worker
and the mail goes out once. Real processes: `python -m ticketing.jobs.worker`, a real SMTP
server (aiosmtpd) and the run's PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from tests.e2e.conftest import free_port
from tests.jobs_helpers import queued
from tests.payments_helpers import make_shop, order_for
from ticketing.db import session_scope
from ticketing.jobs.queue import APPLICATION_NAME, enqueue
from ticketing.models import SentMail

ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT = 0.5  # seconds: a worker silent for 3 beats is taken for dead


class StallingInbox:
    """An SMTP server whose first message never gets its answer (the sender dies waiting);
    later messages are accepted and kept."""

    def __init__(self) -> None:
        self.accepted: list = []
        self.first_arrived = threading.Event()
        self.release = asyncio.Event()
        self.calls = 0

    async def handle_DATA(self, server, session, envelope):
        self.calls += 1
        if self.calls == 1:
            self.first_arrived.set()
            await self.release.wait()  # until the test ends: this one is never accepted
            return "451 gave up"
        self.accepted.append(envelope)
        return "250 OK"


def start_worker(smtp_port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_STARTTLS": "false",
           "JOB_HEARTBEAT_SECONDS": str(HEARTBEAT), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "ticketing.jobs.worker"], cwd=ROOT, env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(condition, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.1)


@pytest.fixture
def inbox():
    handler = StallingInbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.loop.call_soon_threadsafe(handler.release.set)
    controller.stop()


def test_a_worker_killed_mid_job_leaves_the_job_to_another_and_the_mail_goes_out_once(inbox):
    handler, port = inbox
    log = ROOT / "artifacts" / "job-workers.log"
    log.parent.mkdir(exist_ok=True)
    shop = make_shop(price_minor=0)
    order = order_for(shop)
    with session_scope() as db:
        enqueue(db, "order_confirmation", order_id=str(order.id))
    first = start_worker(port, log)
    second = None
    try:
        wait_for(handler.first_arrived.is_set, "the first worker sending the mail")
        assert [j["status"] for j in queued("order_confirmation")] == ["doing"]
        os.kill(first.pid, signal.SIGKILL)  # mid-job: the mail handed over, not yet accepted
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
        with session_scope(readonly=True) as db:  # the sent marker commits only after the send
            assert db.get(SentMail, f"confirmation:{order.id}") is None

        second = start_worker(port, log)
        wait_for(lambda: queued("order_confirmation") == [], "the job run again and done")
        assert len(handler.accepted) == 1 and handler.calls == 2
        assert order.number.encode() in handler.accepted[0].content
        # The same job once more (a duplicate): the mail is not sent again.
        with session_scope() as db:
            enqueue(db, "order_confirmation", order_id=str(order.id))
        wait_for(lambda: queued("order_confirmation") == [], "the duplicate job done")
        assert len(handler.accepted) == 1 and handler.calls == 2
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)


def test_a_worker_whose_database_connections_are_cut_starts_again_and_works_on():
    log = ROOT / "artifacts" / "job-workers.log"
    log.parent.mkdir(exist_ok=True)
    shop = make_shop(price_minor=0, capacity=2)
    first_order = order_for(shop)
    worker = subprocess.Popen([sys.executable, "-m", "ticketing.jobs.worker"], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT), "JOB_HEARTBEAT_SECONDS": str(HEARTBEAT)},
                              stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with session_scope() as db:
            enqueue(db, "order_confirmation", order_id=str(first_order.id))
        wait_for(lambda: queued("order_confirmation") == [], "the first job done")
        with session_scope() as db:  # what a database restart does to the worker: every connection cut
            cut = db.exec(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND application_name = :name"),
                          params={"name": APPLICATION_NAME}).one()[0]
        assert cut >= 1
        second_order = order_for(shop, user_id=shop.other_id)
        with session_scope() as db:
            enqueue(db, "order_confirmation", order_id=str(second_order.id))
        wait_for(lambda: queued("order_confirmation") == [], "the job after the cut done")
        assert worker.poll() is None  # the same process, its worker started again
        with session_scope(readonly=True) as db:
            assert db.get(SentMail, f"confirmation:{second_order.id}") is not None
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)


def test_a_worker_started_before_its_database_is_up_keeps_trying_and_then_works():
    import uuid

    import psycopg

    from tests.conftest import ADMIN_URL, migrate

    name = f"tk_late_{uuid.uuid4().hex[:8]}"
    url = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    log = ROOT / "artifacts" / f"job-worker-{name}.log"
    log.parent.mkdir(exist_ok=True)
    worker = subprocess.Popen([sys.executable, "-m", "ticketing.jobs.worker"], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url},
                              stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: "starting it again" in log.read_text(errors="replace"), "the worker failing to connect")
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        migrate(url)
        with session_scope(url=url) as db:  # a job whose order is gone: it runs, finds nothing, is done
            enqueue(db, "order_confirmation", order_id=str(uuid.uuid4()))

        def left() -> int:
            with psycopg.connect(ADMIN_URL.rsplit("/", 1)[0] + f"/{name}") as conn:
                return conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'order_confirmation'"
                                    ).fetchone()[0]

        wait_for(lambda: left() == 0, "the job done once the database is up")
        assert worker.poll() is None  # the same process all along
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        from ticketing.db import get_engine

        get_engine(url).dispose()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_with_jobs_in_app_off_an_app_process_runs_no_worker_and_jobs_wait_for_one(monkeypatch):
    import dataclasses

    from ticketing.jobs import worker as worker_module
    from ticketing.settings import get_settings

    monkeypatch.setattr(worker_module, "get_settings",
                        lambda: dataclasses.replace(get_settings(), jobs_in_app=False))
    shop = make_shop(price_minor=0)
    order = order_for(shop)
    with session_scope() as db:
        enqueue(db, "order_confirmation", order_id=str(order.id))
    # The lifespan task returns at once instead of working the queue: the job is still there.
    asyncio.run(asyncio.wait_for(worker_module.run_jobs(), timeout=60))
    assert [j["status"] for j in queued("order_confirmation")] == ["todo"]
