"""Running the jobs: a procrastinate worker in every app process (a lifespan task), or alone
(`python -m ticketing.jobs.worker`); on SQLite, the in-process runner and a sweep loop."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor

from procrastinate import App
from procrastinate.exceptions import ConnectorException

from ticketing.background import reconcile_daily, retry_refunds_periodically, sweep_periodically
from ticketing.jobs.queue import new_app, uses_queue, wait_in_process_jobs
from ticketing.settings import get_settings

log = logging.getLogger(__name__)
STALLED_BEATS = 3  # a worker silent for this many heartbeats is taken for dead
RESTART_AFTER = 2.0  # seconds before a worker that stopped on an error starts again


def _worker_options(**extra) -> dict:
    beat = get_settings().job_heartbeat_seconds
    return {
        "name": f"{socket.gethostname()}:{os.getpid()}",
        "install_signal_handlers": False,
        "update_heartbeat_interval": beat,
        "stalled_worker_timeout": beat * STALLED_BEATS,
        "delete_jobs": "successful",  # failed jobs stay, for the organizer and for a person
        **extra,
    }


async def retry_stalled_jobs(app: App) -> int:
    """Jobs left `doing` by a worker that stopped beating (killed, machine lost) go back to the
    queue; their mails are sent once all the same (sent_mail.py)."""
    seconds = get_settings().job_heartbeat_seconds * STALLED_BEATS
    retried = 0
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds):
        try:
            await app.job_manager.retry_job(job)
            retried += 1
        except ConnectorException as exc:  # another worker retried it first
            log.info("stalled job %s not retried here: %s", job.id, exc)
    return retried


async def _watch_stalled(app: App) -> None:
    while True:
        try:
            if await retry_stalled_jobs(app):
                log.warning("re-queued jobs of a worker that stopped")
        except Exception:
            log.exception("looking for stalled jobs failed")
        await asyncio.sleep(get_settings().job_heartbeat_seconds)


async def run_jobs(*, standalone: bool = False) -> None:
    """Lifespan task of every app process (unless JOBS_IN_APP is false; `standalone`: the worker
    process of its own): work the queue until cancelled. A worker that stops on an error (the
    database restarted, its connections cut) starts again, so one outage never leaves a process
    without a worker."""
    if not uses_queue():
        await asyncio.gather(sweep_periodically(), retry_refunds_periodically(), reconcile_daily())
        return
    if not (standalone or get_settings().jobs_in_app):
        log.info("JOBS_IN_APP is false: this process queues jobs, separate workers run them")
        return
    app = new_app()
    while True:
        try:
            async with app.open_async():
                watcher = asyncio.create_task(_watch_stalled(app))
                try:
                    await app.run_worker_async(**_worker_options())
                finally:
                    watcher.cancel()
        except Exception:
            log.exception("the job worker stopped; starting it again in %s s", RESTART_AFTER)
        await asyncio.sleep(RESTART_AFTER)


def run_pending_jobs() -> None:
    """Run every job that is due now, then return (tests, scripts). SQLite: wait for the
    in-process jobs."""
    if not uses_queue():
        wait_in_process_jobs()
        return
    app = new_app()

    async def drain() -> None:
        async with app.open_async():
            await retry_stalled_jobs(app)
            await app.run_worker_async(**_worker_options(wait=False, listen_notify=False))

    # A thread of its own: the caller may be running an event loop (Playwright's, in browser tests).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(drain())).result()


def main() -> None:
    """A worker process of its own (besides or instead of the app processes' workers)."""
    argparse.ArgumentParser(description=main.__doc__).parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run_jobs(standalone=True))


if __name__ == "__main__":
    main()
