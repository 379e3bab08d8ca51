"""The process-wide bus and queue store: chosen by REDIS_URL on first use, made once, replaceable."""

from __future__ import annotations

from dataclasses import replace

from ticketing import bus, process_wide
from ticketing.process_wide import ProcessWide
from ticketing.services.waiting_room import queue_store
from ticketing.settings import get_settings


def test_made_once_as_the_settings_choose_and_replaceable(monkeypatch):
    made = []
    holder = ProcessWide(redis=lambda url: made.append(("redis", url)) or f"redis at {url}",
                         embedded=lambda: made.append(("embedded",)) or "embedded")
    monkeypatch.setattr(process_wide, "get_settings", lambda: replace(get_settings(), redis_url=None))
    assert holder.get() == holder.get() == "embedded" and made == [("embedded",)]
    holder.set("a stand-in")
    assert holder.get() == "a stand-in"
    monkeypatch.setattr(process_wide, "get_settings",
                        lambda: replace(get_settings(), redis_url="redis://127.0.0.1:6379/0"))
    holder.set(None)  # made again on the next use, as the settings now say
    assert holder.get() == "redis at redis://127.0.0.1:6379/0" and made[-1] == ("redis", "redis://127.0.0.1:6379/0")


def test_the_bus_and_the_queue_store_follow_redis_url(monkeypatch):
    monkeypatch.setattr(process_wide, "get_settings",
                        lambda: replace(get_settings(), redis_url="redis://127.0.0.1:6379/0"))
    bus.set_bus(None)
    queue_store.set_queue(None)
    try:
        assert isinstance(bus.get_bus(), bus.RedisBus)
        assert isinstance(queue_store.get_queue(), queue_store.RedisQueue)
        monkeypatch.setattr(process_wide, "get_settings", lambda: replace(get_settings(), redis_url=None))
        bus.set_bus(None)
        queue_store.set_queue(None)
        assert isinstance(bus.get_bus(), bus.InProcessBus)
        assert isinstance(queue_store.get_queue(), queue_store.DatabaseQueue)
    finally:
        bus.set_bus(None)
        queue_store.set_queue(None)
