"""The per-worker hub: registry, ordered application of deltas, gaps, reloads, bus health."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ticketing.realtime import hub as hub_module
from ticketing.realtime.hub import LiveHub


class World:
    """A fake database (version + counter per event) and a fake set of connected tabs."""

    def __init__(self) -> None:
        self.version = 0
        self.count = 0
        self.loads = 0
        self.connected: set[str] = set()
        self.frames: list[tuple[str, str, dict[str, Any]]] = []

    async def load_snapshot(self, event_id: str, views: frozenset[str]):
        self.loads += 1
        return self.version, {"count": self.count}, {v: {"count": self.count} for v in views}

    def apply_delta(self, model: dict[str, Any], delta: dict[str, Any], views: frozenset[str]):
        if "count" not in delta:
            return None  # e.g. figures for a session the model does not know
        return {"count": delta["count"]}, {view: {"count": delta["count"]} for view in views}

    async def emit(self, token: str, view: str, values: dict[str, Any]) -> bool:
        if token not in self.connected:
            return False
        self.frames.append((token, view, values))
        return True

    def hub(self) -> LiveHub:
        return LiveHub(load_snapshot=self.load_snapshot, apply_delta=self.apply_delta, emit=self.emit)


def delta(version: int, count: int, **extra: Any) -> dict[str, Any]:
    return {"type": "delta", "event_id": "e1", "version": version, "count": count, **extra}


def last(world: World, token: str) -> dict[str, Any]:
    return [v for t, _, v in world.frames if t == token][-1]


async def known_at(hub: LiveHub, world: World, version: int, count: int) -> None:
    """Bring the hub to `version` through a first delta (which loads a snapshot)."""
    world.version, world.count = version, count
    await hub.handle(delta(version, count))
    world.loads, world.frames = 0, []


@pytest.fixture
def world() -> World:
    w = World()
    w.connected = {"tab-a", "tab-b"}
    return w


def run(coro):
    return asyncio.run(coro)


def test_first_delta_loads_a_snapshot_then_applies_in_order(world):
    async def scenario():
        hub = world.hub()
        hub.watch("tab-a", "e1", "customer")
        hub.watch("tab-b", "e1", "customer")
        world.version, world.count = 1, 10
        await hub.handle(delta(1, 10))  # the hub knew nothing yet: snapshot
        assert world.loads == 1
        await hub.handle(delta(2, 11))
        await hub.handle(delta(3, 12))
        await hub.handle(delta(2, 99))  # stale duplicate: ignored
        assert world.loads == 1
        assert last(world, "tab-a") == {"count": 12, "version": 3, "live": True}
        assert last(world, "tab-b")["count"] == 12

    run(scenario())


def test_events_nobody_watches_are_ignored(world):
    async def scenario():
        hub = world.hub()
        hub.watch("tab-a", "other", "customer")
        await hub.handle(delta(1, 10))
        assert world.frames == [] and world.loads == 0

    run(scenario())


def test_out_of_order_deltas_wait_for_the_missing_one(world):
    async def scenario():
        hub = world.hub()
        hub.watch("tab-a", "e1", "customer")
        await known_at(hub, world, 5, 50)
        await hub.handle(delta(7, 52))  # 6 is missing: buffered
        assert world.frames == []
        await hub.handle(delta(6, 51))  # fills the gap: 6 then 7 applied
        assert [v["version"] for _, _, v in world.frames] == [7]
        assert last(world, "tab-a")["count"] == 52 and world.loads == 0

    run(scenario())


def test_a_gap_that_never_fills_reloads_a_snapshot(world, monkeypatch):
    monkeypatch.setattr(hub_module, "GAP_WAIT", 0.05)

    async def scenario():
        hub = world.hub()
        hub.watch("tab-a", "e1", "customer")
        await known_at(hub, world, 5, 50)
        world.version, world.count = 8, 53
        await hub.handle(delta(8, 53))  # 6 and 7 never come
        assert world.loads == 0
        await asyncio.sleep(0.15)
        assert world.loads == 1
        assert last(world, "tab-a") == {"count": 53, "version": 8, "live": True}

    run(scenario())


def test_structure_changes_and_unknown_deltas_reload(world):
    async def scenario():
        hub = world.hub()
        hub.watch("tab-a", "e1", "customer")
        await known_at(hub, world, 1, 1)
        world.version, world.count = 2, 7
        await hub.handle({"type": "delta", "event_id": "e1", "version": 2, "structure": True})
        assert world.loads == 1 and last(world, "tab-a")["count"] == 7
        world.version, world.count = 3, 8
        await hub.handle({"type": "delta", "event_id": "e1", "version": 3})  # cannot be applied
        assert world.loads == 2 and last(world, "tab-a")["count"] == 8

    run(scenario())


def test_disconnected_and_departed_tabs_stop_receiving(world):
    async def scenario():
        hub = world.hub()
        for tab in ("tab-a", "tab-b", "tab-gone"):
            hub.watch(tab, "e1", "customer")
        await known_at(hub, world, 1, 1)
        await hub.handle(delta(2, 2))
        assert hub.watchers("e1") == 2  # tab-gone was not connected: pruned
        hub.unwatch("tab-b")
        await hub.handle(delta(3, 3))
        assert {t for t, _, v in world.frames if v["version"] == 3} == {"tab-a"}
        hub.watch("tab-a", "e2", "customer")  # navigating to another event moves the tab
        assert hub.watchers("e1") == 0 and hub.watchers("e2") == 1

    run(scenario())


def test_bus_down_pauses_and_bus_up_catches_up(world):
    async def scenario():
        hub = world.hub()
        hub.watch("tab-a", "e1", "customer")
        await known_at(hub, world, 1, 1)
        await hub.handle({"type": "bus_down"})
        assert last(world, "tab-a") == {"live": False}
        world.version, world.count = 9, 42  # sales went on meanwhile
        await hub.handle({"type": "bus_up"})
        assert world.loads == 1
        frames = [v for t, _, v in world.frames if t == "tab-a"]
        assert {"count": 42, "version": 9, "live": True} in frames and frames[-1]["live"] is True

    run(scenario())


def test_a_new_kind_of_view_joining_makes_the_next_delta_reload(world):
    async def scenario():
        hub = world.hub()
        hub.watch("tab-a", "e1", "customer")
        await known_at(hub, world, 1, 1)
        await hub.handle(delta(2, 2))
        assert world.loads == 0  # applied in memory
        hub.watch("tab-b", "e1", "dashboard")  # nobody computed this view yet
        world.version, world.count = 3, 3
        await hub.handle(delta(3, 3))
        assert world.loads == 1
        assert last(world, "tab-b") == {"count": 3, "version": 3, "live": True}

    run(scenario())
