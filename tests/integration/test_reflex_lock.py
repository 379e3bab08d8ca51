"""An event cancelled while it takes a tab's state lock gives it back (ticketing/reflex_lock.py),
with Reflex's Redis state manager on the real Redis: the tab's next event does not wait for the
lock's 10 s expiry."""

from __future__ import annotations

import asyncio
import time
import uuid

import reflex as rx
from redis.asyncio import Redis
from reflex.istate.manager.redis import StateManagerRedis
from reflex.istate.manager.token import StateToken

from tests.services import ensure_redis
from ticketing import reflex_lock

REDIS = "redis://127.0.0.1:6379/0"
STEPS = 40  # event-loop turns after which the event is cancelled: 0 to STEPS - 1


async def _cancelled_after(manager: StateManagerRedis, token: StateToken, steps: int) -> None:
    """An event takes the tab's lock and is cancelled after `steps` turns of the event loop:
    before it asks, while Redis answers, or once it holds the lock."""

    async def event() -> None:
        async with manager._lock(token, event_name="event_page.load"):
            await asyncio.sleep(60)

    task = asyncio.create_task(event())
    for _ in range(steps):
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def test_an_event_cancelled_at_any_point_of_taking_the_lock_leaves_it_free():
    ensure_redis()
    reflex_lock.install()

    async def run() -> tuple[list[int], float]:
        redis = Redis.from_url(REDIS)
        manager = StateManagerRedis(redis=redis)
        left_behind, slowest = [], 0.0
        try:
            for steps in range(STEPS):
                token = StateToken(ident=f"tab-{uuid.uuid4().hex}", cls=rx.State)
                await _cancelled_after(manager, token, steps)
                if await redis.get(manager._lock_key(token)) is not None:
                    left_behind.append(steps)
                started = time.monotonic()
                async with asyncio.timeout(15):
                    async with manager._lock(token, event_name="event_page.leave"):
                        slowest = max(slowest, time.monotonic() - started)
        finally:
            await redis.aclose()
        return left_behind, slowest

    left_behind, slowest = asyncio.run(run())
    assert left_behind == [], f"cancelled after {left_behind} turns, the lock stayed taken"
    assert slowest < 1.0, f"the tab's next event waited {slowest:.1f} s for the lock"


def test_installing_twice_wraps_the_wait_once():
    reflex_lock.install()
    wrapped = StateManagerRedis._wait_lock
    reflex_lock.install()
    assert StateManagerRedis._wait_lock is wrapped and wrapped.releases_when_cancelled
