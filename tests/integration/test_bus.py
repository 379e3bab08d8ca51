"""The event bus against a real Redis (and the in-process one): delivery, and Redis going away
and coming back while a listener runs."""

from __future__ import annotations

import asyncio
import threading

from tests.services import OwnRedis, ensure_redis
from ticketing.bus import InProcessBus, RedisBus

SHARED_REDIS = "redis://127.0.0.1:6379/0"


async def _next(gen, timeout: float = 5.0):
    return await asyncio.wait_for(gen.__anext__(), timeout)


def test_redis_bus_delivers_published_deltas():
    ensure_redis()
    bus = RedisBus(SHARED_REDIS)

    async def scenario():
        gen = bus.listen()
        assert await _next(gen) == {"type": "bus_up"}
        # Published from another thread, as after-commit hooks do.
        threading.Thread(target=bus.publish, args=("ev-1", {"type": "delta", "event_id": "ev-1", "version": 3})).start()
        msg = await _next(gen)
        assert msg == {"type": "delta", "event_id": "ev-1", "version": 3}
        await gen.aclose()

    asyncio.run(scenario())


def test_an_idle_redis_listener_takes_its_keepalive_pong_for_no_update(caplog):
    # An idle listener pings Redis every second; the pong must not be logged as a malformed update.
    redis_server = OwnRedis()
    redis_server.start()
    bus = RedisBus(redis_server.url)
    try:
        async def scenario():
            gen = bus.listen()
            assert await _next(gen) == {"type": "bus_up"}
            later = asyncio.ensure_future(_next(gen))
            await asyncio.sleep(2.5)  # two keepalive pings
            bus.publish("ev-2", {"type": "delta", "event_id": "ev-2", "version": 1})
            assert await later == {"type": "delta", "event_id": "ev-2", "version": 1}
            await gen.aclose()

        with caplog.at_level("WARNING", logger="ticketing.bus"):
            asyncio.run(scenario())
        assert not [r for r in caplog.records if "malformed" in r.getMessage()]
    finally:
        redis_server.stop()


def test_in_process_bus_delivers_to_every_listener():
    bus = InProcessBus()

    async def scenario():
        first, second = bus.listen(), bus.listen()
        pending = [asyncio.ensure_future(_next(first)), asyncio.ensure_future(_next(second))]
        await asyncio.sleep(0.01)
        threading.Thread(target=bus.publish, args=("ev", {"type": "delta", "version": 1})).start()
        assert [await p for p in pending] == [{"type": "delta", "version": 1}] * 2
        await first.aclose()
        await second.aclose()

    asyncio.run(scenario())


def test_redis_outage_pauses_then_recovers_and_publish_never_raises():
    redis_server = OwnRedis()
    redis_server.start()
    bus = RedisBus(redis_server.url, publish_timeout=0.3, retry_max=0.3)
    try:
        async def scenario():
            gen = bus.listen()
            assert await _next(gen) == {"type": "bus_up"}
            redis_server.stop()
            assert await _next(gen, timeout=10) == {"type": "bus_down"}
            assert bus.publish("ev", {"type": "delta", "version": 1}) is False  # the sale goes on
            redis_server.start()  # same port
            assert await _next(gen, timeout=10) == {"type": "bus_up"}
            assert bus.publish("ev", {"type": "delta", "version": 2}) is True
            assert await _next(gen) == {"type": "delta", "version": 2}
            await gen.aclose()

        asyncio.run(scenario())
    finally:
        redis_server.stop()
