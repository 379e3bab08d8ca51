"""A queue at the door of each worker: at most a few requests per pooled connection work at
once; the others wait their turn here, in arrival order, and get 503 `busy` (Retry-After) only
if their turn has not come within REQUEST_QUEUE_TIMEOUT_S (default 20). API_CONCURRENCY sets
the number of requests at work per worker (default: PER_CONNECTION per pooled connection).

Why: without it, every request of a stampede is let in at once (40 threads per worker), each
grabs a thread, and they all queue for the worker's few pooled connections with the pool's
short timeout: at 400 buyers on 2 cores, many waited longer than that and got `busy` although
the sale was moving (bench/stampede.py). Waiting here instead costs no thread, no connection and
no CPU, and the pool wait stays short for the requests that are in.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from ticketing.api.problems import problem
from ticketing.db_budget import BUSY_MESSAGE

log = logging.getLogger(__name__)
PER_CONNECTION = 2  # in-flight requests per pooled connection: one in the database, one in Python


class AdmissionGate:
    """ASGI middleware: a per-worker semaphore in front of the API's routes (not /healthz)."""

    def __init__(self, app: Any, *, prefix: str, limit: int | None = None, timeout_s: float | None = None) -> None:
        self.app, self.prefix = app, prefix
        self.limit = limit
        self.timeout_s = timeout_s if timeout_s is not None else float(os.environ.get("REQUEST_QUEUE_TIMEOUT_S") or 20)
        self._gate: asyncio.Semaphore | None = None  # made in the worker's own event loop

    def _semaphore(self) -> asyncio.Semaphore:
        if self._gate is None:
            limit = self.limit or int(os.environ.get("API_CONCURRENCY") or 0)
            if not limit:
                from ticketing.db import get_engine

                engine = get_engine()
                size = engine.pool.size() if engine.dialect.name == "postgresql" else 4
                limit = max(4, PER_CONNECTION * size)
            self._gate = asyncio.Semaphore(limit)
        return self._gate

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        gate = self._semaphore()
        if not gate.locked():  # a free slot: no timer task (wait_for makes one) on the common path
            await gate.acquire()
        else:
            try:
                await asyncio.wait_for(gate.acquire(), self.timeout_s)
            except TimeoutError:
                log.warning("busy: waited %.0f s in the admission queue", self.timeout_s)
                response = problem(503, "busy", BUSY_MESSAGE)
                await response(scope, receive, send)
                return
        try:
            await self.app(scope, receive, send)
        finally:
            gate.release()
