"""The event bus: Redis pub/sub when REDIS_URL is set, an in-process bus otherwise.

`publish` is synchronous (it runs in after-commit hooks, in whatever thread committed), never
raises and never blocks long: a failed publish must not fail a sale. `listen` is the one
subscription a worker holds; besides messages it yields {"type": "bus_down"} and
{"type": "bus_up"} so pages can say "live updates paused" and catch up on recovery.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any, Protocol

import redis
import redis.asyncio as aioredis

from ticketing.process_wide import ProcessWide

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "tk:event:"
BUS_DOWN = {"type": "bus_down"}
BUS_UP = {"type": "bus_up"}


def channel(event_id: str) -> str:
    return f"{CHANNEL_PREFIX}{event_id}"


class Bus(Protocol):
    def publish(self, event_id: str, message: dict[str, Any]) -> bool: ...

    def listen(self) -> AsyncIterator[dict[str, Any]]: ...


class InProcessBus:
    """One process, any number of listeners (each gets every message), thread-safe publish."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = []

    def publish(self, event_id: str, message: dict[str, Any]) -> bool:
        with self._lock:
            targets = list(self._queues)
        if not targets:  # nobody listens (an API-only process): not even worth the JSON
            return True
        payload = json.loads(json.dumps(message, default=str))  # same shape as through Redis
        for loop, queue in targets:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, payload)
            except RuntimeError:  # that listener's loop has closed
                self._drop(queue)
        return True

    def _drop(self, queue: asyncio.Queue) -> None:
        with self._lock:
            self._queues = [(lp, q) for lp, q in self._queues if q is not queue]

    async def listen(self) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue = asyncio.Queue()
        with self._lock:
            self._queues.append((asyncio.get_running_loop(), queue))
        try:
            while True:
                yield await queue.get()
        finally:
            self._drop(queue)


class RedisBus:
    """Redis pub/sub: PUBLISH per delta, one PSUBSCRIBE per worker, reconnecting with backoff."""

    def __init__(self, url: str, *, publish_timeout: float = 0.5, retry_max: float = 2.0) -> None:
        self.url = url
        self.retry_max = retry_max
        self._client = redis.Redis.from_url(url, socket_timeout=publish_timeout,
                                            socket_connect_timeout=publish_timeout)

    def publish(self, event_id: str, message: dict[str, Any]) -> bool:
        try:
            self._client.publish(channel(event_id), json.dumps(message, default=str))
            return True
        except redis.RedisError as exc:
            log.warning("live update not published (Redis unavailable): %s", exc)
            return False

    async def listen(self) -> AsyncIterator[dict[str, Any]]:
        delay, up = 0.1, None
        while True:
            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=1.0, health_check_interval=5)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                if up is not True:
                    up, delay = True, 0.1
                    yield BUS_UP
                while True:
                    msg = await pubsub.get_message(timeout=1.0)
                    if msg is None:
                        await pubsub.ping()  # notices a dead connection within seconds
                        continue
                    if msg.get("type") not in ("message", "pmessage"):
                        continue  # the answer to that ping, not a live update

                    try:
                        yield json.loads(msg["data"])
                    except (ValueError, TypeError):
                        log.warning("ignored a malformed live update")
            except (redis.RedisError, OSError) as exc:
                if up is not False:
                    up = False
                    log.warning("live updates paused, Redis unreachable: %s", exc)
                    yield BUS_DOWN
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max)
            finally:
                try:
                    await pubsub.aclose()
                    await client.aclose()
                except (redis.RedisError, OSError):
                    pass


_bus: ProcessWide[Bus] = ProcessWide(redis=RedisBus, embedded=InProcessBus)


def get_bus() -> Bus:
    """The process-wide bus chosen by settings (REDIS_URL set -> Redis)."""
    return _bus.get()


def set_bus(bus: Bus | None) -> None:
    """Replace the process-wide bus (tests, benchmarks)."""
    _bus.set(bus)
